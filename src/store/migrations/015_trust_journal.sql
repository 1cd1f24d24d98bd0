-- Operator changes to the trust store, in order, so every replica applies them (src/signing/trust-journal.ts):
-- a replica loads TRUST_DIR at start-up, then this journal, and again whenever another announces a change.
create table if not exists trust_journal (
  seq bigserial primary key,
  action text not null check (action in ('add', 'remove', 'crl')),
  kind text not null check (kind in ('roots', 'intermediates', 'agencies', 'crls')),
  fingerprint text,
  organ_id text,
  der bytea,
  at timestamptz not null default now()
)
