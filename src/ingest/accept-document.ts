/**
 * Steps 2–8 of the one path every document takes (ARCHITECTURE.md), independent of the transport:
 * parse safely → authorize the sender → plan the route → dedupe → store the payload → produce to Kafka
 * (acks=all) → answer. Nothing is acknowledged before Kafka confirmed the record, and a failed write
 * leaves nothing half-stored.
 */
import crypto from 'node:crypto'
import { GatewayError } from '../errors.ts'
import type { Runtime } from '../runtime.ts'
import type { Principal } from '../store/clients-repo.ts'
import { formatOf, readIncoming } from './incoming.ts'
import { discardSpool, isSpooled, spoolRange, type SpooledPackage } from './receive-package.ts'
import type { ElidedSource } from '../signing/elided-digest.ts'
import { recordPackageIndex, type PackageIndex } from '../store/package-index-repo.ts'
import { sha256Hex } from '../store/blobs.ts'
import { verifyIncoming } from './verify-incoming.ts'
import { businessTypeOf, withOriginalRecipients } from './follow-up.ts'
import type { Verdict } from '../signing/verify-edxml.ts'
import { planRoute } from '../routing/route-planner.ts'
import type { DocumentRecord } from '../bus/topics.ts'
import { BusUnavailableError } from '../bus/kafka.ts'
import type { Tier } from '../routing/types.ts'
import { inLogTransaction, logAccepted } from '../store/message-log-repo.ts'
import type { Span } from '../tracing/index.ts'
import { closedRecipientsError, closedSenderCheck, redirectedLegs, redirectOf, type ReorganisationNotes } from './closed-agencies.ts'
import { recordRedirections } from '../store/succession-repo.ts'
// ── federation ──
import { maySendFor, peerOf, recipientsToRoute, tierHint } from '../federation/forward-rules.ts'
import {
  acceptOnce,
  blobHeld,
  claimOrphan,
  dropPending,
  findBySenderDocumentId,
  leaseOf,
  legsOf,
  releaseLease,
  ReservationDroppedError,
  reserveDocument,
  type Lease,
  type AcceptanceAnswer,
  type DocumentRow,
} from '../store/ledger-repo.ts'

export interface Accepted {
  answer: AcceptanceAnswer
  replayed: boolean
}

/**
 * `contentType` picks the form: application/xml or text/xml (edXML bytes) or application/json (the JSON
 * form, src/schemas/json.ts); anything else is 415. The bytes are stored exactly as sent, with the
 * normalised content type (application/xml | application/json); readers convert on read.
 */
export async function acceptDocument(
  rt: Runtime,
  who: Principal,
  body: Buffer | SpooledPackage,
  contentType: string,
  opts: { forwardFor?: string | string[] } = {},
): Promise<Accepted> {
  // one span per submission on every surface (REST, SOAP, a peer's forward); the record produced inside
  // carries it, so routing and delivery continue this trace
  const pkg = packageOf(body)
  return rt.tracing.span('document.accept', { attributes: { 'lgsp.client': who.clientId, 'lgsp.bytes': pkg.size, 'lgsp.streamed': !!pkg.spooled } }, async (span) => {
    try {
      const r = await accept(rt, who, pkg, contentType, opts, span)
      span.setAttributes({ 'lgsp.document.uuid': r.answer.id, 'lgsp.document.id': r.answer.documentId, 'lgsp.replayed': r.replayed })
      return r
    } finally {
      if (pkg.spooled) await discardSpool(pkg.spooled) // adopted by the store when accepted; a refusal leaves nothing
    }
  })
}

/**
 * A package as the steps below see it: the bytes every check reads (the package itself, or the skeleton of a
 * streamed one, src/schemas/skeleton.ts), its SHA-256 and size as received, and for a streamed package the
 * spool file its attachment runs are read from.
 */
interface Package {
  bytes: Buffer
  sha256: string
  size: number
  spooled?: SpooledPackage
}

function packageOf(body: Buffer | SpooledPackage): Package {
  if (!isSpooled(body)) return { bytes: body, sha256: sha256Hex(body), size: body.length }
  return { bytes: body.skeleton.bytes, sha256: body.sha256, size: body.size, spooled: body }
}

const elidedSourceOf = (p: SpooledPackage): ElidedSource => ({
  nonce: p.skeleton.nonce,
  runs: p.skeleton.runs,
  read: (run) => spoolRange(p, run.offset, run.length),
})

