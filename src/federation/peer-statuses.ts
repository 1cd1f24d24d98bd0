/**
 * Statuses between gateways, both directions, applied hop by hop: each gateway puts the status on
 * its own `receipts` topic (its timeline and status inbox) and federation/status-return.ts hands it on.
 *
 * Up (POST /v1/federation/receipts): a recipient's status (01–06, 15, 16, DELIVERY_FAILED) about a
 * document this gateway forwarded to the peer. The peer may only speak for legs forwarded to it: a
 * FORWARDED event to that peer must exist for the (document, recipient).
 *
 * Down (POST /v1/federation/recalls): the sender's 13 (thu hồi, recall) about a document the peer forwarded
 * to this gateway. The peer may only speak for documents that came from it (documents.via_peer) and for
 * recipients this gateway was asked to route; the edXML status package must come along and say the same
 * thing (From = the document's sender, ResponseFor = the document, StatusCode = 13), so the recipient's
 * system gets the sender's own package in its status inbox and answers 15/16 through POST /v1/status,
 * which travels back up.
 *
 * Idempotent both ways: the event key is derived from the peer's own event key.
 */
import crypto from 'node:crypto'
import { GatewayError } from '../errors.ts'
import type { Runtime } from '../runtime.ts'
import type { Principal } from '../store/clients-repo.ts'
import type { ReceiptRecord } from '../bus/topics.ts'
import { findBySenderDocumentId, forwardedLegs } from '../store/ledger-repo.ts'
import { peerOf } from './forward-rules.ts'
import { readIncoming } from '../ingest/incoming.ts'
import { verifyIncoming } from '../ingest/verify-incoming.ts'
import type { Verdict } from '../signing/verify-edxml.ts'
import { SENDER_STATUS_CODES } from '../receipts/submit-status.ts'
import { legAddressedAs } from '../store/succession-repo.ts'
import { eventKey } from '../delivery/event-key.ts'

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
  if ((await forwardedLegs(rt.db, doc.id, [s.recipient], peer)).length === 0) {
    throw new GatewayError('STATUS_NOT_ALLOWED', `${s.recipient} of ${s.documentId} was not forwarded to ${peer}`, { extra: { recipient: s.recipient } })
  }
  return publish(rt, peer, doc.id, s, s.statusPackage ? Buffer.from(s.statusPackage, 'base64') : undefined)
}

/** The sender's 13 (recall) about a document `who` forwarded to this gateway, for one of its recipients here. */
export async function acceptFederatedRecall(rt: Runtime, who: Principal, s: FederatedStatus): Promise<{ id: string; eventKey: string }> {
  const peer = peerOf(who)
  if (!peer) throw new GatewayError('FORBIDDEN', 'only a peer gateway key may pass on recalls')
  if (!SENDER_STATUS_CODES.has(s.status)) {
    throw new GatewayError('BAD_REQUEST', `only the sender's ${[...SENDER_STATUS_CODES].join(', ')} travels down; status ${s.status} goes to /v1/federation/receipts`)
  }
  const doc = await findBySenderDocumentId(rt.db, s.from, s.documentId)
  if (!doc || doc.state !== 'accepted') throw new GatewayError('DOCUMENT_NOT_FOUND', `no document ${s.documentId} from ${s.from} is known here`)
  if (doc.via_peer !== peer) {
    throw new GatewayError('STATUS_NOT_ALLOWED', `${s.documentId} did not come here from ${peer}`, { extra: { recipient: s.recipient } })
  }
  // the peer names the code it forwarded; here it may have gone to that code's successor
  const leg = await legAddressedAs(rt.db, doc.id, s.recipient)
  if (!leg || !doc.recipients.includes(leg)) {
    throw new GatewayError('STATUS_NOT_ALLOWED', `${s.recipient} is not a recipient of ${s.documentId} on this gateway`, { extra: { recipient: s.recipient } })
  }
  if (!s.statusPackage) throw new GatewayError('BAD_REQUEST', "a recall travels with the sender's edXML status package (statusPackage)")
  const bytes = Buffer.from(s.statusPackage, 'base64')
  // the package must say what the peer says: the relay cannot turn someone else's package into a recall
  const incoming = readIncoming(rt, bytes, s.statusContentType ?? 'application/xml')
  const env = incoming.envelope
  if (
    env.kind !== 'status' ||
    env.from !== doc.from_organ ||
    env.responseFor.organId !== doc.from_organ ||
    env.responseFor.documentId !== doc.document_id ||
    env.statusCode !== s.status
  ) {
    throw new GatewayError('STATUS_NOT_ALLOWED', `the status package is not ${doc.from_organ}'s ${s.status} for ${doc.document_id}`, { extra: { recipient: s.recipient } })
  }
  // the sender's own package, so its signature is checked here too, as on every surface (verify-incoming.ts)
  const signature = await verifyIncoming(rt, incoming, bytes, env.from)
  return publish(rt, peer, doc.id, { ...s, recipient: leg, statusFrom: env.from }, bytes, signature)
}

/** The status onto this gateway's `receipts` (acks=all), its event key derived from the peer's. */
async function publish(rt: Runtime, peer: string, id: string, s: FederatedStatus, pkg: Buffer | undefined, signature?: Verdict): Promise<{ id: string; eventKey: string }> {
  const statusBlob = pkg ? (await rt.blobs.put(pkg)).key : undefined
  const tag = crypto.createHash('sha256').update(`${peer} ${s.eventKey}`).digest('hex').slice(0, 24)
  const record: ReceiptRecord = {
    eventKey: eventKey(id, s.recipient, s.status, `peer:${tag}`),
    id,
    recipient: s.recipient,
    status: s.status,
    at: s.at,
    ...(statusBlob ? { statusBlob } : {}),
    ...(s.statusContentType ? { statusContentType: s.statusContentType } : {}),
    ...(s.statusFrom ? { statusFrom: s.statusFrom } : {}),
    ...(signature ? { signature } : {}),
  }
  try {
    await rt.bus.send(rt.topics.receipts, [{ key: id, value: record }])
  } catch (e) {
    throw new GatewayError('BUS_UNAVAILABLE', undefined, { cause: e })
  }
  return { id, eventKey: record.eventKey }
}
