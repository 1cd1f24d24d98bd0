/**
 * Documents, per-recipient deliveries and their timeline. Every write that a Kafka consumer makes goes
 * through `recordEvent` or `recordEvents`, keyed by an event key, so replaying a record changes nothing.
 */
import type { Redirection, Tier } from '../routing/types.ts'
import type { Sql } from './db.ts'
import type { SignedReceipt } from '../signing/jws.ts'
import type { Verdict } from '../signing/verify-edxml.ts'
import { labelled, labelOf, type LabelledFields } from '../receipts/status-model.ts'
import { eventKey } from '../delivery/event-key.ts'

export interface DocumentRow {
  id: string
  from_organ: string
  document_id: string
  sha256: string
  size: string
  content_type: string
  blob_key: string
  subject: string | null
  recipients: string[]
  state: 'pending' | 'accepted'
  receipt: AcceptanceAnswer | null
  created_at: Date
  accepted_at: Date | null
  signature?: Verdict | null
  /** PromulgationDate as sent (yyyy/MM/dd), when the package had one */
  promulgated?: string | null
  /** the peer gateway that forwarded it here (its statuses travel back there); null when sent here directly */
  via_peer?: string | null
}

export interface AcceptanceAnswer {
  id: string
  documentId: string
  sha256: string
  acceptedAt: string
  recipients: { organId: string; tier: Tier; status: string; receipt?: SignedReceipt | null; redirect?: Redirection }[]
  /** the signature verdict: signer, chain, algorithm, time */
  signature?: Verdict
  /** the From is a closed agency accepted inside its grace period (src/routing/succession.ts) */
  senderClosed?: { closedOn: string; graceUntil: string; successors: string[] }
}

/** Reserves (from, documentId). Returns the existing row instead when the pair is already taken. */
export async function reserveDocument(
  q: Sql,
  d: {
    id: string
    from: string
    documentId: string
    sha256: string
    size: number
    contentType: string
    blobKey: string
    subject: string | null
    recipients: { organId: string; tier: Tier }[]
    clientId: string
    /** Bussiness/BussinessDocType: '0' new (default), '1' recall, '2' update, '3' replacement */
    businessType?: string
    /** the peer gateway that forwarded it (its statuses travel back there) */
    viaPeer?: string | null
    /** PromulgationDate as sent (yyyy/MM/dd): bounds the Timestamps of its statuses */
    promulgated?: string | null
  },
): Promise<{ reserved: true; lease: Lease } | { reserved: false; existing: DocumentRow }> {
  // the row and its legs in one statement (atomic on its own, one round trip); a taken (From, DocumentId)
  // inserts neither
  const ins = await q.query(
    `with doc as (
       insert into documents (id, from_organ, document_id, sha256, size, content_type, blob_key, subject, recipients, state, client_id, business_type, via_peer, promulgated)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'pending', $10, $11, $12, $13) on conflict (from_organ, document_id, business_type) do nothing
       returning id, claimed_until::text as lease
     ), legs as (
       insert into deliveries (document_uuid, recipient, tier, status)
       select doc.id, x.r, x.t, 'PENDING' from doc, unnest($9::text[], $14::text[]) with ordinality as x(r, t, n) order by x.n
     )
     select id, lease from doc`,
    [
      d.id,
      d.from,
      d.documentId,
      d.sha256,
      d.size,
      d.contentType,
      d.blobKey,
      d.subject,
      d.recipients.map((r) => r.organId),
      d.clientId,
      d.businessType ?? '0',
      d.viaPeer ?? null,
      d.promulgated ?? null,
      d.recipients.map((r) => r.tier),
    ],
  )
  if (ins.rows.length === 0) {
    const existing = await findBySenderDocumentId(q, d.from, d.documentId, d.businessType ?? '0')
    if (!existing) throw new Error('document reservation vanished')
    return { reserved: false, existing }
  }
  return { reserved: true, lease: (ins.rows[0] as { lease: Lease }).lease }
}

/**
 * Who holds a pending row: its claimed_until as PostgreSQL prints it (microseconds kept: a JS Date would
 * round them away). Whoever reserves or claims a row sets a new one, so a holder whose write failed late
 * can drop the row only if nobody claimed it since (dropPending).
 */
export type Lease = string

/**
 * The document (From, DocumentId). With `businessType`, exactly that kind; without, the original ('0')
 * first — statuses answer the original, while its recall/update packages share its DocumentId.
 */
