/**
 * Names beside codes: the console shows "UBND xã Quỳnh Lập — 000.23.30.H41" rather than a bare code. One
 * lookup for the codes a page shows, from the directory snapshot (O(codes), no database read). A code the
 * directory does not hold is answered with known: false, so the page shows the bare code and says so.
 */
import type { DirectorySnapshot } from '../routing/directory-snapshot.ts'
import type { Tier } from '../routing/types.ts'

export interface AgencyName {
  known: true
  name: string
  tier: Tier
  closed: boolean
  /** for a closed agency: the date its closure took effect and who took over its duties, with their names */
  closedOn?: string
  successors?: { organId: string; name: string | null }[]
}
export const MAX_NAME_LOOKUP = 500

export function agencyNames(directory: DirectorySnapshot, codes: Iterable<string>): Record<string, AgencyName | { known: false }> {
  const out: Record<string, AgencyName | { known: false }> = {}
  for (const code of codes) {
    const a = directory.get(code)
    // a disabled entry is an agency that no longer receives documents here: shown as closed
    if (!a) {
      out[code] = { known: false }
      continue
    }
    out[code] = {
      known: true,
      name: a.name,
      tier: a.tier,
      closed: !a.enabled || Boolean(a.closed),
      ...(a.closed ? { closedOn: a.closed.on, successors: a.closed.successors.map((s) => ({ organId: s, name: directory.get(s)?.name ?? null })) } : {}),
    }
  }
  return out
}
