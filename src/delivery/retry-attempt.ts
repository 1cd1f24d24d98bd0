/**
 * One delivery attempt and what follows from it — shared by the tier consumers (first attempt) and the
 * retry worker (later attempts):
 *   success          → the adapter recorded DELIVERED / FORWARDED; a push that proves arrival emits status 01
 *   breaker open     → rescheduled for when the breaker lets a trial through (no attempt counted)
 *   failure          → rescheduled with backoff + jitter (delivery_retries), capped at first failure + max age
 *   permanent / max attempts / max age → DLQ record (original topic, partition, offset kept), DELIVERY_FAILED
 *                      on the timeline and on `receipts` (so a peer's document learns it too)
 * Every attempt is logged with its error. Throws only when the store or Kafka fail: the caller then leaves
 * its offset (or lease) unresolved and the attempt happens again.
 */
import { startAttempt } from '../store/attempts-repo.ts'
import type { Runtime } from '../runtime.ts'
import type { DeadLetterRecord, DeliveryRecord, ReceiptRecord } from '../bus/topics.ts'
import type { Agency } from '../routing/types.ts'
import { ADAPTERS } from '../adapters/index.ts'
import { PermanentDeliveryError, type DeliveryAdapter } from '../adapters/adapter.ts'
import { recordEvent } from '../store/ledger-repo.ts'
import { NotAnnounced, backoffMs, eventKey, status01 } from './contract.ts'
import { breakersFor } from './retry-policy.ts'
import { removeRetry, scheduleRetry, type Origin, type RetryRow } from '../store/retry-repo.ts'
import { extractContext, markError, traceHeaders, type Context, type Span } from '../tracing/index.ts'

export interface AttemptInput {
  record: DeliveryRecord
  origin: Origin
  /** attempts already made (0 on the tier consumer) */
  attempts: number
  /** when the first attempt failed (null before any failure) */
  firstAt: Date | null
  /** the error of the last attempt, kept for the DLQ record */
  lastError?: string | null
  /** the trace context this attempt continues (the delivery record's headers); absent on a retry */
  parent?: Context
}

/**
 * The record as the retry row and the DLQ keep it: with the routing trace context (`trace`), since a
 * retry has no Kafka headers — so every attempt, first or later, is a `deliver` span under `router.route`.
 * Only these stored copies carry it; adapters get the record as it came.
 */
type TracedRecord = DeliveryRecord & { trace?: Record<string, string> }

export type AttemptResult = 'delivered' | 'rescheduled' | 'dead'

type Target = { adapter: DeliveryAdapter; agency: Agency | null; endpoint: string }

/** The adapter, directory entry and endpoint key (breaker key) of a record, or why there is none. */
function targetOf(rt: Runtime, rec: DeliveryRecord): Target | string {
  if (rec.gateway) return { adapter: ADAPTERS.get('gateway')!, agency: null, endpoint: rec.gateway }
  const agency = rt.directory().get(rec.recipient)
  if (!agency) return 'recipient left the directory'
  const adapter = ADAPTERS.get(agency.endpoint.kind)
  if (!adapter) return `no adapter for endpoint kind ${agency.endpoint.kind}`
  return { adapter, agency, endpoint: agency.endpoint.kind === 'inbox' ? 'inbox' : agency.endpoint.url }
}

export async function attemptDelivery(rt: Runtime, input: AttemptInput): Promise<AttemptResult> {
  if (!rt.tracing.enabled) return attempt(rt, input, input.record)
  const rec = input.record as TracedRecord
  const parent = input.parent ?? extractContext(rec.trace)
  const carried = traceHeaders(parent) ?? rec.trace
  const stored: TracedRecord = carried ? { ...rec, trace: carried } : rec
  return rt.tracing.span(
    'deliver',
    {
      parent,
      attributes: { 'lgsp.document.uuid': rec.id, 'lgsp.recipient': rec.recipient, 'lgsp.attempt': input.attempts + 1, ...(rec.gateway ? { 'lgsp.gateway': rec.gateway } : {}) },
    },
    async (span) => {
      const outcome = await attempt(rt, input, stored, span)
      span.setAttribute('lgsp.delivery.outcome', outcome)
      return outcome
    },
  )
}

