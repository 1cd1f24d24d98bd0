-- The national axis' protocol at /vxp (VXP-WIRE.md): the client systems that call it, the signatures seen
-- inside the freshness window (replay protection shared by every replica), and the transport states a
-- receiving system reports with updateStatus besides "done".
--
-- A system signs every request with HMAC-SHA256 keyed by its secret, so the gateway needs the secret itself,
-- not a hash of it: it is stored encrypted (AES-256-GCM under VXP_SECRET_KEY), shown once when created.
create table vxp_systems (
  system_id  text primary key,
  name       text not null,
  secret_enc text not null,
  organ_ids  text[] not null default '{}',
  -- operator systems may also change the directory (registerAgency / deleteAgency)
  operator   boolean not null default false,
  disabled   boolean not null default false,
  created_at timestamptz not null default now(),
  rotated_at timestamptz
)
--;
create table vxp_seen_signatures (
  hash_header text primary key,
  system_id   text not null,
  seen_at     timestamptz not null default now()
)
--;
create index vxp_seen_signatures_at on vxp_seen_signatures (seen_at)
--;
-- item_id is an inbox id (messagetype edoc) or a status inbox id (messagetype status); "done" is the ack
-- itself (inbox.acked_at, status_inbox.acked_at), so only processing and fail are kept here
create table vxp_transport_states (
  item_id    uuid primary key,
  state      text not null check (state in ('processing', 'fail')),
  system_id  text not null,
  at         timestamptz not null default now()
)
