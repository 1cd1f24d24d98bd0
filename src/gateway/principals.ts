/**
 * Who an API key is, remembered: every request authenticates, and the lookup was a database round trip
 * per request (three or four per document sent and received). An entry holds until the clients table
 * changes (src/store/generations.ts: at once for this process's writes, within milliseconds for another
 * process's, by PostgreSQL's notice), until a rotated key's overlap ends, and at most `MAX_AGE_MS` as a
 * backstop. Unknown keys are not remembered: a new key works at once, and guessing fills nothing.
 */
import type { Sql } from '../store/db.ts'
import { findPrincipal, hashKey, type Principal } from '../store/clients-repo.ts'
import { generation } from '../store/generations.ts'

const MAX_AGE_MS = 60_000
const MAX_ENTRIES = 10_000

interface Entry {
  principal: Principal
  generation: number
  until: number
}

export function principalCache(db: Sql) {
  const entries = new Map<string, Entry>()
  return async function principalOfKey(key: string): Promise<Principal | null> {
    const h = hashKey(key)
    const now = Date.now()
    const hit = entries.get(h)
    if (hit && hit.generation === generation('clients') && hit.until > now) return hit.principal
    if (hit) entries.delete(h)
    const gen = generation('clients') // taken before the read: a change during it makes this entry stale
    const found = await findPrincipal(db, key)
    if (!found) return null
    if (entries.size >= MAX_ENTRIES) entries.delete(entries.keys().next().value!)
    entries.set(h, { principal: found.principal, generation: gen, until: Math.min(now + MAX_AGE_MS, found.until?.getTime() ?? Infinity) })
    return found.principal
  }
}
