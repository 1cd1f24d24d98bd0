-- The console's time-bucketed read model: one row per (minute, series). Counts (a tier's documents
-- accepted, delivered, failed in that minute) are recounted from the timeline for the last minutes on
-- every sample, so a late commit is still counted; gauges (consumer lag, webhook backlog, DLQ size) keep
-- the highest value sampled in the minute. Reading a day is O(minutes × series), never O(documents).
create table ops_history (
  minute  timestamptz not null,
  series  text not null,
  value   double precision not null,
  primary key (minute, series)
)
--;
-- the timeline seq already folded in: a restart resumes from here instead of recounting a day
create table ops_history_state (
  id        int primary key check (id = 1),
  last_seq  bigint not null
)
--;
-- the recount reads the timeline by time
create index delivery_events_at on delivery_events (at)
