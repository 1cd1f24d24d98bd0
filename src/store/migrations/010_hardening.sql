-- Statuses are signed evidence like documents: the verdict taken when a status package entered the gateway
-- is kept with the status inbox item (and in the timeline event's detail).
alter table status_inbox add column signature jsonb
