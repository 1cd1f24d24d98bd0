/**
 * A peer gateway hands back a status about a document this gateway forwarded to it (issue #5): the status
 * travels back hop by hop, each gateway applying it to its own timeline (receipts topic) and, when the
 * document itself came from a peer, handing it further back (workers/status-return.ts).
 *
 * The peer may only speak for legs forwarded to it: a FORWARDED event to that peer must exist for the
 * (document, recipient). Idempotent: the event key is derived from the peer's own event key.
 */
import crypto from 'node:crypto'
import { GatewayError } from '../errors.ts'
import type { Runtime } from '../runtime.ts'
import type { Principal } from '../store/clients-repo.ts'
import type { ReceiptRecord } from '../bus/topics.ts'
import { findBySenderDocumentId } from '../store/ledger-repo.ts'
import { peerOf } from './federation.ts'

/** What one gateway sends another (POST /v1/federation/receipts). */
export interface FederatedStatus {
  /** the document's sender and DocumentId: the same on every gateway it crossed */
  from: string
  documentId: string
  recipient: string
  /** edXML status code ('01'…'16') or DELIVERY_FAILED */
  status: string
  at: string
  /** the sending gateway's event key (idempotency) */
  eventKey: string
  /** the status package, base64, as the recipient (or its gateway) produced it */
  statusPackage?: string
  statusContentType?: string
  statusFrom?: string
}

export async function acceptFederatedStatus(rt: Runtime, who: Principal, s: FederatedStatus): Promise<{ id: string; eventKey: string }> {
  const peer = peerOf(who)
  if (!peer) throw new GatewayError('FORBIDDEN', 'only a peer gateway key may hand back federated statuses')
  const doc = await findBySenderDocumentId(rt.db, s.from, s.documentId)
  if (!doc) throw new GatewayError('DOCUMENT_NOT_FOUND', `no document ${s.documentId} from ${s.from} is known here`)
  const leg = await rt.db.query(
    `select 1 from delivery_events where document_uuid = $1 and recipient = $2 and status = 'FORWARDED' and detail->>'gateway' = $3`,
    [doc.id, s.recipient, peer],
  )
  if (leg.rowCount === 0) {
    throw new GatewayError('STATUS_NOT_ALLOWED', `${s.recipient} of ${s.documentId} was not forwarded to ${peer}`, { extra: { recipient: s.recipient } })
  }
  const statusBlob = s.statusPackage ? (await rt.blobs.put(Buffer.from(s.statusPackage, 'base64'))).key : undefined
  const tag = crypto.createHash('sha256').update(`${peer} ${s.eventKey}`).digest('hex').slice(0, 24)
  const record: ReceiptRecord & { statusContentType?: string; statusFrom?: string } = {
    eventKey: `${doc.id}:${s.recipient}:${s.status}:peer:${tag}`,
    id: doc.id, recipient: s.recipient, status: s.status, at: s.at,
    ...(statusBlob ? { statusBlob } : {}),
    ...(s.statusContentType ? { statusContentType: s.statusContentType } : {}),
    ...(s.statusFrom ? { statusFrom: s.statusFrom } : {}),
  }
  try {
    await rt.bus.send(rt.topics.receipts, [{ key: doc.id, value: record }])
  } catch (e) {
    throw new GatewayError('BUS_UNAVAILABLE', undefined, { cause: e })
  }
  return { id: doc.id, eventKey: record.eventKey }
}
