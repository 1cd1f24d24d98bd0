/**
 * A client system sends an edXML status package (or its JSON form) about a document that passed through
 * this gateway, independent of the transport (REST POST /v1/status and SOAP SendStatus both call it):
 *
 *   1 safe parse + XSD (or JSON Schema)      2 it must be a status package (BAD_REQUEST)
 *   3 From ∈ caller's OrganIds (403 SENDER_NOT_ALLOWED)
 *   3b the signature, exactly as for documents (verify-incoming.ts: same policy, trust store, sender
 *      binding and codes); the verdict travels with the record onto the timeline and the status inbox
 *   4 ResponseFor (OrganId = the document's sender, DocumentId) names a document known here (404 DOCUMENT_NOT_FOUND)
 *   5 who may say what: a recipient of that document 01–06, 15, 16; its sender 13 (thu hồi, recall);
 *     anything else 403 STATUS_NOT_ALLOWED
 *   5b the edXML lifecycle of each leg (STATUS_ORDER_POLICY: 409 STATUS_OUT_OF_ORDER when refused)
 *   6 the package bytes → blob store (as sent)
 *   7 records → Kafka `receipts` (acks=all): a recipient's status goes onto that recipient's delivery
 *     timeline of the sender's document; a 13 goes onto every recipient's delivery timeline
 *   8 202 — only after 7 is confirmed
 *
 * Idempotent: the event key carries the SHA-256 of the package, and the answer is computed from the
 * package alone (its Timestamp is the event time), so re-posting the identical package answers the same
 * and adds nothing to any timeline.
 */
import crypto from 'node:crypto'
import { GatewayError } from '../errors.ts'
import type { Runtime } from '../runtime.ts'
import type { Principal } from '../store/clients-repo.ts'
import type { ReceiptRecord } from '../bus/topics.ts'
import { findBySenderDocumentId, legEvents, type DocumentRow } from '../store/ledger-repo.ts'
import { isBusinessCode, lifecycleVerdict } from './status-model.ts'
import { readIncoming } from '../ingest/incoming.ts'
import { signatureSummary, verifyStatusFrom, type SignatureSummary } from '../ingest/verify-incoming.ts'
import { legAnsweredBy } from '../ingest/closed-agencies.ts'
import { eventKey } from '../delivery/event-key.ts'

/** Codes a recipient of the document may send, and those its sender may send. */
export const RECIPIENT_STATUS_CODES: ReadonlySet<string> = new Set(['01', '02', '03', '04', '05', '06', '15', '16'])
export const SENDER_STATUS_CODES: ReadonlySet<string> = new Set(['13'])

export interface StatusAnswer {
  /** gateway id of the document the status is about */
  id: string
  documentId: string
  /** the document's sender (ResponseFor/OrganId) */
  documentFrom: string
  /** who sent the status (From/OrganId) */
  from: string
  statusCode: string
  /** 'recipient' (01–06/15/16) or 'sender' (13) */
  role: 'recipient' | 'sender'
  /** the delivery timelines the status was put on */
  recipients: string[]
  /** SHA-256 (hex) of the status package bytes as received */
  sha256: string
  /** the status Timestamp (Asia/Ho_Chi_Minh) as an instant */
  at: string
  /** the signature verdict (without its time, so a re-post answers byte for byte the same) */
  signature: SignatureSummary
}

