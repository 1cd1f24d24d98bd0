-- Push delivery retries, federation between gateways.
-- A peer gateway authenticates with a 'gateway' role key; its organ_ids hold the jurisdiction patterns
-- (e.g. '*.H41') whose From codes it may forward here.
alter table clients drop constraint if exists clients_role_check
--;
alter table clients add constraint clients_role_check check (role in ('client', 'operator', 'gateway'))
--;
-- The peer gateway (base URL) a document was forwarded from: its statuses travel back there.
alter table documents add column via_peer text
--;
-- Scheduled redelivery. A failed attempt writes its row here and the tier consumer commits its offset at
-- once, so a failing endpoint never holds up the other recipients of its partition; the retry worker
-- claims due rows (skip locked, with a lease in due_at) and redelivers. One row per (document, recipient).
create table delivery_retries (
  document_uuid    uuid not null,
  recipient        text not null,
  record           jsonb not null,
  origin_topic     text not null,
  origin_partition integer not null,
  origin_offset    text not null,
  endpoint         text not null,
  attempts         integer not null,
  first_at         timestamptz not null,
  due_at           timestamptz not null,
  last_error       text,
  primary key (document_uuid, recipient)
)
--;
create index delivery_retries_due on delivery_retries (due_at)
