/**
 * Federation rules at the document door, kept out of accept-document.ts so that file only
 * calls them:
 *  - a 'gateway' principal (a trusted peer, config PEERS) may forward a document whose From is outside its
 *    own clients' OrganIds, as long as From falls in the jurisdiction patterns of the link;
 *  - the peer names, in `Lgsp-Forward-For`, the recipients it asks us to route (the package lists all of
 *    the sender's recipients, the others are handled by other gateways);
 *  - the peer's URL is recorded on the document (documents.via_peer) so its statuses travel back there,
 *    and given to the planner as `via`, so nothing is forwarded back where it came from.
 */
import { GatewayError } from '../errors.ts'
import type { Principal } from '../store/clients-repo.ts'
import { jurisdictionMatches, parseAgencyCode } from '../routing/agency-code.ts'
import type { Tier } from '../routing/types.ts'
import { peerUrlOfClient } from '../adapters/upstream.ts'

/** The peer URL when `who` is a peer gateway, else null. */
export const peerOf = (who: Principal): string | null => (who.role === 'gateway' ? peerUrlOfClient(who.clientId) : null)

/** May `who` send a package whose From is `from`? Own OrganIds, or a peer within the link's jurisdiction. */
export function maySendFor(who: Principal, from: string): boolean {
  if (who.organIds.has(from)) return true
  return who.role === 'gateway' && jurisdictionMatches(from, [...who.organIds])
}

/**
 * The recipients to route: for a relay — a peer gateway, or a VXP system acting for a jurisdiction
 * (src/gateway/vxp/auth.ts) — those it names (Lgsp-Forward-For, or the VXP `to` header), each a To of the
 * package; otherwise every To.
 */
export function recipientsToRoute(who: Principal, to: readonly string[], forwardFor: string | string[] | undefined): readonly string[] {
  if (who.role !== 'gateway' || forwardFor === undefined) return to
  const asked = (Array.isArray(forwardFor) ? forwardFor.join(',') : forwardFor)
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
  const listed = new Set(to)
  const stray = asked.filter((o) => !listed.has(o))
  if (stray.length || asked.length === 0) {
    throw new GatewayError('BAD_REQUEST', `Lgsp-Forward-For must name recipients of the package; not in To: ${stray.join(', ') || '(none named)'}`)
  }
  return asked
}

/**
 * The tier stored for a recipient owned by another gateway: only a hint from the code (its owner's directory
 * decides, and its answer is kept in the FORWARDED event): level 1 G.. central, other level 1 province,
 * level 2 district, deeper commune.
 */
export function tierHint(organId: string): Tier {
  const c = parseAgencyCode(organId)
  if (c.level === 1) return c.bloc === 'G' ? 'central' : 'province'
  return c.level === 2 ? 'district' : 'commune'
}
