/**
 * The console's trends: a time-bucketed read model (table ops_history, one row per minute and series) so
 * the night operator sees whether a backlog has grown for an hour, or when a tier stopped delivering.
 *
 * Series, per tier: `<tier>.accepted`, `<tier>.delivered` (DELIVERED or FORWARDED: the leg left this
 * gateway), `<tier>.failed` (DELIVERY_FAILED), counted per minute of the timeline event's time, and
 * `<tier>.lag` (Kafka consumer lag of the tier's delivery group); gateway-wide `webhooks.backlog` and
 * `dlq.delivery`. Counts are recounted from the timeline (idempotent: a sample sets, never adds), from the
 * earliest minute touched by events not yet folded in, and at least the last two minutes — so an event
 * whose transaction committed after a sample (bigserial order is not commit order) is counted on the next.
 * Gauges keep the highest value sampled in each minute. Everything lives in the database, so the charts
 * survive a restart and several replicas may sample at once.
 */
import type { Runtime } from '../runtime.ts'
import type { Db, Sql } from '../store/db.ts'
import { TIERS } from '../routing/types.ts'
import { queuesView } from './queues.ts'

export const COUNT_KINDS = ['accepted', 'delivered', 'failed'] as const
export const RANGES = { '1h': { minutes: 60, stepSeconds: 60 }, '24h': { minutes: 24 * 60, stepSeconds: 600 } } as const
export type Range = keyof typeof RANGES
/** how long minutes are kept: a week back plus a day, so tonight compares with the same night last week */
const RETENTION_DAYS = 8
const GAUGES = [...TIERS.map((t) => `${t}.lag`), 'webhooks.backlog', 'dlq.delivery']
const isGauge = (series: string) => GAUGES.includes(series)

/**
 * Recounts the count series of every minute from `since` (floored to the minute) from the timeline, in
 * one transaction: the window's count rows are replaced by the recount (a minute left with no events
 * reads 0), so running it twice, or from two replicas, changes nothing.
 */
export async function recountMinutes(db: Db, since: Date): Promise<void> {
  await db.tx(async (q) => {
    await q.query(`delete from ops_history where minute >= date_trunc('minute', $1::timestamptz) and series ~ '[.](accepted|delivered|failed)$'`, [since.toISOString()])
    await q.query(
      `insert into ops_history (minute, series, value)
       select date_trunc('minute', e.at), d.tier || '.' || case e.status when 'ACCEPTED' then 'accepted' when 'DELIVERY_FAILED' then 'failed' else 'delivered' end,
              count(*)::float8
       from delivery_events e join deliveries d on d.document_uuid = e.document_uuid and d.recipient = e.recipient
       where e.at >= date_trunc('minute', $1::timestamptz) and e.status in ('ACCEPTED', 'DELIVERED', 'FORWARDED', 'DELIVERY_FAILED')
       group by 1, 2
       on conflict (minute, series) do update set value = excluded.value`, [since.toISOString()])
  })
}

/** One sample: fold new timeline events into their minutes, record the gauges, drop minutes past retention. */
export async function sampleHistory(rt: Runtime, now = new Date()): Promise<void> {
  const db = rt.db
  const state = await db.query<{ last_seq: string }>('select last_seq from ops_history_state where id = 1')
  const lastSeq = state.rows[0] ? Number(state.rows[0].last_seq) : null
  const fresh = await db.query<{ first_at: Date | null; max_seq: string | null }>(
    // the first sample of a new database folds in the day the charts show, not the whole ledger
    `select min(at) as first_at, max(seq)::text as max_seq from delivery_events where seq > $1 and ($2::boolean or at > now() - interval '1 day')`,
    [lastSeq ?? 0, lastSeq !== null])
  const recent = new Date(now.getTime() - 2 * 60_000)
  const firstAt = fresh.rows[0]?.first_at ? new Date(fresh.rows[0].first_at) : null
  await recountMinutes(db, firstAt && firstAt < recent ? firstAt : recent)
  const maxSeq = fresh.rows[0]?.max_seq
  if (maxSeq) await db.query('insert into ops_history_state (id, last_seq) values (1, $1) on conflict (id) do update set last_seq = greatest(ops_history_state.last_seq, excluded.last_seq)', [maxSeq])

  const q = await queuesView(rt)
  const gauges: [string, number][] = [['webhooks.backlog', q.webhooks.backlog], ['dlq.delivery', q.dlq.delivery]]
  for (const t of q.tiers) if (t.lag !== null) gauges.push([`${t.tier}.lag`, t.lag]) // Kafka unreadable: a gap, not a zero
  await db.query(
    `insert into ops_history (minute, series, value) select date_trunc('minute', $1::timestamptz), s, v from unnest($2::text[], $3::float8[]) as g(s, v)
     on conflict (minute, series) do update set value = greatest(ops_history.value, excluded.value)`,
    [now.toISOString(), gauges.map((g) => g[0]), gauges.map((g) => g[1])])
  await db.query(`delete from ops_history where minute < $1::timestamptz - make_interval(days => ${RETENTION_DAYS})`, [now.toISOString()])
}

/** Samples every `opsHistorySampleMs` until stopped; a failed sample is logged and the next one tries again. */
export function startHistorySampler(rt: Runtime): { stop(): Promise<void> } {
  let stopped = false
  let running: Promise<void> = Promise.resolve()
  let timer: NodeJS.Timeout | undefined
  const tick = () => {
    running = sampleHistory(rt).catch((err) => rt.log.warn({ err }, 'console history: sample failed')).finally(() => {
      if (!stopped) timer = setTimeout(tick, rt.config.opsHistorySampleMs).unref()
    })
  }
  // the first sample waits one interval: start-up (migrations, directory, group joins) goes first
  timer = setTimeout(tick, rt.config.opsHistorySampleMs).unref()
  return { async stop() { stopped = true; clearTimeout(timer); await running } }
}

export interface HistoryView {
  range: Range
  /** start of the first bucket (ISO 8601, UTC); bucket i starts at from + i × stepSeconds */
  from: string
  stepSeconds: number
  points: number
  /** per series, one value per bucket: counts are summed over the bucket, gauges are its highest sample (null = not sampled) */
  series: Record<string, (number | null)[]>
}

/** The series of the last hour (per minute) or day (per 10 minutes): O(buckets × series) rows read. */
export async function historyView(db: Sql, range: Range, now = new Date()): Promise<HistoryView> {
  const { minutes, stepSeconds } = RANGES[range]
  const step = stepSeconds * 1000
  const lastBucket = Math.floor(now.getTime() / step) * step
  const points = Math.round((minutes * 60_000) / step)
  const from = lastBucket - (points - 1) * step
  const rows = (await db.query<{ series: string; bucket: string; total: number; highest: number }>(
    `select series, (floor(extract(epoch from minute) / $2) * $2)::bigint::text as bucket, sum(value)::float8 as total, max(value)::float8 as highest
     from ops_history where minute >= to_timestamp($1::float8 / 1000) group by 1, 2`, [from, stepSeconds],
  )).rows
  const series: Record<string, (number | null)[]> = {}
  for (const t of TIERS) for (const k of COUNT_KINDS) series[`${t}.${k}`] = new Array<number | null>(points).fill(0)
  for (const g of GAUGES) series[g] = new Array<number | null>(points).fill(null)
  for (const r of rows) {
    const i = Math.round((Number(r.bucket) * 1000 - from) / step)
    const s = series[r.series]
    if (!s || i < 0 || i >= points) continue
    s[i] = isGauge(r.series) ? r.highest : r.total
  }
  return { range, from: new Date(from).toISOString(), stepSeconds, points, series }
}
