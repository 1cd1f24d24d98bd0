/**
 * Agency succession: where the duties of a closed agency went, at a given instant. Pure functions of a
 * directory snapshot and a time; the route planner, the status rules and the inbox all ask here.
 *
 * Since 1/7/2025 (Resolution 60-NQ/TW; Decision 759/QĐ-TTg) there is no district level and merged
 * provinces keep one level-1 code while the others are closed (Decision 09/2025/QĐ-TTg amending
 * Decision 20/2020/QĐ-TTg). A closed code is never deleted: systems that were not updated keep sending to
 * it, and follow-ups and statuses of documents sent before the change keep naming it.
 *
 * Rules:
 *   - a closure takes effect at 00:00 Vietnam time (UTC+7, no DST) of its effective date; an instant before
 *     that sees the agency as it was (a document accepted the day before keeps its recipient);
 *   - chains are followed (A closed into B, later B into C: A's documents reach C), each hop judged at the
 *     same instant;
 *   - exactly one successor is followed; none (dissolved) or several (split duties) cannot be chosen for
 *     the sender, so the document is refused with the candidates named;
 *   - a loop is refused (the change-table import refuses to create one; this guards older data).
 */
import type { DirectorySnapshot } from './directory-snapshot.ts'
import type { Agency, Closure } from './types.ts'

/** Longest chain followed: far above any real reorganisation history, low enough to bound bad data. */
const MAX_HOPS = 16

/** The instant (ms since epoch) a closure dated `on` (yyyy-mm-dd) takes effect: 00:00 in Vietnam. */
export function effectiveInstant(on: string): number {
  return Date.parse(`${on}T00:00:00+07:00`)
}

export const isIsoDate = (s: string): boolean =>
  /^\d{4}-\d{2}-\d{2}$/.test(s) && !Number.isNaN(effectiveInstant(s)) && new Date(effectiveInstant(s) + 7 * 3600_000).toISOString().startsWith(s)

/** Is the agency closed at `at` (ms)? */
export function isClosedAt(a: Pick<Agency, 'closed'> | undefined, at: number): a is Agency & { closed: Closure } {
  return !!a?.closed && at >= effectiveInstant(a.closed.on)
}

export type Succession =
  /** not closed at that instant (or not in the directory): route it as it is; chain = [organId] */
  | { kind: 'open'; organId: string; chain: string[] }
  /** closed; its single successor chain ends at `organId` */
  | { kind: 'succeeded'; organId: string; chain: string[]; closedOn: string }
  /** closed with no successor, or with several: nothing to choose for the sender */
  | { kind: 'dissolved' | 'split'; at: string; successors: string[]; chain: string[]; closedOn: string }
  | { kind: 'cycle'; chain: string[]; closedOn: string }

/** Follow `organId`'s successors as they stand at `at` (ms since epoch). */
export function successionOf(snapshot: DirectorySnapshot, organId: string, at: number): Succession {
  const chain = [organId]
  const first = snapshot.get(organId)
  if (!isClosedAt(first, at)) return { kind: 'open', organId, chain }
  let cur: Agency & { closed: Closure } = first
  const closedOn = cur.closed.on
  for (;;) {
    const next = cur.closed.successors
    if (next.length !== 1) return { kind: next.length === 0 ? 'dissolved' : 'split', at: cur.organId, successors: [...next], chain, closedOn }
    const succ = next[0]!
    if (chain.includes(succ) || chain.length > MAX_HOPS) return { kind: 'cycle', chain: [...chain, succ], closedOn }
    chain.push(succ)
    const a = snapshot.get(succ)
    // a successor outside this directory (another gateway's jurisdiction) is routed like any other code
    if (!isClosedAt(a, at)) return { kind: 'succeeded', organId: succ, chain, closedOn }
    cur = a
  }
}

/**
 * The agency now answering for `organId`: itself when open, its successor when closed into exactly one;
 * null when closed into none, several, or a loop.
 */
export function holderOf(snapshot: DirectorySnapshot, organId: string, at: number): string | null {
  const s = successionOf(snapshot, organId, at)
  return s.kind === 'open' || s.kind === 'succeeded' ? s.organId : null
}

/**
 * The closed codes whose duties are now held by one of `organIds` (their documents, inbox items and
 * statuses are theirs to handle). Scans the closed agencies only.
 */
export function codesHeldBy(snapshot: DirectorySnapshot, organIds: Iterable<string>, at: number): string[] {
  const mine = new Set(organIds)
  const out: string[] = []
  for (const a of snapshot.closedAgencies()) {
    if (mine.has(a.organId)) continue
    const h = holderOf(snapshot, a.organId, at)
    if (h !== null && h !== a.organId && mine.has(h)) out.push(a.organId)
  }
  return out
}

export type SenderStanding =
  | { kind: 'active' }
  /** closed, but inside the grace period: accepted, and the answer says so */
  | { kind: 'grace'; closedOn: string; graceUntil: string; successors: string[] }
  | { kind: 'closed'; closedOn: string; successors: string[] }

/**
 * May a document whose From is `organId` still be accepted at `at`? A closed sender is refused once the
 * grace period (`graceDays` after the effective date) is over; inside it the document is accepted and
 * flagged, so systems that were not updated on the day keep working while their operators catch up.
 */
export function senderStanding(snapshot: DirectorySnapshot, organId: string, at: number, graceDays: number): SenderStanding {
  const a = snapshot.get(organId)
  if (!isClosedAt(a, at)) return { kind: 'active' }
  const successors = [...a.closed.successors]
  const graceEnd = effectiveInstant(a.closed.on) + graceDays * 86_400_000
  if (at < graceEnd) return { kind: 'grace', closedOn: a.closed.on, graceUntil: new Date(graceEnd).toISOString(), successors }
  return { kind: 'closed', closedOn: a.closed.on, successors }
}
