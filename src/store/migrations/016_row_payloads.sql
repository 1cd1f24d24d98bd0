-- Small payloads (documents up to SMALL_PAYLOAD_BYTES, status packages) kept in the database beside their
-- ledger rows (src/store/row-payloads.ts): one WAL flush, shared with concurrent commits, instead of a file
-- fsync and a directory fsync per payload. Content-addressed: the key is the SHA-256 of the bytes.
create table if not exists payloads (
  key text primary key,
  bytes bytea not null,
  created_at timestamptz not null default now()
)
