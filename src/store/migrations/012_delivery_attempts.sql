-- Push attempts are counted before they are made, so an attempt repeated after a crash (the push reached the
-- receiver, the gateway died before recording it) carries a higher X-Lgsp-Attempt than the one it repeats:
-- the receiver can tell a replay of a delivery from a new one, under the same Idempotency-Key.
alter table deliveries add column attempts_started integer not null default 0
