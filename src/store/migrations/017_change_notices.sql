-- Processes cache what they read on every request (API keys) or every event (webhook subscriptions) and
-- must forget it when the table changes, whoever changed it: another replica, `lgsp` on the command line,
-- an operator in psql. A statement-level trigger notifies on the channel src/store/change-feed.ts listens
-- on; PostgreSQL sends the notice at commit, and not at all on rollback (NOTIFY is transactional).
create or replace function lgsp_notify_change() returns trigger language plpgsql as $$
begin
  perform pg_notify('lgsp_changes', json_build_object('schema', current_schema(), 'kind', tg_argv[0])::text);
  return null;
end $$
--;
drop trigger if exists clients_changed on clients
--;
create trigger clients_changed after insert or update or delete on clients
  for each statement execute function lgsp_notify_change('clients')
--;
drop trigger if exists webhook_subscriptions_changed on webhook_subscriptions
--;
create trigger webhook_subscriptions_changed after insert or update or delete on webhook_subscriptions
  for each statement execute function lgsp_notify_change('webhooks');
