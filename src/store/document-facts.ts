/**
 * What never changes about an accepted document — sender, DocumentId, promulgation date, acceptance time,
 * the peer it came from — read once and remembered: the receipts projection and the status return need
 * them for every status (two reads per document and recipient). Only accepted rows are remembered (a
 * pending row's acceptance time is still to come); a row's recipients can grow (a successor added by the
 * 2025 reorganisation) and are not part of this.
 */
import type { Sql } from './db.ts'
import { getDocument, type DocumentRow } from './ledger-repo.ts'

export type DocumentFacts = Pick<DocumentRow, 'id' | 'from_organ' | 'document_id' | 'promulgated' | 'accepted_at' | 'via_peer'>

const MAX_ENTRIES = 20_000
const caches = new WeakMap<Sql, Map<string, DocumentFacts>>()

export async function documentFacts(q: Sql, id: string): Promise<DocumentFacts | null> {
  let cache = caches.get(q)
  if (!cache) caches.set(q, (cache = new Map()))
  const hit = cache.get(id)
  if (hit) return hit
  const row = await getDocument(q, id)
  if (!row) return null
  const facts: DocumentFacts = {
    id: row.id,
    from_organ: row.from_organ,
    document_id: row.document_id,
    promulgated: row.promulgated ?? null,
    accepted_at: row.accepted_at,
    via_peer: row.via_peer ?? null,
  }
  if (row.state === 'accepted') {
    if (cache.size >= MAX_ENTRIES) cache.delete(cache.keys().next().value!)
    cache.set(id, facts)
  }
  return facts
}
