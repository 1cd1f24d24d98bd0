/**
 * HTTP push adapter: POSTs the exact bytes the sender sent to the agency system's URL (directory endpoint
 * `http:<url>`), authenticated by the gateway.
 *
 * Receiver contract (what an agency system implements; the full page is docs/push-receivers.md):
 *   POST <url>   body = the package bytes, Content-Type as sent (application/xml | application/json)
 *   Idempotency-Key / X-Lgsp-Delivery-Id   "<gateway document id>:<recipient OrganId>" — the same on every
 *       retry: keep it and answer 2xx again for a repeat (at-least-once delivery, exactly-once effect)
 *   Digest        sha-256=<base64 of the body's SHA-256>
 *   X-Lgsp-Timestamp  unix seconds;  X-Lgsp-Attempt  1, 2, … (counted before each attempt: a repeat after a
 *       crash carries a higher number under the same Idempotency-Key)
 *   X-Lgsp-Signature  v1=<base64 HMAC-SHA256(key, "<delivery id>.<timestamp>.<body sha256 hex>")>, key =
 *       PUSH_HMAC_KEY (or DATA_DIR/push-hmac.key), shared with the receiver out of band
 *   2xx = arrived (the gateway then emits status 01 "đã đến" for the recipient); 3xx is refused (no
 *   redirects are followed); a 4xx = refused for good (DLQ at once), except 401/403/408/421/423/425/429
 *   (httpOutcome in src/delivery/contract.ts); anything else, a timeout or a network error = retried
 *   with backoff.
 *
 * Bounded (src/net/outbound-http.ts): the SSRF guard, one explicit timeout per attempt (DELIVERY_TIMEOUT_MS)
 * from connect to the last byte of the answer, of which at most 64 KiB are read (200 characters go to the
 * attempt log).
 */
import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import type { Runtime } from '../runtime.ts'
import type { DeliveryRecord } from '../bus/topics.ts'
import { getDocument } from '../store/ledger-repo.ts'
import { alreadyDelivered, httpOutcome, markDelivered } from '../delivery/contract.ts'
import { PermanentDeliveryError, type AttemptContext, type DeliveryAdapter } from './adapter.ts'
import { traceHeaders } from '../tracing/index.ts'
import { OutboundRefused, privateAllowedFor, sendOutbound, type StreamedBody } from '../net/outbound-http.ts'

export const deliveryIdOf = (r: DeliveryRecord) => `${r.id}:${r.recipient}`

const keys = new WeakMap<Runtime, Buffer>()
/** The push HMAC key: PUSH_HMAC_KEY, else one generated once and kept in DATA_DIR/push-hmac.key. */
export function pushKey(rt: Runtime): Buffer {
  let k = keys.get(rt)
  if (k) return k
  if (rt.config.pushHmacKey) k = Buffer.from(rt.config.pushHmacKey, 'utf8')
  else {
    const file = path.join(rt.config.dataDir, 'push-hmac.key')
    if (!fs.existsSync(file)) {
      fs.mkdirSync(rt.config.dataDir, { recursive: true })
      fs.writeFileSync(file, crypto.randomBytes(32).toString('base64url') + '\n', { mode: 0o600, flag: 'wx' })
    }
    k = Buffer.from(fs.readFileSync(file, 'utf8').trim(), 'utf8')
  }
  keys.set(rt, k)
  return k
}

export function pushSignature(key: Buffer, deliveryId: string, timestamp: string, sha256Hex: string): string {
  return `v1=${crypto.createHmac('sha256', key).update(`${deliveryId}.${timestamp}.${sha256Hex}`).digest('base64')}`
}

/** The package bytes and stored content type of a delivery record, held whole (up to BODY_LIMIT). */
export async function packageOf(rt: Runtime, r: DeliveryRecord): Promise<{ bytes: Buffer; contentType: string }> {
  const doc = await getDocument(rt.db, r.id)
  if (!doc) throw new PermanentDeliveryError(`document ${r.id} is no longer in the ledger`)
  // the callers wrap the package (SOAP push, the axis' sendEdoc): held whole, so bounded like a request body
  if (Number(doc.size) > rt.config.bodyLimit)
    throw new PermanentDeliveryError(
      `the package is ${doc.size} bytes, more than BODY_LIMIT (${rt.config.bodyLimit}) can carry wrapped in SOAP or the axis' protocol; the agency can pull it over REST`,
    )
  return { bytes: await rt.blobs.get(doc.blob_key), contentType: doc.content_type }
}

