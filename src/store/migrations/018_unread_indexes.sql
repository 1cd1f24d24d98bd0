-- What a recipient's system polls is what it has not acknowledged: documents and statuses. The indexes of
-- migrations 001 and 004 hold every item ever delivered, so a poll scanned past all the acknowledged ones
-- (an inbox grows by every document it ever received) and took longer every day. Partial indexes over the
-- unread items keep a poll proportional to what is waiting.
create index if not exists inbox_unread on inbox (recipient, delivered_at, id) where acked_at is null
--;
create index if not exists status_inbox_unread on status_inbox (addressee, seq) where acked_at is null
