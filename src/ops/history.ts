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
 * survive a restart and several replicas may sample at once; the statements are in src/store/ops-history-repo.ts.
 */
import type { Runtime } from '../runtime.ts'
import type { Db, Sql } from '../store/db.ts'
import { TIERS } from '../routing/types.ts'
import { queuesView } from './queues.ts'
import {
  advanceHistoryCursor,
  dropHistoryOlderThan,
  historyBuckets,
  historyCursor,
  recordGaugeSamples,
  replaceMinuteCountsSince,
  unfoldedEvents,
} from '../store/ops-history-repo.ts'

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
  await db.tx((q) => replaceMinuteCountsSince(q, since))
}

/** One sample: fold new timeline events into their minutes, record the gauges, drop minutes past retention. */
export async function sampleHistory(rt: Runtime, now = new Date()): Promise<void> {
  const db = rt.db
  const lastSeq = await historyCursor(db)
  const fresh = await unfoldedEvents(db, lastSeq)
  const recent = new Date(now.getTime() - 2 * 60_000)
  const firstAt = fresh?.first_at ? new Date(fresh.first_at) : null
  await recountMinutes(db, firstAt && firstAt < recent ? firstAt : recent)
  const maxSeq = fresh?.max_seq
  if (maxSeq) await advanceHistoryCursor(db, maxSeq)

  const q = await queuesView(rt)
  const gauges: [string, number][] = [
    ['webhooks.backlog', q.webhooks.backlog],
    ['dlq.delivery', q.dlq.delivery],
  ]
  for (const t of q.tiers) if (t.lag !== null) gauges.push([`${t.tier}.lag`, t.lag]) // Kafka unreadable: a gap, not a zero
  await recordGaugeSamples(db, now, gauges)
  await dropHistoryOlderThan(db, now, RETENTION_DAYS)
}

/** Samples every `opsHistorySampleMs` until stopped; a failed sample is logged and the next one tries again. */
export function startHistorySampler(rt: Runtime): { stop(): Promise<void> } {
  let stopped = false
  let running: Promise<void> = Promise.resolve()
  let timer: NodeJS.Timeout | undefined
  const tick = () => {
    running = sampleHistory(rt)
      .catch((err) => rt.log.warn({ err }, 'console history: sample failed'))
      .finally(() => {
        if (!stopped) timer = setTimeout(tick, rt.config.opsHistorySampleMs).unref()
      })
  }
  // the first sample waits one interval: start-up (migrations, directory, group joins) goes first
  timer = setTimeout(tick, rt.config.opsHistorySampleMs).unref()
  return {
    async stop() {
      stopped = true
      clearTimeout(timer)
      await running
    },
  }
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
  const rows = await historyBuckets(db, from, stepSeconds)
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