async function accept(rt: Runtime, who: Principal, pkg: Package, contentType: string, opts: { forwardFor?: string | string[] }, span: Span): Promise<Accepted> {
  const { bytes, sha256 } = pkg
  if (pkg.spooled && formatOf(contentType) !== 'xml') throw new GatewayError('PAYLOAD_TOO_LARGE', 'only edXML packages are streamed; the JSON form is bounded by BODY_LIMIT')
  const incoming = readIncoming(rt, bytes, contentType)
  const env = incoming.envelope
  contentType = incoming.contentType
  if (env.kind !== 'edoc') throw new GatewayError('BAD_REQUEST', 'this is a status package; send it to POST /v1/status')
  if (!maySendFor(who, env.from)) {
    // own OrganIds, or a peer gateway within its link's jurisdiction
    throw new GatewayError('SENDER_NOT_ALLOWED', `this API key may not send for ${env.from}`, { extra: { from: env.from } })
  }
  // the signature is checked on the bytes as received, against the trust store and the From binding;
  // the signed From must equal the From the envelope was read from (no second reading of other bytes)
  const signature = await verifyIncoming(rt, incoming, bytes, env.from, pkg.spooled ? elidedSourceOf(pkg.spooled) : undefined)
  // one instant for the whole acceptance: closures take effect by date, and the router re-plans at this time
  const acceptedAt = new Date().toISOString()
  const senderClosed = closedSenderCheck(rt, env.from, acceptedAt)

  // ── federation: a peer names the recipients it forwards; its URL is the document's provenance ──
  const via = peerOf(who)
  span.setAttributes({ 'lgsp.from': env.from, ...(via ? { 'lgsp.via': via } : {}) })
  const businessType = businessTypeOf(env.bussinessDocType)
  const to = who.role === 'gateway' ? recipientsToRoute(who, env.to, opts.forwardFor) : await withOriginalRecipients(rt, env, businessType)
  const plan = planRoute(rt.directory(), selfOf(rt), { from: env.from, to, via, at: acceptedAt })
  const refused = plan.filter((s) => s.action === 'refuse')
  if (refused.length) {
    const closed = closedRecipientsError(refused)
    if (closed) throw closed
    const code = refused.some((s) => s.code === 'UNKNOWN_RECIPIENT') ? 'UNKNOWN_RECIPIENT' : 'INVALID_AGENCY_CODE'
    throw new GatewayError(code, `cannot route to ${refused.map((s) => s.organId).join(', ')}`, {
      errors: refused.map((s) => ({ path: `To[OrganId=${s.organId}]`, message: s.action === 'refuse' ? s.reason : '' })),
    })
  }
  const recipients: { organId: string; tier: Tier }[] = plan.map((s) => {
    if (s.action === 'forward') return { organId: s.organId, tier: tierHint(s.organId) } // its gateway decides
    if (s.action !== 'deliver') throw new GatewayError('UNKNOWN_RECIPIENT', `${s.organId} cannot be routed`)
    return { organId: s.organId, tier: s.tier }
  })

  const seen = await findBySenderDocumentId(rt.db, env.from, env.documentId, businessType)
  if (seen) return replayOrRefuse(rt, seen, pkg)

  // the row is reserved before any payload byte is written, so no blob exists without its row; the blob
  // store is content-addressed, so its key is known before the write
  const id = crypto.randomUUID()
  const reservation = {
    id,
    from: env.from,
    documentId: env.documentId,
    sha256,
    size: pkg.size,
    contentType,
    blobKey: sha256,
    subject: env.subject ?? null,
    recipients,
    clientId: who.clientId,
    businessType,
    viaPeer: via,
    promulgated: env.promulgationDate ?? null,
  }
  const redirected = redirectedLegs(plan)
  // the reservation is one statement; redirections and a streamed package's index join it in a transaction
  const r =
    !redirected.length && !pkg.spooled
      ? await reserveDocument(rt.db, reservation)
      : await rt.db.tx(async (q) => {
          const res = await reserveDocument(q, reservation)
          if (res.reserved) await recordRedirections(q, id, redirected, acceptedAt)
          if (res.reserved && pkg.spooled) await recordPackageIndex(q, indexOf(pkg.spooled))
          return res
        })
  if (!r.reserved) return replayOrRefuse(rt, r.existing, pkg) // a concurrent twin won the race
  await storePayload(rt, id, r.lease, pkg)
  return publish(
    rt,
    r.lease,
    { id, from: env.from, documentId: env.documentId, to: recipients.map((x) => x.organId), sha256, size: pkg.size, contentType, acceptedAt, ...(via ? { via } : {}) },
    recipients,
    signature,
    { plan, senderClosed },
  )
}

