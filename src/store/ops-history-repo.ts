/**
 * The console's trend minutes (ops_history: one row per minute and series) and the sampler's cursor
 * (ops_history_state: the last delivery_events seq folded in). src/ops/history.ts decides when to sample
 * and what the series mean; this is the SQL.
 */
import type { Sql } from './db.ts'

/** The timeline events past the cursor: the earliest event time (where a recount starts) and the highest seq. */
export interface UnfoldedEvents {
  first_at: Date | null
  max_seq: string | null
}

/** One bucket of one series: the sum of its minutes (counts) and the highest of them (gauges). */
export interface HistoryBucketRow {
  series: string
  bucket: string
  total: number
  highest: number
}

/**
 * Replaces the count rows (`<tier>.accepted|delivered|failed`) of every minute from `since` (floored to the
 * minute) with a recount from the timeline. Two statements: run it inside a transaction, so a reader never
 * sees the window deleted and not yet refilled.
 */
export async function replaceMinuteCountsSince(q: Sql, since: Date): Promise<void> {
  await q.query(`delete from ops_history where minute >= date_trunc('minute', $1::timestamptz) and series ~ '[.](accepted|delivered|failed)$'`, [since.toISOString()])
  await q.query(
    `insert into ops_history (minute, series, value)
       select date_trunc('minute', e.at), d.tier || '.' || case e.status when 'ACCEPTED' then 'accepted' when 'DELIVERY_FAILED' then 'failed' else 'delivered' end,
              count(*)::float8
       from delivery_events e join deliveries d on d.document_uuid = e.document_uuid and d.recipient = e.recipient
       where e.at >= date_trunc('minute', $1::timestamptz) and e.status in ('ACCEPTED', 'DELIVERED', 'FORWARDED', 'DELIVERY_FAILED')
       group by 1, 2
       on conflict (minute, series) do update set value = excluded.value`,
    [since.toISOString()],
  )
}

/** The last delivery_events seq folded into the minutes; null before the first sample of this database. */
export async function historyCursor(q: Sql): Promise<number | null> {
  const state = await q.query<{ last_seq: string }>('select last_seq from ops_history_state where id = 1')
  return state.rows[0] ? Number(state.rows[0].last_seq) : null
}

/** Timeline events after `lastSeq` (null: no cursor yet). */
export async function unfoldedEvents(q: Sql, lastSeq: number | null): Promise<UnfoldedEvents | undefined> {
  const fresh = await q.query<UnfoldedEvents>(
    // the first sample of a new database folds in the day the charts show, not the whole ledger
    `select min(at) as first_at, max(seq)::text as max_seq from delivery_events where seq > $1 and ($2::boolean or at > now() - interval '1 day')`,
    [lastSeq ?? 0, lastSeq !== null],
  )
  return fresh.rows[0]
}

/** Moves the cursor forward to `maxSeq`, never back (two replicas may sample at once). */
export async function advanceHistoryCursor(q: Sql, maxSeq: string): Promise<void> {
  await q.query('insert into ops_history_state (id, last_seq) values (1, $1) on conflict (id) do update set last_seq = greatest(ops_history_state.last_seq, excluded.last_seq)', [
    maxSeq,
  ])
}

/** Records gauge samples in the minute of `at`, keeping the highest value sampled in that minute. */
export async function recordGaugeSamples(q: Sql, at: Date, gauges: readonly (readonly [string, number])[]): Promise<void> {
  await q.query(
    `insert into ops_history (minute, series, value) select date_trunc('minute', $1::timestamptz), s, v from unnest($2::text[], $3::float8[]) as g(s, v)
     on conflict (minute, series) do update set value = greatest(ops_history.value, excluded.value)`,
    [at.toISOString(), gauges.map((g) => g[0]), gauges.map((g) => g[1])],
  )
}

/** Drops the minutes older than `retentionDays` before `now`. */
export async function dropHistoryOlderThan(q: Sql, now: Date, retentionDays: number): Promise<void> {
  await q.query(`delete from ops_history where minute < $1::timestamptz - make_interval(days => ${retentionDays})`, [now.toISOString()])
}

/**
 * Every series summed and maxed per bucket of `stepSeconds` (buckets aligned on the epoch), from `fromMs`
 * (epoch milliseconds) on. `bucket` is the bucket's start in epoch seconds, as text.
 */
export async function historyBuckets(q: Sql, fromMs: number, stepSeconds: number): Promise<HistoryBucketRow[]> {
  return (
    await q.query<HistoryBucketRow>(
      `select series, (floor(extract(epoch from minute) / $2) * $2)::bigint::text as bucket, sum(value)::float8 as total, max(value)::float8 as highest
     from ops_history where minute >= to_timestamp($1::float8 / 1000) group by 1, 2`,
      [fromMs, stepSeconds],
    )
  ).rows
}
