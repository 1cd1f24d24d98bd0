/**
 * The route planner: a pure function (directory snapshot, gateway identity, document) → route plan.
 * No I/O, no clock, no randomness; the same inputs always give the same plan.
 *
 * For each distinct recipient, in input order (first occurrence kept; surrounding whitespace ignored):
 *   malformed code                                   → refuse INVALID_AGENCY_CODE
 *   in the directory, disabled                       → refuse UNKNOWN_RECIPIENT
 *   in the directory, `gateway` set                  → forward to that gateway
 *   in the directory, endpoint kind 'gateway'        → forward to endpoint.url
 *   in the directory, owned here                     → deliver on its stored tier via its endpoint
 *   absent, its level-1 agency owned by a gateway    → forward to that gateway (how the central gateway's
 *                                                      directory maps a province jurisdiction)
 *   absent, inside our jurisdiction                  → refuse UNKNOWN_RECIPIENT (we would know it)
 *   absent, outside, parent gateway configured       → forward to the parent gateway
 *   absent, outside, no parent gateway               → refuse UNKNOWN_RECIPIENT
 * A forward whose target is the gateway the document arrived from (`doc.via`) is refused instead, so
 * two gateways that both lack an agency cannot bounce a document between them.
 *
 * Closed agencies (succession.ts): a recipient closed at `doc.at` is replaced by its successor (chains
 * followed) and the step carries `redirect` (addressed to, chain, effective date); with the deployment's
 * `closedRecipients: 'refuse'`, or when the closure names no successor or several, or loops, it is refused
 * AGENCY_CLOSED with the candidates named. A recipient reached twice (named and as a successor) is planned
 * once. The package bytes are never touched: only where they go changes.
 *
 * The directory entry wins over the jurisdiction patterns: an agency present with gateway = null is
 * delivered here even if its code is outside the patterns (a provincial hub may hold ministries it
 * delivers to directly, as the Tây Ninh directory does).
 */
import { agencyCodeProblem, jurisdictionMatches, jurisdictionOf } from './agency-code.ts'
import type { DirectorySnapshot } from './directory-snapshot.ts'
import { successionOf, type Succession } from './succession.ts'
import type { Redirection, RouteStep } from './types.ts'

export interface GatewayIdentity {
  /** jurisdiction patterns, e.g. ['*.H41'] or ['*.G*'] (see agency-code.ts) */
  jurisdiction: readonly string[]
  /** base URL or id of the upstream gateway; null for the top of the federation */
  parentGateway: string | null
  /** what a document to a closed agency does: go to its successor (default) or be refused */
  closedRecipients?: 'redirect' | 'refuse'
}

export interface RoutableDocument {
  /** sender OrganId (authorised before routing; not used to route) */
  from: string
  /** recipient OrganIds as listed in the document */
  to: readonly string[]
  /** the gateway this document was received from, when it came through federation */
  via?: string | null
  /** when the document was accepted (ISO instant): closures take effect from their date. Absent = now-or-later, every closure applies */
  at?: string
}

