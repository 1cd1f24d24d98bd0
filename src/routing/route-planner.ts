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
 *                                                      directory maps a province jurisdiction, #5)
 *   absent, inside our jurisdiction                  → refuse UNKNOWN_RECIPIENT (we would know it)
 *   absent, outside, parent gateway configured       → forward to the parent gateway
 *   absent, outside, no parent gateway               → refuse UNKNOWN_RECIPIENT
 * A forward whose target is the gateway the document arrived from (`doc.via`) is refused instead, so
 * two gateways that both lack an agency cannot bounce a document between them.
 *
 * The directory entry wins over the jurisdiction patterns: an agency present with gateway = null is
 * delivered here even if its code is outside the patterns (a provincial hub may hold ministries it
 * delivers to directly, as the Tây Ninh directory does).
 */
import { agencyCodeProblem, jurisdictionMatches, jurisdictionOf } from './agency-code.ts'
import type { DirectorySnapshot } from './directory-snapshot.ts'
import type { RouteStep } from './types.ts'

export interface GatewayIdentity {
  /** jurisdiction patterns, e.g. ['*.H41'] or ['*.G*'] (see agency-code.ts) */
  jurisdiction: readonly string[]
  /** base URL or id of the upstream gateway; null for the top of the federation */
  parentGateway: string | null
}

export interface RoutableDocument {
  /** sender OrganId (authorised before routing; not used to route) */
  from: string
  /** recipient OrganIds as listed in the document */
  to: readonly string[]
  /** the gateway this document was received from, when it came through federation */
  via?: string | null
}

export function planRoute(snapshot: DirectorySnapshot, self: GatewayIdentity, doc: RoutableDocument): RouteStep[] {
  const plan: RouteStep[] = []
  const seen = new Set<string>()
  const via = doc.via ?? null

  const forward = (organId: string, gateway: string, why: string): RouteStep =>
    via !== null && gateway === via
      ? { organId, action: 'refuse', code: 'UNKNOWN_RECIPIENT', reason: `${why}, but the document came from that gateway (${gateway}); refusing to loop it back` }
      : { organId, action: 'forward', gateway }

  for (const raw of doc.to) {
    const organId = typeof raw === 'string' ? raw.trim() : String(raw)
    if (seen.has(organId)) continue
    seen.add(organId)

    const problem = agencyCodeProblem(organId)
    if (problem !== null) {
      plan.push({ organId, action: 'refuse', code: 'INVALID_AGENCY_CODE', reason: problem })
      continue
    }
    const a = snapshot.get(organId)
    if (a) {
      if (!a.enabled) plan.push({ organId, action: 'refuse', code: 'UNKNOWN_RECIPIENT', reason: `${organId} (${a.name}) is disabled in the directory` })
      else if (a.gateway !== null) plan.push(forward(organId, a.gateway, `${organId} is owned by gateway ${a.gateway}`))
      else if (a.endpoint.kind === 'gateway') plan.push(forward(organId, a.endpoint.url, `${organId} is reached through gateway ${a.endpoint.url}`))
      else plan.push({ organId, action: 'deliver', tier: a.tier, endpoint: a.endpoint })
      continue
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
      plan.push({ organId, action: 'refuse', code: 'UNKNOWN_RECIPIENT', reason: `${organId} is not in the directory, outside this gateway's jurisdiction, and there is no parent gateway` })
    }
  }
  return plan
}

/** Convenience for the gateway's authorize step: the refused steps of a plan (empty = all routable). */
export function refusals(plan: readonly RouteStep[]): Extract<RouteStep, { action: 'refuse' }>[] {
  return plan.filter((s): s is Extract<RouteStep, { action: 'refuse' }> => s.action === 'refuse')
}
