/**
 * The operator's side of the delivery DLQ (the delivery worker writes it: `<prefix>deliver.dlq`, one DeadLetterRecord
 * per delivery that gave up, its original Kafka position kept). A consumer group of its own mirrors the
 * topic into ops_dead_letters (idempotent on the DLQ position), so the console can browse, filter and page
 * without reading Kafka from the start. The topic stays the record of truth; the table adds what an
 * operator did with each item.
 *
 * Replay re-enqueues the original DeliveryRecord on its original topic (deliver.<tier> or forward): the tier
 * consumer gives it a fresh first attempt, with the whole retry policy ahead of it, through the same
 * idempotent adapters (a receiver that already has it sees the same Idempotency-Key). The Kafka write comes
 * first and the state change second: a crash between them leaves an item that can be replayed again,
 * which delivers nothing twice. Every replay and discard is one operator.action row in the message log,
 * written in the same transaction as the state change.
 */
import crypto from 'node:crypto'
import type { Runtime } from '../runtime.ts'
import type { Sql } from '../store/db.ts'
import type { DeadLetterRecord } from '../bus/topics.ts'
import { GatewayError } from '../errors.ts'
import { isUuid, recordEvent } from '../store/ledger-repo.ts'
import { logOperatorAction } from '../store/message-log-repo.ts'

export interface DeadLetter {
  id: string; state: 'dead' | 'replayed' | 'discarded'; documentUuid: string; documentId: string; from: string; recipient: string; tier: string
  endpoint: string; attempts: number; reason: string; lastError: string; firstAttemptAt: string; failedAt: string
  origin: { topic: string; partition: number; offset: string }; dlq: { partition: number; offset: string }
  resolvedAt: string | null; resolvedBy: string | null; gateway: string | null
}

interface Row {
  id: string; dlq_partition: number; dlq_offset: string; document_uuid: string; recipient: string; tier: string; record: DeadLetterRecord['record']
  origin: DeadLetter['origin']; endpoint: string; attempts: number; reason: string; last_error: string; first_attempt_at: Date; failed_at: Date
  state: DeadLetter['state']; resolved_at: Date | null; resolved_by: string | null
}

const view = (r: Row): DeadLetter => ({
  id: r.id, state: r.state, documentUuid: r.document_uuid, documentId: r.record.documentId, from: r.record.from, recipient: r.recipient, tier: r.tier,
  endpoint: r.endpoint, attempts: r.attempts, reason: r.reason, lastError: r.last_error,
  firstAttemptAt: new Date(r.first_attempt_at).toISOString(), failedAt: new Date(r.failed_at).toISOString(),
  origin: r.origin, dlq: { partition: r.dlq_partition, offset: r.dlq_offset },
  resolvedAt: r.resolved_at ? new Date(r.resolved_at).toISOString() : null, resolvedBy: r.resolved_by, gateway: r.record.gateway ?? null,
})

/** Mirrors `<prefix>deliver.dlq` into ops_dead_letters; started with the ops surface, stopped when it closes. */
export async function startDlqMirror(rt: Runtime) {
  return rt.bus.consume({
    groupId: `${rt.config.topicPrefix}ops-dlq`,
    topics: [rt.topics.dlq],
    handler: async (_topic, value, msg, partition) => {
      const d = value as DeadLetterRecord
      if (!d?.record?.id) return
      await rt.db.query(
        `insert into ops_dead_letters (id, dlq_partition, dlq_offset, document_uuid, recipient, tier, record, origin, endpoint, attempts, reason, last_error, first_attempt_at, failed_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) on conflict (dlq_partition, dlq_offset) do nothing`,
        [crypto.randomUUID(), partition, msg.offset, d.record.id, d.record.recipient, d.record.tier, JSON.stringify(d.record), JSON.stringify(d.origin),
          d.endpoint, d.attempts, d.reason, d.lastError ?? '', d.firstAttemptAt, d.failedAt],
      )
    },
  })
}

