/** Administrative tier, stored per agency (never guessed from the code level; see ARCHITECTURE.md). */
export const TIERS = ['central', 'province', 'district', 'commune'] as const
export type Tier = (typeof TIERS)[number]

/** How a recipient's documents leave this gateway. */
export type Endpoint =
  | { kind: 'inbox' }
  | { kind: 'http'; url: string }
  | { kind: 'soap'; url: string }
  | { kind: 'gateway'; url: string } // another gateway that owns the agency (federation)

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
}

/** One line of a route plan: what to do with one recipient. */
export type RouteStep =
  | { organId: string; action: 'deliver'; tier: Tier; endpoint: Endpoint }
  | { organId: string; action: 'forward'; gateway: string }
  | { organId: string; action: 'refuse'; code: 'UNKNOWN_RECIPIENT' | 'INVALID_AGENCY_CODE'; reason: string }