export function planRoute(snapshot: DirectorySnapshot, self: GatewayIdentity, doc: RoutableDocument): RouteStep[] {
  const plan: RouteStep[] = []
  const seen = new Set<string>()
  const via = doc.via ?? null

  const forward = (organId: string, gateway: string, why: string): RouteStep =>
    via !== null && gateway === via
      ? { organId, action: 'refuse', code: 'UNKNOWN_RECIPIENT', reason: `${why}, but the document came from that gateway (${gateway}); refusing to loop it back` }
      : { organId, action: 'forward', gateway }

  const at = doc.at === undefined ? Infinity : Date.parse(doc.at)

  for (const raw of doc.to) {
    const addressed = typeof raw === 'string' ? raw.trim() : String(raw)
    if (seen.has(addressed)) continue
    seen.add(addressed)

    const problem = agencyCodeProblem(addressed)
    if (problem !== null) {
      plan.push({ organId: addressed, action: 'refuse', code: 'INVALID_AGENCY_CODE', reason: problem })
      continue
    }
    const s = successionOf(snapshot, addressed, at)
    let organId = addressed
    let redirect: Redirection | undefined
    if (s.kind !== 'open') {
      const refused = closedRefusal(addressed, s, self.closedRecipients ?? 'redirect')
      if (refused) {
        plan.push(refused)
        continue
      }
      if (s.kind !== 'succeeded') continue // unreachable: closedRefusal refuses every other kind
      organId = s.organId
      redirect = { addressedTo: addressed, chain: s.chain, closedOn: s.closedOn }
      if (seen.has(organId)) continue // already planned (named, or the successor of another): once each
      seen.add(organId)
    }
    const before = plan.length
    routeOne(organId)
    if (redirect && plan.length > before) {
      const step = plan[plan.length - 1]!
      if (step.action !== 'refuse') step.redirect = redirect
    }
  }
  return plan

  function routeOne(organId: string): void {
    const a = snapshot.get(organId)
    if (a) {
      if (!a.enabled) plan.push({ organId, action: 'refuse', code: 'UNKNOWN_RECIPIENT', reason: `${organId} (${a.name}) is disabled in the directory` })
      else if (a.gateway !== null) plan.push(forward(organId, a.gateway, `${organId} is owned by gateway ${a.gateway}`))
      else if (a.endpoint.kind === 'gateway') plan.push(forward(organId, a.endpoint.url, `${organId} is reached through gateway ${a.endpoint.url}`))
      else plan.push({ organId, action: 'deliver', tier: a.tier, endpoint: a.endpoint })
      return
    }
    const root = snapshot.get(jurisdictionOf(organId))
    const rootGateway = root?.enabled ? (root.gateway ?? (root.endpoint.kind === 'gateway' ? root.endpoint.url : null)) : null
    if (rootGateway !== null) {
      plan.push(forward(organId, rootGateway, `${organId}'s jurisdiction ${root!.organId} is owned by gateway ${rootGateway}`))
    } else if (jurisdictionMatches(organId, self.jurisdiction)) {
      plan.push({ organId, action: 'refuse', code: 'UNKNOWN_RECIPIENT', reason: `${organId} is in this gateway's jurisdiction but not in its directory` })
    } else if (self.parentGateway !== null) {
      plan.push(forward(organId, self.parentGateway, `${organId} is outside this gateway's jurisdiction`))
    } else {
      plan.push({
        organId,
        action: 'refuse',
        code: 'UNKNOWN_RECIPIENT',
        reason: `${organId} is not in the directory, outside this gateway's jurisdiction, and there is no parent gateway`,
      })
    }
  }
}

/** The AGENCY_CLOSED refusal for a closed recipient, or null when it is to be redirected. */
function closedRefusal(addressed: string, s: Exclude<Succession, { kind: 'open' }>, policy: 'redirect' | 'refuse'): RouteStep | null {
  const why = `${addressed} closed on ${s.closedOn}`
  const refuse = (reason: string, successors: string[]): RouteStep => ({ organId: addressed, action: 'refuse', code: 'AGENCY_CLOSED', reason, successors })
  switch (s.kind) {
    case 'dissolved':
      return refuse(`${why}${s.at !== addressed ? ` (${s.chain.join(' → ')}, itself closed)` : ''} with no successor`, [])
    case 'split':
      return refuse(`${why}; its duties went to ${s.successors.join(', ')}: address the one concerned`, s.successors)
    case 'cycle':
      return refuse(`${why}; its successors loop (${s.chain.join(' → ')})`, [])
    case 'succeeded':
      return policy === 'refuse' ? refuse(`${why}; address its successor ${s.organId}`, [s.organId]) : null
  }
}

/** Convenience for the gateway's authorize step: the refused steps of a plan (empty = all routable). */
export function refusals(plan: readonly RouteStep[]): Extract<RouteStep, { action: 'refuse' }>[] {
  return plan.filter((s): s is Extract<RouteStep, { action: 'refuse' }> => s.action === 'refuse')
}