export async function findBySenderDocumentId(q: Sql, from: string, documentId: string, businessType?: string): Promise<DocumentRow | null> {
  const r =
    businessType === undefined
      ? await q.query<DocumentRow>(`select * from documents where from_organ = $1 and document_id = $2 order by (business_type = '0') desc, created_at limit 1`, [from, documentId])
      : await q.query<DocumentRow>('select * from documents where from_organ = $1 and document_id = $2 and business_type = $3', [from, documentId, businessType])
  return r.rows[0] ?? null
}

export async function getDocument(q: Sql, id: string): Promise<DocumentRow | null> {
  if (!isUuid(id)) return null
  return (await q.query<DocumentRow>('select * from documents where id = $1', [id])).rows[0] ?? null
}

/**
 * Returns the answer as stored: every later replay reads it back from jsonb (which orders keys its own way),
 * so the first caller gets the same bytes as every replay when it is given this one.
 */
export async function markAccepted(q: Sql, id: string, answer: AcceptanceAnswer): Promise<AcceptanceAnswer> {
  return (await acceptOnce(q, id, answer)).stored
}

/**
 * Marks a reserved row accepted, once: of two processes that both know Kafka holds the record (the request
 * that wrote it, and the sweep that finds it routed after that request died), only the first records the
 * acceptance; the other gets the stored answer and `first: false` (so the message log gets one entry).
 */
/** The row to accept is gone: its reservation was dropped (its Kafka write refused) before Kafka confirmed a resend. */
export class ReservationDroppedError extends Error {
  constructor(id: string) {
    super(`the reservation of ${id} was dropped before its acceptance could be recorded`)
    this.name = 'ReservationDroppedError'
  }
}

export async function acceptOnce(q: Sql, id: string, answer: AcceptanceAnswer): Promise<{ stored: AcceptanceAnswer; first: boolean }> {
  // The acceptance is written after Kafka confirmed the record, so the router and a fast delivery may
  // already have moved a leg on (ROUTED, DELIVERED): ACCEPTED goes on the timeline but becomes the leg's
  // current status only where nothing has happened yet — never back over a later step. One statement:
  // the row, the legs' events and their status move together, or (not pending any more) nothing does.
  const legs = answer.recipients.map((r) => r.organId)
  const updated = await q.query<{ receipt: AcceptanceAnswer }>(
    `with doc as (
       update documents set state = 'accepted', receipt = $2, accepted_at = $3, signature = $4 where id = $1 and state = 'pending' returning receipt
     ), event as (
       insert into delivery_events (event_key, document_uuid, recipient, status, at)
       select x.k, $1, x.r, 'ACCEPTED', $3 from unnest($5::text[], $6::text[]) as x(r, k)
       where exists (select 1 from doc) and exists (select 1 from deliveries where document_uuid = $1 and recipient = x.r)
       on conflict (event_key) do nothing
     ), moved as (
       update deliveries set status = 'ACCEPTED', updated_at = $3 where document_uuid = $1 and status = 'PENDING' and exists (select 1 from doc)
     )
     select receipt from doc`,
    [id, JSON.stringify(answer), answer.acceptedAt, answer.signature ? JSON.stringify(answer.signature) : null, legs, legs.map((r) => eventKey(id, r, 'ACCEPTED'))],
  )
  if (updated.rows.length === 0) {
    const existing = (await q.query<{ receipt: AcceptanceAnswer | null }>('select receipt from documents where id = $1', [id])).rows[0]
    if (!existing) throw new ReservationDroppedError(id)
    return { stored: existing.receipt ?? answer, first: false }
  }
  return { stored: updated.rows[0]?.receipt ?? answer, first: true }
}

/**
 * Drops a reservation that was never accepted, if `lease` still holds it: a request whose Kafka write was
 * refused late (after its lease ran out) must not drop the row a resend has claimed and published since.
 */
export async function dropPending(q: Sql, id: string, lease: Lease): Promise<boolean> {
  return (await q.query(`delete from documents where id = $1 and state = 'pending' and claimed_until = $2::timestamptz`, [id, lease])).rowCount > 0
}

/** Whether an event with this key is in the ledger. */
export async function hasEvent(q: Sql, key: string): Promise<boolean> {
  return ((await q.query('select 1 from delivery_events where event_key = $1', [key])).rowCount ?? 0) > 0
}

export interface TimelineEvent {
  eventKey: string
  id: string
  recipient: string
  status: string
  at: string
  detail?: unknown
  moveStatus?: boolean
}

