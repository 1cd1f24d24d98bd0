-- A leg is undelivered from its acceptance on: ACCEPTED (not yet routed) counts with PENDING and ROUTED
-- in the queue counts and the stuck-legs view, so the partial index covers it too.
drop index if exists deliveries_undelivered
--;
create index deliveries_undelivered on deliveries (tier) where status in ('PENDING', 'ACCEPTED', 'ROUTED')
