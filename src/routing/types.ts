/** Administrative tier, stored per agency (never guessed from the code level; see ARCHITECTURE.md). */
export const TIERS = ['central', 'province', 'district', 'commune'] as const
export type Tier = (typeof TIERS)[number]

/** How a recipient's documents leave this gateway. */
export type Endpoint = { kind: 'inbox' } | { kind: 'http'; url: string } | { kind: 'soap'; url: string } | { kind: 'gateway'; url: string } // another gateway that owns the agency (federation)

export interface Agency {
  organId: string
  name: string
  tier: Tier
  parent: string | null
  /** base URL or id of the gateway that owns this agency; null = this gateway */
  gateway: string | null
  endpoint: Endpoint
  /** certificate fingerprints (sha256, hex) or subject names allowed to sign for this agency */
  certificates: string[]
  enabled: boolean
  /** set once the agency is closed (Decision 09/2025/QĐ-TTg closes codes); absent or null = active */
  closed?: Closure | null
}

/**
 * A closed agency: its code stays in the directory forever (old documents, statuses and follow-ups keep
 * naming it), with the date its closure took effect and the agencies that took over its duties.
 */
export interface Closure {
  /** effective date, ISO yyyy-mm-dd, as a Vietnamese calendar day (the change starts at 00:00 UTC+7) */
  on: string
  /** successor OrganIds: usually one; none when the duties went nowhere routable; several when split */
  successors: string[]
  note?: string | null
}

/** One line of a route plan: what to do with one recipient. */
export type RouteStep =
  | ({ organId: string; action: 'deliver'; tier: Tier; endpoint: Endpoint } & Redirected)
  | ({ organId: string; action: 'forward'; gateway: string } & Redirected)
  | { organId: string; action: 'refuse'; code: 'UNKNOWN_RECIPIENT' | 'INVALID_AGENCY_CODE'; reason: string }
  | { organId: string; action: 'refuse'; code: 'AGENCY_CLOSED'; reason: string; successors: string[] }

/**
 * Present only when the document named a closed agency and is routed to its successor instead:
 * `organId` of the step is then the successor, `redirect.addressedTo` the code the package names.
 */
export interface Redirected {
  redirect?: Redirection
}

export interface Redirection {
  addressedTo: string
  /** every code followed, addressed one first, delivered one last (A → B → C) */
  chain: string[]
  /** effective date of the first closure followed */
  closedOn: string
}
