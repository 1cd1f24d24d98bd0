-- Streamed packages (src/schemas/skeleton.ts): the skeleton of the stored bytes and where each attachment's
-- Base64 run lies in them, so an attachment is read as a range, decoded as a stream, without the package
-- being parsed again. Keyed by the payload's SHA-256, like the payload itself: the same bytes, one index.
create table if not exists package_index (
  blob_key text primary key,
  skeleton_key text not null,
  nonce text not null,
  runs jsonb not null,
  created_at timestamptz not null default now()
)