const indexOf = (p: SpooledPackage): PackageIndex => ({ blobKey: p.sha256, skeletonKey: sha256Hex(p.skeleton.bytes), nonce: p.skeleton.nonce, runs: p.skeleton.runs })

/**
 * The payload into the blob store for a reserved row; a failed write drops the reservation. A streamed
 * package stores its skeleton too (what its attachments are listed and found from), then the spool file
 * becomes the payload.
 */
async function storePayload(rt: Runtime, id: string, lease: Lease, pkg: Package): Promise<void> {
  try {
    if (pkg.spooled) {
      await rt.blobs.put(pkg.spooled.skeleton.bytes)
      await rt.blobs.adopt(pkg.spooled.file, { key: pkg.sha256, size: pkg.size, md5: pkg.spooled.md5 })
    } else await rt.blobs.put(pkg.bytes)
  } catch (e) {
    rt.log.error({ err: e, id }, 'blob store refused the payload; reservation dropped')
    await dropPending(rt.db, id, lease).catch((err) => rt.log.error({ err, id }, 'could not drop reservation'))
    throw new GatewayError('STORE_UNAVAILABLE', 'the payload store refused the write; nothing was accepted', { cause: e })
  }
}

/** A dropped reservation takes its payload with it, unless another row holds the same bytes. */
async function dropReservation(rt: Runtime, id: string, lease: Lease, blobKey: string): Promise<void> {
  if (!(await dropPending(rt.db, id, lease))) {
    rt.log.info({ id }, 'reservation kept: it was accepted, or a resend holds it now')
    return
  }
  rt.log.error({ id }, 'kafka refused the document record; reservation dropped')
  if (!(await blobHeld(rt.db, blobKey))) await rt.blobs.remove(blobKey)
}

/** A repeat of (From, DocumentId): the same bytes get the first answer; other bytes are refused. */
async function replayOrRefuse(rt: Runtime, row: DocumentRow, pkg: Package): Promise<Accepted> {
  const { sha256 } = pkg
  if (row.sha256 !== sha256) {
    throw new GatewayError('DUPLICATE_DOCUMENT', `DocumentId ${row.document_id} was already sent by ${row.from_organ} with other content`, {
      extra: { id: row.id },
    })
  }
  if (row.state === 'accepted' && row.receipt) return { answer: row.receipt, replayed: true }
  let lease: Lease | null = null
  while (!lease) {
    const settled = await awaitTwin(rt, row.id)
    if (settled) return { answer: settled, replayed: true }
    // claim the orphan with a conditional update, so of several retries exactly one publishes again
    lease = await claimOrphan(rt.db, row.id)
  }
  // reserved earlier but never confirmed (a crash or a Kafka failure between the steps): store (the write
  // is idempotent, the crash may have come before it) and publish again; every consumer is idempotent on
  // the document id, so a second record delivers nothing twice
  if (pkg.spooled) await recordPackageIndex(rt.db, indexOf(pkg.spooled))
  await storePayload(rt, row.id, lease, pkg)
  const tiers = await legsOf(rt.db, row.id)
  const order = new Map(row.recipients.map((o, i) => [o, i]))
  const recipients = tiers.map((t) => ({ organId: t.recipient, tier: t.tier })).sort((a, b) => order.get(a.organId)! - order.get(b.organId)!)
  const via = row.via_peer
  const p = await publish(
    rt,
    lease,
    { id: row.id, from: row.from_organ, documentId: row.document_id, to: row.recipients, sha256, size: Number(row.size), contentType: row.content_type, ...(via ? { via } : {}) },
    recipients,
  )
  return { ...p, replayed: true }
}

/**
 * A pending row whose lease (documents.claimed_until) is current belongs to a request still in flight (a
 * concurrent identical POST): wait for its outcome instead of producing a second record, so every caller
 * gets the one answer, byte for byte. Returns null when the lease is released or expired (the owner failed
 * after Kafka, or crashed) and the row must be published again here.
 */
async function awaitTwin(rt: Runtime, id: string): Promise<AcceptanceAnswer | null> {
  // a live twin settles within its produce budget; waiting longer means its request died holding the lease
  // (a killed process): answer 503 with the lease's remaining time instead of hanging until it runs out
  const deadline = Date.now() + rt.config.kafkaProduceTimeoutMs + 1000
  for (;;) {
    const r = await leaseOf(rt.db, id)
    if (!r) throw new GatewayError('BUS_UNAVAILABLE', 'a concurrent identical submission failed; nothing was accepted, retry')
    if (r.state === 'accepted' && r.receipt) return r.receipt
    if (!r.claimed) return null
    if (Date.now() > deadline) {
      throw new GatewayError('BUS_UNAVAILABLE', 'an earlier submission of these bytes is still unconfirmed; retry after Retry-After', { retryAfterS: Math.max(1, r.leftS) })
    }
    await new Promise((res) => setTimeout(res, 25))
  }
}

