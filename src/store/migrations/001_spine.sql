-- The ledger: directory, client credentials, documents, per-recipient deliveries
-- with their status timeline, and the pull inbox.
create table agencies (
  organ_id     text primary key,
  name         text not null,
  tier         text not null check (tier in ('central', 'province', 'district', 'commune')),
  parent       text,
  gateway      text,
  endpoint     jsonb not null default '{"kind":"inbox"}',
  certificates text[] not null default '{}',
  enabled      boolean not null default true,
  updated_at   timestamptz not null default now()
)
--;
create index agencies_parent on agencies (parent)
--;
-- API keys are stored as SHA-256 hashes; the key itself is shown once, when created
create table clients (
  id         text primary key,
  name       text not null,
  key_hash   text not null unique,
  organ_ids  text[] not null default '{}',
  role       text not null check (role in ('client', 'operator')),
  disabled   boolean not null default false,
  created_at timestamptz not null default now()
)
--;
-- One row per accepted package. state 'pending' = reserved, not yet confirmed by Kafka; 'accepted' = durable.
create table documents (
  id           uuid primary key,
  from_organ   text not null,
  document_id  text not null,
  sha256       text not null,
  size         bigint not null,
  content_type text not null,
  blob_key     text not null,
  subject      text,
  recipients   text[] not null,
  state        text not null check (state in ('pending', 'accepted')),
  receipt      jsonb,
  client_id    text,
  created_at   timestamptz not null default now(),
  accepted_at  timestamptz,
  unique (from_organ, document_id)
)
--;
create table deliveries (
  document_uuid uuid not null references documents (id) on delete cascade,
  recipient     text not null,
  tier          text not null,
  status        text not null,
  updated_at    timestamptz not null default now(),
  primary key (document_uuid, recipient)
)
--;
-- The timeline. event_key makes every event idempotent: a re-consumed Kafka record adds nothing.
create table delivery_events (
  seq           bigserial primary key,
  event_key     text not null unique,
  document_uuid uuid not null references documents (id) on delete cascade,
  recipient     text not null,
  status        text not null,
  at            timestamptz not null default now(),
  detail        jsonb
)
--;
create index delivery_events_doc on delivery_events (document_uuid, seq)
--;
create table inbox (
  id            uuid primary key,
  document_uuid uuid not null references documents (id) on delete cascade,
  recipient     text not null,
  delivered_at  timestamptz not null default now(),
  acked_at      timestamptz,
  unique (document_uuid, recipient)
)
--;
create index inbox_recipient on inbox (recipient, delivered_at)
