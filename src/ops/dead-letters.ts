/**
 * The operator's side of the delivery DLQ (the delivery worker writes it: `<prefix>deliver.dlq`, one DeadLetterRecord
 * per delivery that gave up, its original Kafka position kept). A consumer group of its own mirrors the
 * topic into ops_dead_letters (src/delivery/dead-letter-mirror.ts, idempotent on the DLQ position), so the
 * console can browse, filter and page without reading Kafka from the start. The topic stays the record of truth; the table adds what an
 * operator did with each item.
 *
 * Replay re-enqueues the original DeliveryRecord on its original topic (deliver.<tier> or forward): the tier
 * consumer gives it a fresh first attempt, with the whole retry policy ahead of it, through the same
 * idempotent adapters (a receiver that already has it sees the same Idempotency-Key). The Kafka write comes
 * first and the state change second: a crash between them leaves an item that can be replayed again,
 * which delivers nothing twice. Every replay and discard is one operator.action row in the message log,
 * written in the same transaction as the state change.
 */
import type { Runtime } from '../runtime.ts'
import type { Sql } from '../store/db.ts'
import { GatewayError } from '../errors.ts'
import { isUuid, recordEvent } from '../store/ledger-repo.ts'
import { eventKey } from '../delivery/event-key.ts'
import { logOperatorAction } from '../store/message-log-repo.ts'
import { findDeadLetters, getDeadLetterRow, markDeadLetterResolved, type DeadLetterFilter, type DeadLetterRow, type DeadLetterState } from '../store/ops-dead-letters-repo.ts'

export interface DeadLetter {
  id: string
  state: DeadLetterState
  documentUuid: string
  documentId: string
  from: string
  recipient: string
  tier: string
  endpoint: string
  attempts: number
  reason: string
  lastError: string
  firstAttemptAt: string
  failedAt: string
  origin: { topic: string; partition: number; offset: string }
  dlq: { partition: number; offset: string }
  resolvedAt: string | null
  resolvedBy: string | null
  gateway: string | null
}

const view = (r: DeadLetterRow): DeadLetter => ({
  id: r.id,
  state: r.state,
  documentUuid: r.document_uuid,
  documentId: r.record.documentId,
  from: r.record.from,
  recipient: r.recipient,
  tier: r.tier,
  endpoint: r.endpoint,
  attempts: r.attempts,
  reason: r.reason,
  lastError: r.last_error,
  firstAttemptAt: new Date(r.first_attempt_at).toISOString(),
  failedAt: new Date(r.failed_at).toISOString(),
  origin: r.origin,
  dlq: { partition: r.dlq_partition, offset: r.dlq_offset },
  resolvedAt: r.resolved_at ? new Date(r.resolved_at).toISOString() : null,
  resolvedBy: r.resolved_by,
  gateway: r.record.gateway ?? null,
})

export async function listDeadLetters(q: Sql, o: DeadLetterFilter & { limit: number; offset: number }): Promise<{ total: number; items: DeadLetter[] }> {
  const { total, rows } = await findDeadLetters(q, o)
  return { total, items: rows.map(view) }
}

export async function getDeadLetter(q: Sql, id: string): Promise<DeadLetter | null> {
  if (!isUuid(id)) return null
  const r = await getDeadLetterRow(q, id)
  return r ? view(r) : null
}

async function mustBeDead(rt: Runtime, id: string): Promise<DeadLetterRow> {
  const r = isUuid(id) ? await getDeadLetterRow(rt.db, id) : null
  if (!r) throw new GatewayError('DLQ_ITEM_NOT_FOUND', `no DLQ item ${id}`)
  if (r.state !== 'dead')
    throw new GatewayError(
      'DLQ_ITEM_RESOLVED',
      `DLQ item ${id} was already ${r.state} by ${r.resolved_by ?? '?'} at ${r.resolved_at ? new Date(r.resolved_at).toISOString() : '?'}`,
    )
  return r
}

/** Marks the item resolved, notes it on the recipient's timeline and audits it, in one transaction. */
async function resolve(rt: Runtime, r: DeadLetterRow, state: 'replayed' | 'discarded', actor: string, detail: Record<string, unknown>): Promise<DeadLetter> {
  return rt.db.tx(async (q) => {
    const row = await markDeadLetterResolved(q, r.id, state, actor)
    if (!row) throw new GatewayError('DLQ_ITEM_RESOLVED', `DLQ item ${r.id} was resolved by someone else meanwhile`)
    const at = new Date().toISOString()
    const status = state === 'replayed' ? 'DLQ_REPLAYED' : 'DLQ_DISCARDED'
    // on the timeline, without moving the leg's status: DELIVERED (or a new DELIVERY_FAILED) will say what happened
    for (const recipient of r.record.recipients ?? [r.recipient]) {
      await recordEvent(q, {
        eventKey: eventKey(r.document_uuid, recipient, status, r.id),
        id: r.document_uuid,
        recipient,
        status,
        at,
        moveStatus: false,
        detail: { by: actor, dlqItem: r.id, ...detail },
      })
    }
    await logOperatorAction(q, {
      actor,
      action: `dlq.${state === 'replayed' ? 'replay' : 'discard'}`,
      documentUuid: r.document_uuid,
      recipient: r.recipient,
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
  await rt.bus.send(topic, [
    { key: r.record.gateway ?? r.record.recipient, value: r.record, headers: { 'x-lgsp-replay-of': `${rt.topics.dlq}/${r.dlq_partition}/${r.dlq_offset}` } },
  ])
  return resolve(rt, r, 'replayed', actor, { topic })
}

export async function discardDeadLetter(rt: Runtime, id: string, actor: string, note?: string): Promise<DeadLetter> {
  const r = await mustBeDead(rt, id)
  return resolve(rt, r, 'discarded', actor, note ? { note } : {})
}