/**
 * Appends one timeline event (idempotent by eventKey) and moves the delivery's current status, unless
 * `moveStatus: false` (an out-of-order status is recorded but does not become the current one).
 */
export async function recordEvent(q: Sql, e: TimelineEvent): Promise<boolean> {
  return (await recordEvents(q, [e]))[0]!
}

/**
 * A write that must happen exactly with some events (the inbox row with its DELIVERED): the SQL of one
 * data-modifying statement, `returning 1` per row written; `param` adds a parameter and gives its `$n`.
 * It runs inside recordEventsWith's statement, so it may read `event`: the events that statement wrote.
 */
export interface Alongside {
  sql(param: (value: unknown) => string): string
}

/**
 * Several events in one statement (one round trip): each is appended unless its key is there, and each
 * new one moves its leg's status as recordEvent does. At most one event per leg may move its status (which
 * of two would win is not defined). Returns, in order, whether each was new.
 */
export async function recordEvents(q: Sql, events: TimelineEvent[]): Promise<boolean[]> {
  return (await recordEventsWith(q, events)).fresh
}

/** recordEvents, and `alongside` in the same statement; also how many rows that wrote. */
export async function recordEventsWith(q: Sql, events: TimelineEvent[], alongside?: Alongside): Promise<{ fresh: boolean[]; alongside: number }> {
  if (events.length === 0 && !alongside) return { fresh: [], alongside: 0 }
  const legs = events.filter((e) => e.moveStatus !== false).map((e) => `${e.id} ${e.recipient}`)
  if (new Set(legs).size !== legs.length) throw new Error('recordEvents: two events would move the same leg')
  const params: unknown[] = [
    events.map((e) => e.eventKey),
    events.map((e) => e.id),
    events.map((e) => e.recipient),
    events.map((e) => e.status),
    events.map((e) => e.at),
    events.map((e) => (e.detail === undefined ? null : JSON.stringify(e.detail))),
    events.map((e) => e.moveStatus !== false),
  ]
  const also = alongside
    ? alongside.sql((v) => {
        params.push(v)
        return `$${params.length}`
      })
    : 'select 1 where false'
  const r = await q.query<{ keys: string[]; also: number }>(
    `with given as (
       select * from unnest($1::text[], $2::uuid[], $3::text[], $4::text[], $5::timestamptz[], $6::jsonb[], $7::boolean[]) as x(event_key, document_uuid, recipient, status, at, detail, move)
     ), event as (
       insert into delivery_events (event_key, document_uuid, recipient, status, at, detail)
       select g.event_key, g.document_uuid, g.recipient, g.status, g.at, g.detail from given g
       where exists (select 1 from deliveries d where d.document_uuid = g.document_uuid and d.recipient = g.recipient)
       on conflict (event_key) do nothing returning event_key, document_uuid, recipient, status, at
     ), moved as (
       update deliveries d set status = e.status, updated_at = e.at from event e join given g using (event_key)
       where g.move and d.document_uuid = e.document_uuid and d.recipient = e.recipient
     ), also as (${also})
     select coalesce((select array_agg(event_key) from event), '{}') as keys, (select count(*) from also)::int as also`,
    params,
  )
  const fresh = new Set(r.rows[0]?.keys ?? [])
  return { fresh: events.map((e) => fresh.has(e.eventKey)), alongside: r.rows[0]?.also ?? 0 }
}

export interface RecipientTimeline {
  organId: string
  tier: Tier
  status: string
  /** Vietnamese label of the current status; each event's kind/label, and outOfOrder when flagged */
  label?: string | null
  /** the closed code the package names, when this leg goes to its successor (src/routing/succession.ts) */
  addressedTo?: string
  timeline: ({ status: string; at: string; detail?: unknown } & Partial<LabelledFields>)[]
}

