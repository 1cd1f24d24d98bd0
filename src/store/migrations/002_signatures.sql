-- The signature verdict (signer, chain, algorithm, time) is recorded with each document.
alter table documents add column signature jsonb
