/**
 * Gateway delivery events onto the `receipts` topic, so every reader of receipts (the ledger projection,
 * webhook dispatch) sees them, not only the database. The event key is the one the delivery worker already
 * wrote to the ledger, so projecting the record again changes nothing. Keyed by document id like the
 * statuses, so a document's receipts stay in one partition.
 */
import type { Runtime } from '../runtime.ts'
import type { ReceiptRecord } from '../bus/topics.ts'
import { eventKey } from '../delivery/event-key.ts'

export async function emitGatewayEvent(
  rt: Runtime,
  documentUuid: string,
  recipient: string,
  status: 'DELIVERED' | 'DELIVERY_FAILED' | 'EXPIRED' | 'FORWARDED' | 'RECEIVING' | 'RECEIVE_FAILED',
): Promise<void> {
  const record: ReceiptRecord = { eventKey: eventKey(documentUuid, recipient, status), id: documentUuid, recipient, status, at: new Date().toISOString() }
  await rt.bus.send(rt.topics.receipts, [{ key: documentUuid, value: record }])
}