export async function timelines(q: Sql, id: string): Promise<RecipientTimeline[]> {
  const deliveries = (
    await q.query<{ recipient: string; tier: Tier; status: string; addressed_to: string | null }>(
      'select recipient, tier, status, addressed_to from deliveries where document_uuid = $1',
      [id],
    )
  ).rows
  const events = (
    await q.query<{ recipient: string; status: string; at: Date; detail: unknown }>(
      // arrival order (seq), with ACCEPTED first: it is written after Kafka confirmed, so the router's ROUTED row
      // can have a lower seq. Not by `at`: a business status's time is the sender's package Timestamp (whole
      // seconds, the agency's clock), so ordering by it would reorder statuses and hide out-of-order arrivals
      `select recipient, status, at, detail from delivery_events where document_uuid = $1 order by (status = 'ACCEPTED') desc, seq`,
      [id],
    )
  ).rows
  const byRecipient = new Map(
    deliveries.map((d): [string, RecipientTimeline] => [
      d.recipient,
      { organId: d.recipient, tier: d.tier, status: d.status, label: labelOf(d.status), ...(d.addressed_to ? { addressedTo: d.addressed_to } : {}), timeline: [] },
    ]),
  )
  for (const e of events) {
    byRecipient.get(e.recipient)?.timeline.push({ status: e.status, ...labelled(e.status, e.detail), at: new Date(e.at).toISOString(), ...(e.detail ? { detail: e.detail } : {}) })
  }
  const order = (await q.query<{ recipients: string[] }>('select recipients from documents where id = $1', [id])).rows[0]?.recipients ?? []
  return order.map((o) => byRecipient.get(o)).filter((x): x is RecipientTimeline => !!x)
}

export const isUuid = (s: string) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(s)

// ── what the accepting path asks of a reserved row ──

/** Whether any document row still points at this payload (the blob store is content-addressed: rows share). */
export async function blobHeld(q: Sql, blobKey: string): Promise<boolean> {
  return (await q.query('select 1 from documents where blob_key = $1 limit 1', [blobKey])).rowCount > 0
}

/** Takes the lease of a pending row whose lease ran out; of several callers exactly one gets it. */
export async function claimOrphan(q: Sql, id: string): Promise<Lease | null> {
  const r = await q.query<{ lease: Lease }>(
    `update documents set claimed_until = now() + interval '30 seconds' where id = $1 and state = 'pending' and claimed_until <= now() returning claimed_until::text as lease`,
    [id],
  )
  return r.rows[0]?.lease ?? null
}

/** Gives up the lease at once, so a retry publishes again without waiting for it to run out. */
export async function releaseLease(q: Sql, id: string): Promise<void> {
  await q.query('update documents set claimed_until = now() where id = $1', [id])
}

/** The row's state and lease as the twin of a concurrent identical request sees it; null once dropped. */
export async function leaseOf(q: Sql, id: string): Promise<{ state: string; receipt: AcceptanceAnswer | null; claimed: boolean; leftS: number } | null> {
  const r = (
    await q.query<{ state: string; receipt: AcceptanceAnswer | null; claimed: boolean; left_s: number }>(
      'select state, receipt, claimed_until > now() as claimed, ceil(extract(epoch from claimed_until - now()))::int as left_s from documents where id = $1',
      [id],
    )
  ).rows[0]
  return r ? { state: r.state, receipt: r.receipt, claimed: r.claimed, leftS: Number(r.left_s) } : null
}

/** Each recipient's leg and the tier it was routed to. */
export async function legsOf(q: Sql, id: string): Promise<{ recipient: string; tier: Tier }[]> {
  return (await q.query<{ recipient: string; tier: Tier }>('select recipient, tier from deliveries where document_uuid = $1', [id])).rows
}

// ── timeline reads of the workers and status paths ──

/** The events of some legs of one document, oldest first (optionally only these statuses). */
export async function legEvents(
  q: Sql,
  id: string,
  recipients: string[],
  statuses?: string[],
): Promise<{ recipient: string; status: string; event_key: string; detail: { gateway?: string } | null }[]> {
  return (
    await q.query<{ recipient: string; status: string; event_key: string; detail: { gateway?: string } | null }>(
      `select recipient, status, event_key, detail from delivery_events where document_uuid = $1 and recipient = any($2)${statuses ? ' and status = any($3)' : ''} order by seq`,
      statuses ? [id, recipients, statuses] : [id, recipients],
    )
  ).rows
}

/** Which of these recipients' legs were already handed to a peer gateway (FORWARDED), optionally to this one. */
export async function forwardedLegs(q: Sql, id: string, recipients: string[], gateway?: string): Promise<string[]> {
  return (
    await q.query<{ recipient: string }>(
      `select recipient from delivery_events where document_uuid = $1 and status = 'FORWARDED' and recipient = any($2)${gateway ? ` and detail->>'gateway' = $3` : ''}`,
      gateway ? [id, recipients, gateway] : [id, recipients],
    )
  ).rows.map((r) => r.recipient)
}
