/**
 * Generations of the tables a process caches reads of (API keys, webhook subscriptions): a number that
 * moves whenever the table may have changed, so a cache entry taken at an older generation is not used.
 * This process's own writes move it at once (the repositories call `bump`); another process's writes move
 * it when PostgreSQL's notice arrives (migration 017: a trigger on each table notifies at commit,
 * src/store/change-feed.ts reads it), milliseconds later. A write whose transaction rolls back moves it
 * too: a cache miss, never a stale hit.
 */
export type CachedTable = 'clients' | 'webhooks'

const generations: Record<CachedTable, number> = { clients: 0, webhooks: 0 }

export const generation = (t: CachedTable) => generations[t]

export function bump(t: CachedTable): void {
  generations[t]++
}

/** Runs a write to `t`, moving its generation before and after (a read racing the write is not kept). */
export async function writing<T>(t: CachedTable, write: () => Promise<T>): Promise<T> {
  bump(t)
  try {
    return await write()
  } finally {
    bump(t)
  }
}