async function publish(
  rt: Runtime,
  lease: Lease,
  d: Omit<DocumentRecord, 'acceptedAt'> & { acceptedAt?: string },
  recipients: { organId: string; tier: Tier }[],
  signature?: Verdict,
  reorg?: ReorganisationNotes,
): Promise<Accepted> {
  const acceptedAt = d.acceptedAt ?? new Date().toISOString()
  const record: DocumentRecord = { ...d, acceptedAt }
  try {
    await rt.bus.send(rt.topics.documents, [{ key: d.from, value: record }])
  } catch (e) {
    const settled = e instanceof BusUnavailableError ? e.settled : null
    if (settled) {
      // the write is still in flight: the caller hears 503 now; if Kafka takes the record later the document
      // is accepted then (the sender's retry of the same bytes gets that answer), otherwise the reservation goes
      rt.log.warn({ err: e, id: d.id }, 'kafka did not confirm the document record in time; answering 503, the write is still in flight')
      settled
        .then(
          () => confirm(rt, d, recipients, acceptedAt, signature, reorg).then(() => rt.log.info({ id: d.id }, 'late Kafka confirmation: document accepted')),
          (err) => {
            rt.log.warn({ err, id: d.id }, 'kafka refused the document record late')
            return dropReservation(rt, d.id, lease, d.sha256)
          },
        )
        .catch((err) => rt.log.error({ err, id: d.id }, 'could not settle the reservation after a late Kafka answer'))
    } else {
      rt.log.warn({ err: e, id: d.id }, 'kafka refused the document record')
      await dropReservation(rt, d.id, lease, d.sha256).catch((err) => rt.log.error({ err, id: d.id }, 'could not drop reservation'))
    }
    throw new GatewayError('BUS_UNAVAILABLE', (e as Error).message, { cause: e })
  }
  return { answer: await confirm(rt, d, recipients, acceptedAt, signature, reorg), replayed: false }
}

/** Kafka holds the record: the answer with the gateway's signed receipts, and the ledger and message log. */
export async function confirm(
  rt: Runtime,
  d: Omit<DocumentRecord, 'acceptedAt'>,
  recipients: { organId: string; tier: Tier }[],
  acceptedAt: string,
  signature?: Verdict,
  reorg?: ReorganisationNotes,
): Promise<AcceptanceAnswer> {
  const answer: AcceptanceAnswer = {
    id: d.id,
    documentId: d.documentId,
    sha256: d.sha256,
    acceptedAt,
    recipients: recipients.map((r) => ({
      organId: r.organId,
      tier: r.tier,
      status: 'ACCEPTED',
      // non-repudiation: the gateway signs what it accepted, for whom, and when
      receipt: rt.signing.receipt({ documentId: d.documentId, sha256: d.sha256, recipient: r.organId, status: 'ACCEPTED', time: acceptedAt }),
      ...redirectOf(reorg, r.organId),
    })),
    ...(signature ? { signature } : {}),
    ...(reorg?.senderClosed ? { senderClosed: reorg.senderClosed } : {}),
  }
  try {
    return await markAccepted(rt, { answer, from: d.from })
  } catch (e) {
    // nothing to accept any more: the sender hears "not accepted, send again" (a resend reserves anew)
    if (e instanceof ReservationDroppedError)
      throw new GatewayError('BUS_UNAVAILABLE', 'this submission was withdrawn while Kafka confirmed it; nothing was accepted, send it again', { cause: e })
    // the record is in Kafka and the blob must stay; release the lease so a retry publishes again at once
    await releaseLease(rt.db, d.id).catch(() => {})
    throw e
  }
}

/**
 * The ledger's acceptance and its message-log entry, in one transaction, once; concurrent acceptances and
 * statuses share a transaction (they all queue on the log's head row anyway).
 */
const markAccepted = (rt: Runtime, x: { answer: AcceptanceAnswer; from: string }): Promise<AcceptanceAnswer> =>
  inLogTransaction(rt.db, async (q) => {
    const { stored, first } = await acceptOnce(q, x.answer.id, x.answer)
    if (first) await logAccepted(q, { ...x.answer, from: x.from }) // message log, same transaction, once
    return stored
  })

export const selfOf = (rt: Runtime) => ({
  jurisdiction: rt.config.jurisdiction,
  parentGateway: rt.config.parentGatewayUrl || null,
  closedRecipients: rt.config.closedRecipientPolicy,
})
