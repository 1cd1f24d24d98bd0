/**
 * The delivery contract: what "never deliver twice" rests on, written once.
 *
 * Kafka hands a record over at least once (after a crash, a record whose offset was not yet committed is
 * handled again), so every effect of a record carries a key: the ledger's `delivery_events.event_key` is
 * unique, writing an event whose key is already there changes nothing, and an adapter asks "already done?"
 * before it repeats an outside effect such as a push. Receipts on the `receipts` topic carry the same key,
 * so projecting one twice changes nothing either (STYLE 6: already done is success).
 *
 * Here, and nowhere else: the event key, "already done", the DELIVERED mark every adapter makes (with its
 * announcement on `receipts`), the
 * status 01 the gateway builds (inbox ack, proven push), how an HTTP answer is judged, and the backoff
 * between attempts.
 */
import type { Runtime } from '../runtime.ts'
import type { DeliveryRecord, ReceiptRecord } from '../bus/topics.ts'
import { hasEvent, recordEventsWith, type Alongside } from '../store/ledger-repo.ts'
import { buildStatusXml } from '../schemas/envelope.ts'
import { eventKey } from './event-key.ts'
import { emitGatewayEvent } from '../receipts/emit.ts'

export { eventKey }

/**
 * "Already done is success" (STYLE 6): the leg's DELIVERED is in the ledger, so an earlier attempt delivered
 * it and an adapter must not repeat its outside effect (a push). The DELIVERED is announced on `receipts`
 * again, since a crash may have come between the ledger write and the announcement; its key makes the
 * repeat harmless.
 */
export async function alreadyDelivered(rt: Runtime, record: DeliveryRecord): Promise<boolean> {
  if (!(await hasEvent(rt.db, eventKey(record.id, record.recipient, 'DELIVERED')))) return false
  await announceDelivered(rt, record)
  return true
}

/**
 * The recipient has the document and the ledger says so, but DELIVERED could not be put on `receipts`
 * (Kafka): not the endpoint's fault, so it does not count against its breaker; the next attempt finds
 * DELIVERED in the ledger and announces it again.
 */
export class NotAnnounced extends Error {
  constructor(cause: unknown) {
    super(`delivered, but not yet announced on receipts: ${cause instanceof Error ? cause.message : String(cause)}`, { cause })
    this.name = 'NotAnnounced'
  }
}

async function announceDelivered(rt: Runtime, record: DeliveryRecord): Promise<void> {
  try {
    await emitGatewayEvent(rt, record.id, record.recipient, 'DELIVERED')
  } catch (e) {
    throw new NotAnnounced(e)
  }
}

/**
 * The mark every adapter makes when its recipient has the document: the leg's DELIVERED event with what the
 * adapter wants on the timeline — and the adapter's own write (the inbox row) in the same statement, both
 * or neither — then DELIVERED on `receipts` for its other readers (webhooks). Announced on a replay too, in
 * case a crash lost the first announcement. `fresh` is false when the ledger had it already.
 */
export async function markDelivered(rt: Runtime, record: DeliveryRecord, detail: Record<string, unknown>, alongside?: Alongside): Promise<{ fresh: boolean; alongside: number }> {
  const r = await recordEventsWith(
    rt.db,
    [
      {
        eventKey: eventKey(record.id, record.recipient, 'DELIVERED'),
        id: record.id,
        recipient: record.recipient,
        status: 'DELIVERED',
        at: new Date().toISOString(),
        detail,
      },
    ],
    alongside,
  )
  await announceDelivered(rt, record)
  return { fresh: r.fresh[0]!, alongside: r.alongside }
}

/** QCVN 102:2016 status 01 as the VPCP samples word it (SPEC-NOTES §2.2). */
export const STATUS_01_DESCRIPTION = 'Đã đến - Phần mềm QLVB đã nhận nhưng văn thư chưa xử lý'

/**
 * Status 01 "đã đến" for one leg, built and stored by the gateway on the recipient's behalf — when the
 * recipient acknowledges an inbox item, or when a push got its 2xx. `statusFrom` is who says it (the
 * recipient, or the successor reading a closed agency's inbox); the leg stays the recipient's.
 * The caller puts the record on `receipts`; its key makes a repeat harmless.
 */
export async function status01(
  rt: Runtime,
  leg: {
    documentUuid: string
    recipient: string
    statusFrom: string
    sender: string
    documentId: string
    at: Date
  },
): Promise<ReceiptRecord> {
  const xml = buildStatusXml({
    from: { organId: leg.statusFrom, organName: rt.directory().get(leg.statusFrom)?.name },
    responseFor: { organId: leg.sender, documentId: leg.documentId },
    statusCode: '01',
    description: STATUS_01_DESCRIPTION,
    timestamp: leg.at,
  })
  const { key: statusBlob } = await rt.blobs.put(Buffer.from(xml, 'utf8'))
  return { eventKey: eventKey(leg.documentUuid, leg.recipient, '01'), id: leg.documentUuid, recipient: leg.recipient, status: '01', at: leg.at.toISOString(), statusBlob }
}

/**
 * What an HTTP answer from an agency system or a peer gateway means for the attempt (RFC 9110 §15):
 * 2xx done; a 4xx is the receiver refusing this request for good, except 408 (it timed out), 421 (another
 * connection may do), 423 and 425 (not yet), 429 (slow down) and 401/403 (a key an operator fixes) — those,
 * 3xx (no redirect is followed) and 5xx are tried again later.
 */
export function httpOutcome(status: number): 'done' | 'refused' | 'retry' {
  if (status >= 200 && status < 300) return 'done'
  if (status >= 400 && status < 500 && !RETRY_4XX.has(status)) return 'refused'
  return 'retry'
}
const RETRY_4XX = new Set([401, 403, 408, 421, 423, 425, 429])

/**
 * Delay before the next attempt after `failures` failed ones: "equal jitter" — half of the capped
 * exponential step fixed, half random — so retries of many records spread out without ever collapsing to
 * zero (AWS Architecture Blog, "Exponential Backoff And Jitter"). Deliveries and webhooks alike.
 */
export function backoffMs(failures: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  const step = Math.min(maxMs, baseMs * 2 ** Math.min(Math.max(failures - 1, 0), 30))
  return Math.round(step / 2 + random() * (step / 2))
}
