/**
 * An immutable in-memory view of the directory, the only directory input of the route planner.
 * Build it from the store (or an import), swap the reference atomically when the directory changes;
 * never mutate one. Agencies are copied and frozen, so callers' objects are not touched.
 *
 * get/has/parent/children are O(1). search() is a linear scan over pre-folded text (built lazily on
 * the first search so build() stays cheap): ~111,000 names scan in a few milliseconds.
 */
import { isAgencyCode } from './agency-code.ts'
import { foldVietnamese, isTier } from './tier-rules.ts'
import type { Agency, Endpoint, Tier } from './types.ts'

export interface SearchOptions {
  /** maximum results (default 20) */
  limit?: number
  tier?: Tier
  /** only agencies in this subtree (the agency itself included) */
  under?: string
  /** include disabled agencies (default false) */
  includeDisabled?: boolean
}

const EMPTY: readonly Agency[] = Object.freeze([])

function freezeAgency(a: Agency): Agency {
  const endpoint: Endpoint = Object.freeze({ ...a.endpoint })
  return Object.freeze({
    organId: a.organId,
    name: a.name,
    tier: a.tier,
    parent: a.parent,
    gateway: a.gateway,
    endpoint,
    certificates: Object.freeze([...(a.certificates ?? [])]) as string[],
    enabled: a.enabled,
    // history (closed codes) only when present, so active agencies keep their original shape
    ...(a.closed ? { closed: Object.freeze({ ...a.closed, successors: Object.freeze([...a.closed.successors]) as string[] }) } : {}),
  })
}

export class DirectorySnapshot {
  /** caller-chosen label (e.g. the directory revision it was built from) */
  readonly version: string
  readonly size: number
  readonly #byId: Map<string, Agency>
  readonly #children: Map<string, Agency[]>
  readonly #all: readonly Agency[]
  readonly #closed: readonly Agency[]
  #folded: string[] | null = null

  private constructor(all: Agency[], byId: Map<string, Agency>, children: Map<string, Agency[]>, version: string) {
    this.#all = Object.freeze(all)
    this.#byId = byId
    this.#children = children
    this.#closed = Object.freeze(all.filter((a) => a.closed))
    this.size = all.length
    this.version = version
    Object.freeze(this)
  }

  /**
   * Throws TypeError on a malformed organId, an unknown tier or a duplicated organId: a snapshot is
   * built from already-validated data (the store or directory-import), so these are programming errors.
   */
  static build(agencies: Iterable<Agency>, opts: { version?: string } = {}): DirectorySnapshot {
    const all: Agency[] = []
    const byId = new Map<string, Agency>()
    const children = new Map<string, Agency[]>()
    for (const src of agencies) {
      if (!isAgencyCode(src.organId)) throw new TypeError(`directory snapshot: malformed organId ${JSON.stringify(src.organId)}`)
      if (!isTier(src.tier)) throw new TypeError(`directory snapshot: ${src.organId} has no valid tier (${JSON.stringify(src.tier)})`)
      if (byId.has(src.organId)) throw new TypeError(`directory snapshot: duplicated organId ${src.organId}`)
      const a = freezeAgency(src)
      all.push(a)
      byId.set(a.organId, a)
      if (a.parent !== null) {
        const list = children.get(a.parent)
        if (list) list.push(a)
        else children.set(a.parent, [a])
      }
    }
    for (const list of children.values()) Object.freeze(list)
    return new DirectorySnapshot(all, byId, children, opts.version ?? '')
  }

  static readonly empty: DirectorySnapshot = DirectorySnapshot.build([])

  get(organId: string): Agency | undefined {
    return this.#byId.get(organId)
  }

  has(organId: string): boolean {
    return this.#byId.has(organId)
  }

  /** The stored parent agency (undefined for roots or when the parent is not in the snapshot). */
  parent(organId: string): Agency | undefined {
    const p = this.#byId.get(organId)?.parent
    return p ? this.#byId.get(p) : undefined
  }

  /** Direct children by the stored `parent` field, in insertion order. */
  children(organId: string): readonly Agency[] {
    return this.#children.get(organId) ?? EMPTY
  }

  /** All agencies under `organId` (depth first, the agency itself excluded). */
  descendants(organId: string): Agency[] {
    const out: Agency[] = []
    const stack = [...this.children(organId)].reverse()
    const seen = new Set<string>([organId])
    while (stack.length) {
      const a = stack.pop()!
      if (seen.has(a.organId)) continue
      seen.add(a.organId)
      out.push(a)
      const kids = this.children(a.organId)
      for (let i = kids.length - 1; i >= 0; i--) stack.push(kids[i])
    }
    return out
  }

  /** Stored parent chain, nearest first (stops at a missing parent or a cycle). */
  ancestors(organId: string): Agency[] {
    const out: Agency[] = []
    const seen = new Set<string>([organId])
    for (let a = this.parent(organId); a && !seen.has(a.organId); a = this.parent(a.organId)) {
      seen.add(a.organId)
      out.push(a)
    }
    return out
  }

  all(): readonly Agency[] {
    return this.#all
  }

  /** Agencies with a closure (whatever its date): the history succession rules walk. */
  closedAgencies(): readonly Agency[] {
    return this.#closed
  }

  [Symbol.iterator](): Iterator<Agency> {
    return this.#all[Symbol.iterator]()
  }

  /**
   * Case- and diacritic-insensitive search over organId and name: every whitespace-separated token of
   * the query must occur ("ubnd xa ben cau", "Bến Cầu", "H53", "000.21.31"). Ranked: exact organId,
   * then name starting with the query, then tokens at word starts, then anywhere; ties by organId.
   */
  search(query: string, opts: SearchOptions = {}): Agency[] {
    const limit = opts.limit ?? 20
    const q = foldVietnamese(query)
    const tokens = q.split(' ').filter(Boolean)
    if (tokens.length === 0 || limit <= 0) return []
    const folded = (this.#folded ??= this.#all.map((a) => `${a.organId.toLowerCase()} ${foldVietnamese(a.name)}`))
    const under = opts.under
    const hits: { a: Agency; score: number }[] = []
    outer: for (let i = 0; i < folded.length; i++) {
      const text = folded[i]
      for (const t of tokens) if (!text.includes(t)) continue outer
      const a = this.#all[i]
      if (!opts.includeDisabled && !a.enabled) continue
      if (opts.tier && a.tier !== opts.tier) continue
      if (under && a.organId !== under && !this.#isUnder(a, under)) continue
      const name = text.slice(a.organId.length + 1)
      let score = 3
      if (a.organId.toLowerCase() === q) score = 0
      else if (name.startsWith(q)) score = 1
      else if (tokens.every((t) => name.startsWith(t) || name.includes(` ${t}`) || a.organId.toLowerCase().includes(t))) score = 2
      hits.push({ a, score })
    }
    hits.sort((x, y) => x.score - y.score || (x.a.organId < y.a.organId ? -1 : x.a.organId > y.a.organId ? 1 : 0))
    return hits.slice(0, limit).map((h) => h.a)
  }

  #isUnder(a: Agency, root: string): boolean {
    const seen = new Set<string>()
    for (let p = a.parent; p !== null && !seen.has(p); p = this.#byId.get(p)?.parent ?? null) {
      if (p === root) return true
      seen.add(p)
    }
    return false
  }
}
