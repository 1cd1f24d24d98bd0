-- The tamper-evident message log and the operator's view of the delivery DLQ.
-- message_log is append-only and hash-chained: hash = sha256(prev_hash || canonical JSON of the row), and
-- seq is assigned under the lock of message_log_head (no bigserial: a rolled-back append would leave a gap
-- that looks like a removed row). The head keeps the last seq and hash, so removing the newest rows shows too.
create table message_log (
  seq           bigint primary key,
  -- idempotency: a replayed Kafka record or a repeated publish appends nothing
  entry_key     text not null unique,
  -- document.accepted | document.status | operator.action
  kind          text not null,
  at            timestamptz not null,
  document_uuid uuid,
  document_id   text,
  sender        text,
  signer        text,
  recipient     text,
  status        text,
  -- SHA-256 (hex) of the exact bytes the entry is about: the package, or the status package
  sha256        text,
  actor         text,
  action        text,
  detail        jsonb,
  prev_hash     text not null,
  hash          text not null
)
--;
create index message_log_document on message_log (document_uuid, seq)
--;
create table message_log_head (
  id   integer primary key check (id = 1),
  seq  bigint not null,
  hash text not null
)
--;
insert into message_log_head (id, seq, hash) values (1, 0, '0000000000000000000000000000000000000000000000000000000000000000')
--;
-- The delivery DLQ topic (<prefix>deliver.dlq) mirrored for browsing: one row per DLQ record, keyed by its
-- Kafka position. state: dead → replayed (re-enqueued on its original topic) | discarded.
create table ops_dead_letters (
  id            uuid primary key,
  dlq_partition integer not null,
  dlq_offset    text not null,
  document_uuid uuid not null,
  recipient     text not null,
  tier          text not null,
  record        jsonb not null,
  origin        jsonb not null,
  endpoint      text not null,
  attempts      integer not null,
  reason        text not null,
  last_error    text not null,
  first_attempt_at timestamptz not null,
  failed_at     timestamptz not null,
  state         text not null default 'dead' check (state in ('dead', 'replayed', 'discarded')),
  resolved_at   timestamptz,
  resolved_by   text,
  unique (dlq_partition, dlq_offset)
)
--;
create index ops_dead_letters_state on ops_dead_letters (state, failed_at)
--;
-- /metrics and /v1/ops/queues count undelivered legs per tier on every scrape: only those rows are indexed
create index deliveries_undelivered on deliveries (tier) where status in ('PENDING', 'ROUTED')
