/**
 * The durable redelivery schedule (table delivery_retries, migration 003). One row per (document,
 * recipient) whose last attempt failed; the row keeps the original Kafka position for the DLQ record.
 * Claiming uses `for update skip locked` and a lease written into due_at, so several processes of one
 * gateway never attempt the same row at once, and a crashed attempt becomes due again after the lease.
 */
import type { DeliveryRecord } from '../bus/topics.ts'
import type { Sql } from './db.ts'

export interface Origin {
  topic: string
  partition: number
  offset: string
}

export interface RetryRow {
  record: DeliveryRecord
  origin: Origin
  endpoint: string
  /** attempts made so far */
  attempts: number
  firstAt: Date
  lastError: string | null
}

interface DbRow {
  record: DeliveryRecord
  origin_topic: string
  origin_partition: number
  origin_offset: string
  endpoint: string
  attempts: number
  first_at: Date | string
  last_error: string | null
}

const toRow = (r: DbRow): RetryRow => ({
  record: r.record,
  origin: { topic: r.origin_topic, partition: r.origin_partition, offset: r.origin_offset },
  endpoint: r.endpoint,
  attempts: r.attempts,
  firstAt: new Date(r.first_at),
  lastError: r.last_error,
})

export async function hasRetry(q: Sql, id: string, recipient: string): Promise<boolean> {
  return (await q.query('select 1 from delivery_retries where document_uuid = $1 and recipient = $2', [id, recipient])).rowCount > 0
}

/** Creates the row (first failure) or moves it (later failures); first_at and origin never change. */
export async function scheduleRetry(q: Sql, r: RetryRow, dueAt: Date): Promise<void> {
  await q.query(
    `insert into delivery_retries (document_uuid, recipient, record, origin_topic, origin_partition, origin_offset, endpoint, attempts, first_at, due_at, last_error)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
     on conflict (document_uuid, recipient) do update set attempts = excluded.attempts, due_at = excluded.due_at,
       last_error = excluded.last_error, endpoint = excluded.endpoint`,
    [
      r.record.id,
      r.record.recipient,
      JSON.stringify(r.record),
      r.origin.topic,
      r.origin.partition,
      r.origin.offset,
      r.endpoint,
      r.attempts,
      r.firstAt.toISOString(),
      dueAt.toISOString(),
      r.lastError,
    ],
  )
}

/** Up to `limit` due rows, each leased for `leaseMs` (its due_at moves past the lease). */
export async function claimDue(q: Sql, limit: number, leaseMs: number): Promise<RetryRow[]> {
  if (limit <= 0) return []
  const r = await q.query<DbRow>(
    `update delivery_retries set due_at = now() + ($2::bigint * interval '1 millisecond')
     where (document_uuid, recipient) in (
       select document_uuid, recipient from delivery_retries where due_at <= now() order by due_at limit $1 for update skip locked)
     returning record, origin_topic, origin_partition, origin_offset, endpoint, attempts, first_at, last_error`,
    [limit, leaseMs],
  )
  return r.rows.map(toRow)
}

export async function removeRetry(q: Sql, id: string, recipient: string): Promise<void> {
  await q.query('delete from delivery_retries where document_uuid = $1 and recipient = $2', [id, recipient])
}

/** Rows waiting, for readiness/metrics and tests. */
export async function pendingRetries(q: Sql): Promise<{ recipient: string; attempts: number; due_at: Date; last_error: string | null }[]> {
  return (
    await q.query<{ recipient: string; attempts: number; due_at: Date; last_error: string | null }>(
      'select recipient, attempts, due_at, last_error from delivery_retries order by due_at',
    )
  ).rows
}

/** Push endpoints with deliveries waiting in the schedule, busiest first, with the last error of each. */
export async function failingEndpoints(q: Sql, limit = 20): Promise<{ endpoint: string; n: number; last_error: string | null }[]> {
  return (
    await q.query<{ endpoint: string; n: number; last_error: string | null }>(
      `select endpoint, count(*)::int as n, (array_agg(last_error order by due_at desc))[1] as last_error
     from delivery_retries where endpoint <> 'inbox' group by endpoint order by count(*) desc limit $1`,
      [limit],
    )
  ).rows
}
