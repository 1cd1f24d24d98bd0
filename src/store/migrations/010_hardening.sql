-- Statuses are signed evidence like documents: the verdict taken when a status package entered the gateway
-- is kept with the status inbox item (and in the timeline event's detail).
alter table status_inbox add column signature jsonb
--;
-- A reservation is a lease: while claimed_until is in the future the request that reserved the row is still
-- working on it, and an identical concurrent submission waits for its answer instead of producing a second
-- Kafka record; a failed request releases the lease (claimed_until = now()), a crashed one lets it expire.
alter table documents add column claimed_until timestamptz not null default now() + interval '30 seconds'
--;
-- The document's PromulgationDate (ngày ban hành, QCVN 102 PromulgationInfo) as its sender wrote it: no status
-- about the document can be dated before that day.
alter table documents add column promulgated text
--;
-- API key rotation with an overlap window: after a rotation the previous key keeps working until
-- previous_until, so a client system can switch without an outage; a revocation (disabled) ends both at once.
alter table clients add column previous_key_hash text
--;
alter table clients add column previous_until timestamptz
--;
alter table clients add column rotated_at timestamptz
