/** The durable count of delivery attempts started per (document, recipient): see 012_delivery_attempts.sql. */
import type { Sql } from './db.ts'

/**
 * Starts an attempt and returns its number: one more than any attempt started before, whatever the caller
 * remembers (a crash loses the caller's count, not this one). `atLeast` is the caller's own count + 1.
 */
export async function startAttempt(q: Sql, documentId: string, recipient: string, atLeast: number): Promise<number> {
  const r = await q.query<{ n: number }>(
    `update deliveries set attempts_started = greatest(attempts_started + 1, $3) where document_uuid = $1 and recipient = $2 returning attempts_started as n`,
    [documentId, recipient, atLeast],
  )
  return r.rows[0]?.n ?? atLeast // a leg with no row of its own (a peer's forward): the caller's count
}