export async function listDeadLetters(q: Sql, o: { state?: string; tier?: string; recipient?: string; documentUuid?: string; limit: number; offset: number }): Promise<{ total: number; items: DeadLetter[] }> {
  const params: unknown[] = []
  const where: string[] = []
  const add = (sql: string, v: unknown) => { params.push(v); where.push(sql.replace('?', `$${params.length}`)) }
  if (o.state) add('state = ?', o.state)
  if (o.tier) add('tier = ?', o.tier)
  if (o.recipient) add('recipient = ?', o.recipient)
  if (o.documentUuid) add('document_uuid = ?', o.documentUuid)
  const w = where.length ? `where ${where.join(' and ')}` : ''
  const total = (await q.query<{ n: number }>(`select count(*)::int as n from ops_dead_letters ${w}`, params)).rows[0]?.n ?? 0
  const rows = (await q.query<Row>(`select * from ops_dead_letters ${w} order by failed_at desc, id limit ${o.limit} offset ${o.offset}`, params)).rows
  return { total, items: rows.map(view) }
}

export async function getDeadLetter(q: Sql, id: string): Promise<DeadLetter | null> {
  if (!isUuid(id)) return null
  const r = (await q.query<Row>('select * from ops_dead_letters where id = $1', [id])).rows[0]
  return r ? view(r) : null
}

async function mustBeDead(rt: Runtime, id: string): Promise<Row> {
  const r = isUuid(id) ? (await rt.db.query<Row>('select * from ops_dead_letters where id = $1', [id])).rows[0] : undefined
  if (!r) throw new GatewayError('DLQ_ITEM_NOT_FOUND', `no DLQ item ${id}`)
  if (r.state !== 'dead') throw new GatewayError('DLQ_ITEM_RESOLVED', `DLQ item ${id} was already ${r.state} by ${r.resolved_by ?? '?'} at ${r.resolved_at ? new Date(r.resolved_at).toISOString() : '?'}`)
  return r
}

/** Marks the item resolved, notes it on the recipient's timeline and audits it, in one transaction. */
async function resolve(rt: Runtime, r: Row, state: 'replayed' | 'discarded', actor: string, detail: Record<string, unknown>): Promise<DeadLetter> {
  return rt.db.tx(async (q) => {
    const upd = await q.query<Row>(`update ops_dead_letters set state = $2, resolved_at = now(), resolved_by = $3 where id = $1 and state = 'dead' returning *`, [r.id, state, actor])
    const row = upd.rows[0]
    if (!row) throw new GatewayError('DLQ_ITEM_RESOLVED', `DLQ item ${r.id} was resolved by someone else meanwhile`)
    const at = new Date().toISOString()
    const status = state === 'replayed' ? 'DLQ_REPLAYED' : 'DLQ_DISCARDED'
    // on the timeline, without moving the leg's status: DELIVERED (or a new DELIVERY_FAILED) will say what happened
    for (const recipient of r.record.recipients ?? [r.recipient]) {
      await recordEvent(q, { eventKey: `${r.document_uuid}:${recipient}:${status}:${r.id}`, id: r.document_uuid, recipient, status, at, moveStatus: false, detail: { by: actor, dlqItem: r.id, ...detail } })
    }
    await logOperatorAction(q, {
      actor, action: `dlq.${state === 'replayed' ? 'replay' : 'discard'}`, documentUuid: r.document_uuid, recipient: r.recipient,
      detail: { dlqItem: r.id, dlq: { partition: r.dlq_partition, offset: r.dlq_offset }, reason: r.reason, ...detail },
    })
    return view(row)
  })
}

export async function replayDeadLetter(rt: Runtime, id: string, actor: string): Promise<DeadLetter> {
  const r = await mustBeDead(rt, id)
  const topic = r.origin.topic
  const known = [...Object.values(rt.topics.deliver), rt.topics.forward]
  if (!known.includes(topic)) throw new GatewayError('DLQ_ITEM_RESOLVED', `DLQ item ${id} came from ${topic}, which this gateway does not deliver from`)
  await rt.bus.send(topic, [{ key: r.record.gateway ?? r.record.recipient, value: r.record, headers: { 'x-lgsp-replay-of': `${rt.topics.dlq}/${r.dlq_partition}/${r.dlq_offset}` } }])
  return resolve(rt, r, 'replayed', actor, { topic })
}

export async function discardDeadLetter(rt: Runtime, id: string, actor: string, note?: string): Promise<DeadLetter> {
  const r = await mustBeDead(rt, id)
  return resolve(rt, r, 'discarded', actor, note ? { note } : {})
}