async function attempt(rt: Runtime, input: AttemptInput, stored: DeliveryRecord, span?: Span): Promise<AttemptResult> {
  const { record: rec } = input
  const log = rt.log.child({ c: 'delivery', id: rec.id, recipient: rec.recipient })
  const cfg = rt.config
  const target = targetOf(rt, rec)
  const now = new Date()
  const firstAt = input.firstAt ?? now
  const row = (attempts: number, lastError: string, endpoint: string): RetryRow => ({ record: stored, origin: input.origin, endpoint, attempts, firstAt, lastError })
  if (typeof target === 'string') {
    await deadLetter(rt, row(input.attempts, target, 'none'), 'no-adapter')
    return 'dead'
  }
  const deadline = firstAt.getTime() + cfg.deliveryMaxAgeMs
  const breakers = breakersFor(rt)

  if (input.firstAt && now.getTime() >= deadline) {
    await deadLetter(rt, row(input.attempts, input.lastError ?? `max age ${cfg.deliveryMaxAgeMs} ms reached`, target.endpoint), 'max-age')
    return 'dead'
  }
  const blocked = target.endpoint === 'inbox' ? null : breakers.blockedUntil(target.endpoint, now.getTime())
  if (blocked !== null) {
    const due = Math.min(blocked + Math.random() * 100, Math.max(deadline, now.getTime()))
    await scheduleRetry(rt.db, row(input.attempts, input.lastError ?? `circuit breaker open for ${target.endpoint}`, target.endpoint), new Date(due))
    log.debug({ endpoint: target.endpoint, due: new Date(due) }, 'breaker open; rescheduled without an attempt')
    return 'rescheduled'
  }

  span?.setAttributes({ 'lgsp.adapter': target.adapter.kind, 'lgsp.endpoint': target.endpoint })
  // pushes are numbered durably before they leave: a repeat after a crash says it is a repeat
  let attempt: number
  try {
    attempt = target.endpoint === 'inbox' ? input.attempts + 1 : await startAttempt(rt.db, rec.id, rec.recipient, input.attempts + 1)
  } catch (e) {
    breakers.abandon(target.endpoint) // nothing reached the endpoint: no verdict on it
    throw e
  }
  const t0 = Date.now()
  let answered = false
  try {
    const out = await target.adapter.deliver(rt, rec, target.agency, { attempt, timeoutMs: cfg.deliveryTimeoutMs })
    answered = true
    breakers.success(target.endpoint)
    // the adapter marked and announced DELIVERED (src/delivery/contract.ts); a push that proves arrival adds 01
    if (out.arrived) await emitArrived(rt, rec)
    if (input.firstAt) await removeRetry(rt.db, rec.id, rec.recipient)
    log.info({ adapter: target.adapter.kind, endpoint: target.endpoint, attempt, ms: Date.now() - t0, fresh: out.fresh }, 'delivered')
    return 'delivered'
  } catch (e) {
    const err = e as Error
    const permanent = e instanceof PermanentDeliveryError
    if (span) markError(span, e)
    // the breaker judges the endpoint alone: a refusal is an answer (it is up), and a delivery whose
    // announcement or status 01 could not reach Kafka was delivered; neither counts against it
    if (permanent || answered || e instanceof NotAnnounced) breakers.success(target.endpoint)
    else breakers.failure(target.endpoint)
    log.warn({ adapter: target.adapter.kind, endpoint: target.endpoint, attempt, ms: Date.now() - t0, err: err.message, permanent }, 'delivery attempt failed')
    const r = row(attempt, err.message, target.endpoint)
    if (permanent) return deadLetter(rt, r, 'permanent').then(() => 'dead')
    if (attempt >= cfg.deliveryMaxAttempts) return deadLetter(rt, r, 'max-attempts').then(() => 'dead')
    if (Date.now() >= deadline) return deadLetter(rt, r, 'max-age').then(() => 'dead')
    const due = Math.min(Date.now() + backoffMs(attempt, cfg.retryBaseMs, cfg.retryMaxMs), deadline)
    await scheduleRetry(rt.db, r, new Date(due))
    return 'rescheduled'
  }
}

/** Push success proves arrival: the gateway sends status 01 "đã đến" for the recipient (like an inbox ack). */
async function emitArrived(rt: Runtime, rec: DeliveryRecord): Promise<void> {
  const receipt = await status01(rt, { documentUuid: rec.id, recipient: rec.recipient, statusFrom: rec.recipient, sender: rec.from, documentId: rec.documentId, at: new Date() })
  await rt.bus.send(rt.topics.receipts, [{ key: rec.id, value: receipt }])
}

/** DLQ first (durable), then the timeline, then the schedule row: a crash in between repeats, never loses. */
async function deadLetter(rt: Runtime, r: RetryRow, reason: DeadLetterRecord['reason']): Promise<void> {
  const failedAt = new Date().toISOString()
  const dlq: DeadLetterRecord = {
    record: r.record,
    origin: r.origin,
    endpoint: r.endpoint,
    attempts: r.attempts,
    firstAttemptAt: r.firstAt.toISOString(),
    failedAt,
    reason,
    lastError: r.lastError ?? '',
  }
  await rt.bus.send(rt.topics.dlq, [{ key: r.record.recipient, value: dlq }])
  const recipients = r.record.recipients ?? [r.record.recipient]
  const detail = { reason, lastError: r.lastError, attempts: r.attempts, endpoint: r.endpoint, dlq: { topic: rt.topics.dlq } }
  for (const recipient of recipients) {
    await recordEvent(rt.db, { eventKey: eventKey(r.record.id, recipient, 'DELIVERY_FAILED'), id: r.record.id, recipient, status: 'DELIVERY_FAILED', at: failedAt, detail })
  }
  // on `receipts` too, so the status-return worker tells the gateway a federated document came from
  await rt.bus.send(
    rt.topics.receipts,
    recipients.map((recipient) => ({
      key: r.record.id,
      value: { eventKey: eventKey(r.record.id, recipient, 'DELIVERY_FAILED'), id: r.record.id, recipient, status: 'DELIVERY_FAILED', at: failedAt } satisfies ReceiptRecord,
    })),
  )
  await removeRetry(rt.db, r.record.id, r.record.recipient)
  rt.log.error(
    { c: 'delivery', id: r.record.id, recipients, reason, attempts: r.attempts, endpoint: r.endpoint, lastError: r.lastError },
    'delivery gave up; record sent to the DLQ',
  )
}