/**
 * The package as a POST body: in memory up to STREAM_THRESHOLD_BYTES, above it streamed from the payload
 * store (checked against its SHA-256 as it is read), so a push or a forward of a large package holds none of it.
 */
export async function packageBodyOf(rt: Runtime, r: DeliveryRecord): Promise<{ body: Buffer | StreamedBody; contentType: string }> {
  const doc = await getDocument(rt.db, r.id)
  if (!doc) throw new PermanentDeliveryError(`document ${r.id} is no longer in the ledger`)
  const size = Number(doc.size)
  if (size <= rt.config.streamThresholdBytes) return { body: await rt.blobs.get(doc.blob_key), contentType: doc.content_type }
  return { body: { stream: () => rt.blobs.stream(doc.blob_key), length: size }, contentType: doc.content_type }
}

export interface PostResult {
  status: number
  body: string
  headers: Headers
}

/**
 * One bounded POST through the one outbound client (src/net/outbound-http.ts): SSRF guard (private
 * targets only where OUTBOUND_ALLOW_PRIVATE or PEERS says so), one deadline, no redirects, the answer read
 * to at most 64 KiB. Resolves with the answer for any status; a refused target is a PermanentDeliveryError;
 * network errors and timeouts throw (retry).
 */
export async function boundedPost(rt: Runtime, url: string, body: Buffer | string | StreamedBody, headers: Record<string, string>, timeoutMs: number): Promise<PostResult> {
  try {
    // W3C trace context of the current delivery/forward/status span (nothing when tracing is off), so a
    // receiving QLVB system or peer gateway can continue the trace; explicit headers win
    const a = await sendOutbound({ url, headers: { ...traceHeaders(), ...headers }, body, timeoutMs, allowPrivate: privateAllowedFor(rt.config, url) })
    return { status: a.status, body: a.body, headers: a.headers }
  } catch (e) {
    if (e instanceof OutboundRefused) throw new PermanentDeliveryError(e.message)
    throw e
  }
}

/** 2xx → resolves; a lasting refusal (httpOutcome) → PermanentDeliveryError; anything else → Error (retry). */
export function judge(url: string, r: PostResult): void {
  const outcome = httpOutcome(r.status)
  if (outcome === 'done') return
  const msg = `POST ${url}: HTTP ${r.status}${r.status >= 300 && r.status < 400 ? ` (redirect to ${r.headers.get('location') ?? '?'} refused)` : ''}${r.body ? `: ${r.body.replace(/\s+/g, ' ').slice(0, 200)}` : ''}`
  if (outcome === 'refused') throw new PermanentDeliveryError(msg)
  throw new Error(msg)
}

/** The idempotency and authentication headers every push carries. */
export function pushHeaders(rt: Runtime, r: DeliveryRecord, ctx: AttemptContext, sha256Hex: string): Record<string, string> {
  const deliveryId = deliveryIdOf(r)
  const ts = String(Math.floor(Date.now() / 1000))
  return {
    'idempotency-key': deliveryId,
    'x-lgsp-delivery-id': deliveryId,
    'x-lgsp-document-id': encodeURIComponent(r.documentId),
    'x-lgsp-from': r.from,
    'x-lgsp-to': r.recipient,
    'x-lgsp-attempt': String(ctx.attempt),
    'x-lgsp-timestamp': ts,
    'x-lgsp-signature': pushSignature(pushKey(rt), deliveryId, ts, sha256Hex),
    digest: `sha-256=${Buffer.from(sha256Hex, 'hex').toString('base64')}`,
    'user-agent': `lgsp-gateway/${rt.config.gatewayId}`,
  }
}

export const httpPushAdapter: DeliveryAdapter = {
  kind: 'http',
  async deliver(rt, record, agency, ctx) {
    if (!agency || agency.endpoint.kind !== 'http') throw new PermanentDeliveryError(`${record.recipient} has no HTTP push endpoint`)
    // arrived: true again, so a 01 lost to a crash after the DELIVERED event is emitted (idempotent by key)
    if (await alreadyDelivered(rt, record)) return { fresh: false, arrived: true }
    const url = agency.endpoint.url
    const pkg = await packageBodyOf(rt, record)
    const res = await boundedPost(rt, url, pkg.body, { 'content-type': pkg.contentType, ...pushHeaders(rt, record, ctx, record.sha256) }, ctx.timeoutMs)
    judge(url, res)
    await markDelivered(rt, record, { adapter: 'http', url, httpStatus: res.status, attempt: ctx.attempt })
    return { fresh: true, arrived: true }
  },
}
