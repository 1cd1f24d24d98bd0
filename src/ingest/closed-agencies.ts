/**
 * The accept path's view of closed agencies (src/routing/succession.ts has the rules): a closed From is
 * refused after its grace period and flagged inside it; closed recipients the planner refused become one
 * AGENCY_CLOSED problem naming every successor; redirected steps become ledger legs.
 */
import { GatewayError } from '../errors.ts'
import type { Runtime } from '../runtime.ts'
import { codesHeldBy, holderOf, senderStanding } from '../routing/succession.ts'
import type { Principal } from '../store/clients-repo.ts'
import type { Redirection, RouteStep } from '../routing/types.ts'
import type { AcceptanceAnswer } from '../store/ledger-repo.ts'
import type { RedirectedLeg } from '../store/succession-repo.ts'

/** Throws SENDER_CLOSED after the grace period; inside it returns what the answer should say. */
export function closedSenderCheck(rt: Runtime, from: string, at: string): AcceptanceAnswer['senderClosed'] {
  const s = senderStanding(rt.directory(), from, Date.parse(at), rt.config.closedSenderGraceDays)
  if (s.kind === 'active') return undefined
  if (s.kind === 'closed') {
    throw new GatewayError('SENDER_CLOSED', `${from} closed on ${s.closedOn}${s.successors.length ? `; send as ${s.successors.join(' or ')}` : ''}`, {
      extra: { from, closedOn: s.closedOn, successors: s.successors },
    })
  }
  return { closedOn: s.closedOn, graceUntil: s.graceUntil, successors: s.successors }
}

type Refusal = Extract<RouteStep, { action: 'refuse' }>

/** AGENCY_CLOSED when every refusal is a closed recipient (an unknown or malformed code is the worse error). */
export function closedRecipientsError(refused: readonly Refusal[]): GatewayError | null {
  if (!refused.length || !refused.every((s) => s.code === 'AGENCY_CLOSED')) return null
  const successors = Object.fromEntries(refused.map((s) => [s.organId, s.code === 'AGENCY_CLOSED' ? s.successors : []]))
  return new GatewayError('AGENCY_CLOSED', `closed recipient(s): ${refused.map((s) => s.organId).join(', ')}`, {
    errors: refused.map((s) => ({ path: `To[OrganId=${s.organId}]`, message: s.reason })),
    extra: { successors },
  })
}

/** What the reorganisation changed for one acceptance: the 202 says it per recipient. */
export interface ReorganisationNotes {
  plan: readonly RouteStep[]
  senderClosed: AcceptanceAnswer['senderClosed']
}

export function redirectOf(reorg: ReorganisationNotes | undefined, organId: string): { redirect?: Redirection } {
  const step = reorg?.plan.find((s) => s.organId === organId)
  return step && step.action !== 'refuse' && step.redirect ? { redirect: step.redirect } : {}
}

export function redirectedLegs(plan: readonly RouteStep[]): RedirectedLeg[] {
  return plan.flatMap((s) => (s.action !== 'refuse' && s.redirect ? [{ organId: s.organId, redirect: s.redirect }] : []))
}

/**
 * The inbox codes a caller reads: its own, plus — under CLOSED_INBOX_POLICY=move — the closed agencies whose
 * duties it now holds, so unread items of a closed agency move to its successor without rewriting a row.
 */
export function inboxCodesOf(rt: Runtime, who: Principal): string[] {
  const own = [...who.organIds]
  if (rt.config.closedInboxPolicy !== 'move') return own
  return [...own, ...codesHeldBy(rt.directory(), own, Date.now())]
}

export function mayReadInboxOf(rt: Runtime, who: Principal, recipient: string): boolean {
  if (who.organIds.has(recipient)) return true
  return rt.config.closedInboxPolicy === 'move' && answersFor(rt, who, recipient)
}

/** Does the caller act for the agency now answering for the closed `code`? */
export function answersFor(rt: Runtime, who: Principal, code: string): boolean {
  const h = holderOf(rt.directory(), code, Date.now())
  return h !== null && h !== code && who.organIds.has(h)
}

/** The party among `codes` that `organId` answers for: itself, or a closed agency it now holds; else null. */
export function legAnsweredBy(rt: Runtime, codes: readonly string[], organId: string): string | null {
  if (codes.includes(organId)) return organId
  const now = Date.now()
  return codes.find((c) => holderOf(rt.directory(), c, now) === organId) ?? null
}
