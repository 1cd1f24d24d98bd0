/**
 * VXP upstream adapter: a document for recipients outside this gateway's jurisdiction goes to a national
 * axis that speaks the VXP protocol (a PEERS entry with "protocol": "vxp"), as the SDK would send it —
 * `sendEdoc`, raw .edxml body (the sender's signed bytes untouched), `from` = the package's From, `to` = the
 * recipients this link carries (JSON array). The axis dedupes on the package, so a retried send answers the
 * first DocId. Selected per peer: upstream.ts hands records for a VXP peer to this adapter.
 *
 * A FAIL answer whose code cannot change on retry (the package or its routing is refused) is permanent →
 * DLQ; authentication, replay and availability failures are retried (an operator fixes credentials or
 * clocks; the next attempt signs anew). Statuses come back by polling (src/federation/vxp-peer-poll.ts).
 */
import type { Runtime } from '../runtime.ts'
import type { Peer } from '../config/config.ts'
import type { DeliveryRecord } from '../bus/topics.ts'
import { forwardedLegs, recordEvent } from '../store/ledger-repo.ts'
import { asEdxml } from '../ingest/incoming.ts'
import { PermanentDeliveryError, type AttemptContext, type DeliveryOutcome } from './adapter.ts'
import { packageOf } from './http-push.ts'
import { callVxp } from './vxp-call.ts'
import { SpanKind } from '../tracing/index.ts'
import { eventKey } from '../delivery/event-key.ts'

/** Refusals retrying cannot change (docs/errors.md); anything else — auth, clock, replay, 5xx — is retried. */
const PERMANENT = new Set([
  'BAD_REQUEST',
  'UNSUPPORTED_MEDIA_TYPE',
  'PAYLOAD_TOO_LARGE',
  'XML_MALFORMED',
  'XML_FORBIDDEN_CONSTRUCT',
  'XML_TOO_DEEP',
  'EDXML_SCHEMA_INVALID',
  'SIGNATURE_REQUIRED',
  'SIGNATURE_INVALID',
  'SIGNATURE_PROFILE_VIOLATION',
  'SIGNATURE_ALGORITHM_REFUSED',
  'CERT_UNTRUSTED',
  'CERT_EXPIRED',
  'CERT_REVOKED',
  'SIGNER_NOT_SENDER',
  'UNKNOWN_RECIPIENT',
  'INVALID_AGENCY_CODE',
  'DUPLICATE_DOCUMENT',
  'SENDER_NOT_ALLOWED',
  'VXP_HASH_FILE_MISMATCH',
])

export async function deliverToVxp(rt: Runtime, peer: Peer, record: DeliveryRecord, ctx: AttemptContext): Promise<DeliveryOutcome> {
  const recipients = record.recipients ?? [record.recipient]
  if ((await forwardedLegs(rt.db, record.id, recipients)).length === recipients.length) return { fresh: false, arrived: false }

  const pkg = await packageOf(rt, record)
  const bytes = asEdxml(pkg.bytes, pkg.contentType).bytes // the axis carries .edxml only
  const answer = await rt.tracing.span(
    'gateway.forward.vxp',
    { kind: SpanKind.CLIENT, attributes: { 'url.full': `${peer.url}/sendEdoc`, 'lgsp.recipients': recipients.length } },
    () =>
      callVxp(peer, 'sendEdoc', {
        params: [
          ['servicetype', 'eDoc'],
          ['messagetype', 'edoc'],
          ['from', record.from],
          ['to', JSON.stringify(recipients)],
        ],
        file: bytes,
        timeoutMs: ctx.timeoutMs,
        maxBytes: 1024 * 1024,
        offset: rt.config.vxpTimestampOffset,
      }),
  )
  if (answer.status !== 'OK') {
    const msg = `sendEdoc to ${peer.url}: ${answer.ErrorCode} ${answer.ErrorDesc}`
    if (PERMANENT.has(answer.ErrorCode)) throw new PermanentDeliveryError(msg)
    throw new Error(msg)
  }
  const at = new Date().toISOString()
  await rt.db.tx(async (q) => {
    for (const r of recipients) {
      await recordEvent(q, {
        eventKey: eventKey(record.id, r, 'FORWARDED'),
        id: record.id,
        recipient: r,
        status: 'FORWARDED',
        at,
        detail: { gateway: peer.url, protocol: 'vxp', remoteId: typeof answer.DocId === 'string' ? answer.DocId : null },
      })
    }
  })
  return { fresh: true, arrived: false }
}

/**
 * A status for a leg that crossed a VXP peer, as the SDK sends a status — sendEdoc(messagetype=status) with
 * the edXML package itself: a recipient's 01–16 about a document the peer brought here, or the sender's 13
 * (thu hồi) for a leg forwarded there. 'refused' when retrying cannot change the answer; throws otherwise.
 */
export async function sendStatusToVxp(rt: Runtime, peer: Peer, from: string, statusPackage: Buffer, contentType = 'application/xml'): Promise<'sent' | 'refused'> {
  const answer = await callVxp(peer, 'sendEdoc', {
    params: [
      ['servicetype', 'eDoc'],
      ['messagetype', 'status'],
      ['from', from],
    ],
    file: asEdxml(statusPackage, contentType).bytes,
    timeoutMs: rt.config.deliveryTimeoutMs,
    maxBytes: 1024 * 1024,
    offset: rt.config.vxpTimestampOffset,
  })
  if (answer.status === 'OK') return 'sent'
  if (PERMANENT.has(answer.ErrorCode) || answer.ErrorCode === 'DOCUMENT_NOT_FOUND' || answer.ErrorCode === 'STATUS_NOT_ALLOWED') return 'refused'
  throw new Error(`sendEdoc(status) to ${peer.url}: ${answer.ErrorCode} ${answer.ErrorDesc}`)
}