export async function submitStatus(rt: Runtime, who: Principal, bytes: Buffer, contentType: string): Promise<StatusAnswer> {
  const incoming = readIncoming(rt, bytes, contentType)
  const env = incoming.envelope
  if (env.kind !== 'status') throw new GatewayError('BAD_REQUEST', 'this is a document package; send it to POST /v1/documents')
  if (!who.organIds.has(env.from)) {
    throw new GatewayError('SENDER_NOT_ALLOWED', `this API key may not send for ${env.from}`, { extra: { from: env.from } })
  }
  const signature = await verifyStatusFrom(rt, who, incoming, bytes, env.from)

  const doc = await findBySenderDocumentId(rt.db, env.responseFor.organId, env.responseFor.documentId)
  if (!doc || doc.state !== 'accepted') {
    throw new GatewayError('DOCUMENT_NOT_FOUND', `no document ${env.responseFor.documentId} from ${env.responseFor.organId} is known here`)
  }
  const code = env.statusCode
  // a successor answers for the closed agency it took over, on both sides (src/routing/succession.ts)
  const leg = legAnsweredBy(rt, doc.recipients, env.from)
  const isRecipient = leg !== null
  const isSender = doc.from_organ === env.from || legAnsweredBy(rt, [doc.from_organ], env.from) !== null
  let role: StatusAnswer['role']
  let targets: string[]
  if (isRecipient && RECIPIENT_STATUS_CODES.has(code)) {
    role = 'recipient'
    targets = [leg]
  } else if (isSender && SENDER_STATUS_CODES.has(code)) {
    role = 'sender'
    targets = [...doc.recipients]
  } else {
    const why = isRecipient
      ? `a recipient may send ${[...RECIPIENT_STATUS_CODES].join(', ')}`
      : isSender
        ? `the sender may send ${[...SENDER_STATUS_CODES].join(', ')}`
        : `${env.from} is neither the sender nor a recipient of this document`
    throw new GatewayError('STATUS_NOT_ALLOWED', `${env.from} may not send status ${code} for ${env.responseFor.documentId}: ${why}`, {
      extra: { from: env.from, statusCode: code },
    })
  }

  const sha256 = crypto.createHash('sha256').update(bytes).digest('hex')
  const at = statusInstant(env.timestamp)
  await checkLifecycle(rt, doc, targets, code, sha256, at)
  const { key: statusBlob } = await rt.blobs.put(bytes)
  const records: ReceiptRecord[] = targets.map((recipient) => ({
    eventKey: eventKey(doc.id, recipient, code, sha256),
    id: doc.id,
    recipient,
    status: code,
    at,
    statusBlob,
    statusContentType: incoming.contentType,
    statusFrom: env.from,
    signature,
  }))
  try {
    await rt.bus.send(
      rt.topics.receipts,
      records.map((value) => ({ key: doc.id, value })),
    )
  } catch (e) {
    throw new GatewayError('BUS_UNAVAILABLE', undefined, { cause: e })
  }
  return {
    id: doc.id,
    documentId: doc.document_id,
    documentFrom: doc.from_organ,
    from: env.from,
    statusCode: code,
    role,
    recipients: targets,
    sha256,
    at,
    signature: signatureSummary(signature),
  }
}

/**
 * The edXML lifecycle on every leg the status goes onto, under STATUS_ORDER_POLICY (the receipts projection
 * flags what this lets through). A re-post of a status already recorded is a replay, not a new step.
 */
async function checkLifecycle(rt: Runtime, doc: DocumentRow, targets: string[], code: string, sha256: string, at: string): Promise<void> {
  const policy = rt.config.statusOrderPolicy
  if (policy === 'flag') return
  const events = await legEvents(rt.db, doc.id, targets)
  for (const recipient of targets) {
    const mine = events.filter((e) => e.recipient === recipient)
    if (mine.some((e) => e.event_key === eventKey(doc.id, recipient, code, sha256))) continue
    const v = lifecycleVerdict(mine.map((e) => e.status).filter(isBusinessCode), code, at, doc)
    if (v.outOfOrder && (policy === 'refuse' || v.kind === 'impossible')) {
      throw new GatewayError('STATUS_OUT_OF_ORDER', `${code} on ${recipient}'s leg of ${doc.document_id}: ${v.reason}`, { extra: { recipient, statusCode: code } })
    }
  }
}

/** 'yyyy/MM/dd HH:mm:ss' in Asia/Ho_Chi_Minh (UTC+7, no DST) → ISO instant; the schema enforces the form. */
export function statusInstant(ts: string | undefined): string {
  const m = ts && /^(\d{4})\/(\d{2})\/(\d{2}) (\d{2}):(\d{2}):(\d{2})$/.exec(ts)
  if (!m) throw new GatewayError('EDXML_SCHEMA_INVALID', `status Timestamp "${ts ?? ''}" is not yyyy/MM/dd HH:mm:ss`)
  const d = new Date(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}+07:00`)
  if (Number.isNaN(d.getTime())) throw new GatewayError('EDXML_SCHEMA_INVALID', `status Timestamp "${ts}" is not a valid date`)
  return d.toISOString()
}
