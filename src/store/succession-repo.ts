/**
 * Ledger writes of the 2025 reorganisation (succession.ts decides, this records): a delivery leg to a
 * successor remembers the closed code the package was addressed to, and its timeline says so.
 */
import type { Redirection, RouteStep } from '../routing/types.ts'
import type { Sql } from './db.ts'
import { recordEvent } from './ledger-repo.ts'
import { eventKey } from '../delivery/event-key.ts'

export interface RedirectedLeg {
  organId: string
  redirect: Redirection
}

/** Timeline detail of a redirection: addressed to, delivered to, the chain followed, and why. */
export function redirectionDetail(leg: RedirectedLeg) {
  const { addressedTo, chain, closedOn } = leg.redirect
  return {
    addressedTo,
    deliveredTo: leg.organId,
    chain,
    closedOn,
    reason: `${addressedTo} closed on ${closedOn}; delivered to its successor ${chain.length > 2 ? `(${chain.join(' → ')}) ` : ''}${leg.organId}; the signed package is unchanged`,
  }
}

/** Idempotent (the event key and the column update repeat harmlessly). */
export async function recordRedirections(q: Sql, documentUuid: string, legs: RedirectedLeg[], at: string): Promise<void> {
  for (const leg of legs) {
    await q.query('update deliveries set addressed_to = $3 where document_uuid = $1 and recipient = $2', [documentUuid, leg.organId, leg.redirect.addressedTo])
    // moveStatus false: the leg's current status stays the delivery state; the redirection is a fact on its timeline
    await recordEvent(q, {
      eventKey: eventKey(documentUuid, leg.organId, 'REDIRECTED', leg.redirect.addressedTo),
      id: documentUuid,
      recipient: leg.organId,
      status: 'REDIRECTED',
      at,
      detail: redirectionDetail(leg),
      moveStatus: false,
    })
  }
}

/**
 * A document accepted for a code that was closed afterwards, with an effective date at or before its
 * acceptance (a change table applied late): the router re-plans it to the successor. The successor gets its
 * own leg (addressed to the closed code), the closed code's leg says where the document went.
 */
export async function rerouteInFlight(q: Sql, documentUuid: string, legs: (RedirectedLeg & { tier: string })[], at: string): Promise<void> {
  for (const leg of legs) {
    const addressed = leg.redirect.addressedTo
    await q.query(
      `insert into deliveries (document_uuid, recipient, tier, status, addressed_to) values ($1, $2, $3, 'ACCEPTED', $4)
       on conflict (document_uuid, recipient) do nothing`,
      [documentUuid, leg.organId, leg.tier, addressed],
    )
    await q.query('update documents set recipients = array_append(recipients, $2) where id = $1 and not ($2 = any(recipients))', [documentUuid, leg.organId])
    await recordEvent(q, {
      eventKey: eventKey(documentUuid, addressed, 'MOVED', leg.organId),
      id: documentUuid,
      recipient: addressed,
      status: 'MOVED',
      at,
      detail: { to: leg.organId, ...redirectionDetail(leg) },
    })
  }
  await recordRedirections(q, documentUuid, legs, at)
}

/**
 * Between gateways a leg is known by the code the package names: a peer forwarded X, this gateway delivered
 * to X's successor Y. Statuses going back up name X; a recall coming down for X applies to Y's leg.
 */
export async function addressedCodeOf(q: Sql, documentUuid: string, recipient: string): Promise<string> {
  const r = await q.query<{ addressed_to: string | null }>('select addressed_to from deliveries where document_uuid = $1 and recipient = $2', [documentUuid, recipient])
  return r.rows[0]?.addressed_to ?? recipient
}

export async function legAddressedAs(q: Sql, documentUuid: string, addressed: string): Promise<string | null> {
  const r = await q.query<{ recipient: string }>(
    'select recipient from deliveries where document_uuid = $1 and (recipient = $2 or addressed_to = $2) order by (recipient = $2) desc limit 1',
    [documentUuid, addressed],
  )
  return r.rows[0]?.recipient ?? null
}

/**
 * A replayed document record (at-least-once) whose closed recipient was already routed before the change
 * table was applied: that routing stands (its delivery, or the inbox move, takes it on), so the redirected
 * step is dropped instead of giving the successor a second copy. Only a leg never routed is re-planned
 * (or one this record already re-planned, when a failed produce makes the router run it again).
 */
export async function withoutRoutedRedirects(q: Sql, documentUuid: string, plan: RouteStep[]): Promise<RouteStep[]> {
  const addressed = plan.flatMap((s) => (s.action !== 'refuse' && s.redirect ? [s.redirect.addressedTo] : []))
  if (!addressed.length) return plan
  const routed = new Set(
    (
      await q.query<{ recipient: string }>(
        // MOVED = re-planned by an earlier run of this record: planning it again is harmless (deliveries are idempotent per leg)
        `select recipient from deliveries where document_uuid = $1 and recipient = any($2) and status not in ('PENDING', 'ACCEPTED', 'MOVED')`,
        [documentUuid, addressed],
      )
    ).rows.map((r) => r.recipient),
  )
  return routed.size ? plan.filter((s) => !(s.action !== 'refuse' && s.redirect && routed.has(s.redirect.addressedTo))) : plan
}
