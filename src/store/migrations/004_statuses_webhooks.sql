-- The status inbox (edXML status packages addressed to an agency, pulled like the national axis's
-- messagetype=status) and receipt webhooks (subscriptions, an outbox of deliveries, the attempt log).
create table status_inbox (
  seq           bigserial primary key,
  id            uuid not null unique,
  -- the receipts record's event key: one row per status event, a replayed record adds nothing
  event_key     text not null unique,
  document_uuid uuid not null references documents (id) on delete cascade,
  -- the agency the package is addressed to: the document's sender (01–06, 15, 16) or a recipient (13)
  addressee     text not null,
  -- the recipient leg the status is about, and who sent the package
  recipient     text not null,
  from_organ    text not null,
  status_code   text not null,
  description   text,
  at            timestamptz not null,
  status_blob   text not null,
  content_type  text not null default 'application/xml',
  out_of_order  boolean not null default false,
  acked_at      timestamptz
)
--;
create index status_inbox_addressee on status_inbox (addressee, seq)
--;
-- The signing secret is kept in clear because HMAC needs it; it is shown to the client once, when created.
-- previous_secret keeps signing (as a second v1 signature) until previous_until, so a rotation loses nothing.
create table webhook_subscriptions (
  id               uuid primary key,
  client_id        text not null references clients (id) on delete cascade,
  url              text not null,
  events           text[] not null,
  filter_document  uuid,
  filter_recipient text,
  filter_sender    text,
  secret           text not null,
  previous_secret  text,
  previous_until   timestamptz,
  created_at       timestamptz not null default now()
)
--;
create index webhook_subscriptions_client on webhook_subscriptions (client_id, created_at)
--;
-- The outbox: one row per (subscription, event), written by the consumer that reads the event from Kafka.
-- id is the Standard Webhooks webhook-id, the same on every attempt. state: pending → delivered | dead.
create table webhook_deliveries (
  id              text primary key,
  subscription_id uuid not null references webhook_subscriptions (id) on delete cascade,
  event_key       text not null,
  event_type      text not null,
  document_uuid   uuid,
  body            text not null,
  state           text not null default 'pending' check (state in ('pending', 'delivered', 'dead')),
  attempts        integer not null default 0,
  next_attempt_at timestamptz not null default now(),
  -- retries stop (dead letter) once now() passes retry_from + the retry horizon; a replay restarts it
  retry_from      timestamptz not null default now(),
  last_status     integer,
  last_error      text,
  source          jsonb,
  created_at      timestamptz not null default now(),
  delivered_at    timestamptz,
  unique (subscription_id, event_key)
)
--;
create index webhook_deliveries_due on webhook_deliveries (next_attempt_at) where state = 'pending'
--;
create index webhook_deliveries_sub on webhook_deliveries (subscription_id, created_at)
--;
create table webhook_attempts (
  seq          bigserial primary key,
  delivery_id  text not null references webhook_deliveries (id) on delete cascade,
  attempt      integer not null,
  at           timestamptz not null default now(),
  status_code  integer,
  error        text,
  duration_ms  integer not null
)
--;
create index webhook_attempts_delivery on webhook_attempts (delivery_id, seq)
