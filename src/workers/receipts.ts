/**
 * Receipts projection: edXML status messages and gateway events from the `receipts` topic become
 * timeline events of the sender's document (idempotent by event key).
 */
import type { Runtime } from '../runtime.ts'
import type { ReceiptRecord } from '../bus/topics.ts'
import { recordEvent } from '../store/ledger-repo.ts'

export async function startReceiptsProjection(rt: Runtime) {
  return rt.bus.consume({
    groupId: `${rt.config.topicPrefix}receipts`,
    topics: [rt.topics.receipts],
    handler: async (_topic, value) => {
      const r = value as ReceiptRecord
      await recordEvent(rt.db, {
        eventKey: r.eventKey, id: r.id, recipient: r.recipient, status: r.status, at: r.at,
        detail: r.statusBlob ? { statusBlob: r.statusBlob } : undefined,
      })
    },
  })
}
