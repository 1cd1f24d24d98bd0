/**
 * ops_dead_letters: the mirror of the delivery DLQ topic, one row per DLQ record (unique on its DLQ
 * position), with what an operator did with it. src/ops/dead-letters.ts mirrors, replays and discards;
 * this is the SQL.
 */
import crypto from 'node:crypto'
import type { DeadLetterRecord } from '../bus/topics.ts'
import type { Sql } from './db.ts'

export type DeadLetterState = 'dead' | 'replayed' | 'discarded'

export interface DeadLetterRow {
  id: string
  dlq_partition: number
  dlq_offset: string
  document_uuid: string
  recipient: string
  tier: string
  record: DeadLetterRecord['record']
  origin: DeadLetterRecord['origin']
  endpoint: string
  attempts: number
  reason: string
  last_error: string
  first_attempt_at: Date
  failed_at: Date
  state: DeadLetterState
  resolved_at: Date | null
  resolved_by: string | null
}

/** Every filter is optional; the ones given must all match. */
export interface DeadLetterFilter {
  state?: string
  tier?: string
  recipient?: string
  documentUuid?: string
}

/** Idempotent on the DLQ position: the mirror's consumer may see a record again after a rebalance or restart. */
export async function mirrorDeadLetter(q: Sql, dlq: { partition: number; offset: string }, d: DeadLetterRecord): Promise<void> {
  await q.query(
    `insert into ops_dead_letters (id, dlq_partition, dlq_offset, document_uuid, recipient, tier, record, origin, endpoint, attempts, reason, last_error, first_attempt_at, failed_at)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) on conflict (dlq_partition, dlq_offset) do nothing`,
    [
      crypto.randomUUID(),
      dlq.partition,
      dlq.offset,
      d.record.id,
      d.record.recipient,
      d.record.tier,
      JSON.stringify(d.record),
      JSON.stringify(d.origin),
      d.endpoint,
      d.attempts,
      d.reason,
      d.lastError ?? '',
      d.firstAttemptAt,
      d.failedAt,
    ],
  )
}

/** One page of the items matching `o`, newest failure first, and how many match in all. */
export async function findDeadLetters(q: Sql, o: DeadLetterFilter & { limit: number; offset: number }): Promise<{ total: number; rows: DeadLetterRow[] }> {
  const params: unknown[] = []
  const where: string[] = []
  const add = (sql: string, v: unknown) => {
    params.push(v)
    where.push(sql.replace('?', `$${params.length}`))
  }
  if (o.state) add('state = ?', o.state)
  if (o.tier) add('tier = ?', o.tier)
  if (o.recipient) add('recipient = ?', o.recipient)
  if (o.documentUuid) add('document_uuid = ?', o.documentUuid)
  const w = where.length ? `where ${where.join(' and ')}` : ''
  const total = (await q.query<{ n: number }>(`select count(*)::int as n from ops_dead_letters ${w}`, params)).rows[0]?.n ?? 0
  const page = `limit $${params.length + 1} offset $${params.length + 2}`
  const rows = (await q.query<DeadLetterRow>(`select * from ops_dead_letters ${w} order by failed_at desc, id ${page}`, [...params, o.limit, o.offset])).rows
  return { total, rows }
}

/** The item `id` (a UUID: the caller checks, the column is typed uuid), or null. */
export async function getDeadLetterRow(q: Sql, id: string): Promise<DeadLetterRow | null> {
  return (await q.query<DeadLetterRow>('select * from ops_dead_letters where id = $1', [id])).rows[0] ?? null
}

/**
 * Resolves the item if it is still dead; null when it is not (someone else resolved it first): the
 * condition in the UPDATE is what makes two operators acting at once see one winner.
 */
export async function markDeadLetterResolved(q: Sql, id: string, state: Exclude<DeadLetterState, 'dead'>, actor: string): Promise<DeadLetterRow | null> {
  const upd = await q.query<DeadLetterRow>(`update ops_dead_letters set state = $2, resolved_at = now(), resolved_by = $3 where id = $1 and state = 'dead' returning *`, [
    id,
    state,
    actor,
  ])
  return upd.rows[0] ?? null
}
