/**
 * Receipts projection: edXML status messages and gateway events from the `receipts` topic become timeline
 * events of the sender's document (idempotent by event key). A business status (two-digit code) is also
 * checked against the status model: an out-of-order one is recorded with detail.outOfOrder = true and does
 * not become the leg's current status. Its package goes to the addressee's status inbox in the same
 * statement as the event, and the message-log entry follows in the same transaction. Records of one
 * document share a partition (key = document id), so the history read here is the arrival order.
 */
import type { Runtime } from '../runtime.ts'
import type { ReceiptRecord } from '../bus/topics.ts'
import { legEvents, recordEvent, recordEventsWith } from '../store/ledger-repo.ts'
import { documentFacts } from '../store/document-facts.ts'
import { BUSINESS_STATUSES, isBusinessCode, labelOf, lifecycleVerdict } from './status-model.ts'
import { statusRow } from '../store/status-inbox-repo.ts'
import { statusSummary } from './status-package.ts'
import { inLogTransaction, logStatus } from '../store/message-log-repo.ts'
import { CONSUMERS } from '../bus/consumers.ts'
import { consume } from '../bus/consume.ts'
import { consumeSpan } from '../tracing/index.ts'

export async function startReceiptsProjection(rt: Runtime) {
  const log = rt.log.child({ c: 'receipts' })
  // a child of whatever produced the receipt (inbox ack, POST /v1/status, a delivery, a peer's status)
  return consume(rt, CONSUMERS.receipts, (r, m) =>
    consumeSpan(rt.tracing, 'receipts.project', m.headers, { 'lgsp.document.uuid': r.id, 'lgsp.status': r.status }, async () => {
      if (!isBusinessCode(r.status)) {
        await recordEvent(rt.db, {
          eventKey: r.eventKey,
          id: r.id,
          recipient: r.recipient,
          status: r.status,
          at: r.at,
          detail: r.statusBlob ? { statusBlob: r.statusBlob } : undefined,
        })
        return
      }
      const outcome = await projectStatus(rt, r)
      if (outcome === 'unknown-document') log.warn({ eventKey: r.eventKey }, 'status about a document unknown here; dropped')
      else if (outcome === 'out-of-order') log.info({ eventKey: r.eventKey, status: r.status }, 'status out of order; recorded and flagged')
    }),
  )
}

async function projectStatus(rt: Runtime, r: ReceiptRecord): Promise<'recorded' | 'out-of-order' | 'replay' | 'unknown-document'> {
  const doc = await documentFacts(rt.db, r.id)
  if (!doc) return 'unknown-document'
  const contentType = r.statusContentType ?? 'application/xml'
  const summary = r.statusBlob ? await statusSummary(rt, r.statusBlob, contentType) : null
  // 13 comes from the document's sender and is addressed to the recipient; every other code the other way
  const fromSender = BUSINESS_STATUSES.get(r.status)?.sentBy === 'sender'
  const from = r.statusFrom ?? summary?.from ?? (fromSender ? doc.from_organ : r.recipient)
  const addressee = fromSender ? r.recipient : doc.from_organ
  // shares a transaction with concurrent acceptances and statuses: every one of them locks the log's head row
  return inLogTransaction(rt.db, async (q) => {
    const leg = await legEvents(q, r.id, [r.recipient])
    if (leg.some((x) => x.event_key === r.eventKey)) return 'replay'
    const history = leg.map((x) => x.status).filter(isBusinessCode)
    const verdict = lifecycleVerdict(history, r.status, r.at, doc)
    // the event and, for a status with a package, the addressee's status-inbox row: one statement
    const written = await recordEventsWith(
      q,
      [
        {
          eventKey: r.eventKey,
          id: r.id,
          recipient: r.recipient,
          status: r.status,
          at: r.at,
          moveStatus: !verdict.outOfOrder,
          detail: {
            code: r.status,
            label: labelOf(r.status),
            from,
            description: summary?.description ?? null,
            ...(r.statusBlob ? { statusBlob: r.statusBlob } : {}),
            ...(r.signature ? { signature: r.signature } : {}),
            ...(verdict.outOfOrder ? { outOfOrder: true, reason: verdict.reason } : {}),
          },
        },
      ],
      r.statusBlob
        ? statusRow({
            eventKey: r.eventKey,
            documentUuid: r.id,
            addressee,
            recipient: r.recipient,
            from,
            statusCode: r.status,
            description: summary?.description ?? null,
            at: r.at,
            statusBlob: r.statusBlob,
            contentType,
            outOfOrder: verdict.outOfOrder,
            signature: r.signature ?? null,
          })
        : undefined,
    )
    if (!written.fresh[0]) return 'unknown-document' // no such (document, recipient) leg
    // the message log last: its head row is locked from here to the commit, and every acceptance waits on it
    await logStatus(q, {
      eventKey: r.eventKey,
      id: r.id,
      documentId: doc.document_id,
      recipient: r.recipient,
      status: r.status,
      at: r.at,
      from,
      statusBlob: r.statusBlob,
      outOfOrder: verdict.outOfOrder,
    })
    return verdict.outOfOrder ? 'out-of-order' : 'recorded'
  })
}
