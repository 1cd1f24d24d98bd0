/**
 * What the gateway holds for an agency about to close, counted from the ledger, the inbox, the webhook
 * subscriptions and the API keys: the dry run of a change table (src/ops/succession.ts) shows it per code.
 */
import type { Sql } from './db.ts'

/** Delivery states of a leg that has not reached its recipient yet. */
const IN_FLIGHT = ['PENDING', 'ACCEPTED', 'ROUTED']

export interface ClosureHoldingCounts {
  /** legs to the code not delivered yet (routing, pushing, retrying) */
  inFlight: number
  /** delivered to the code's pull inbox, never acknowledged */
  unreadInbox: number
  /** webhook subscriptions filtered on the code, or owned by a key acting for it */
  webhooks: number
  /** API keys (client role, enabled) acting for the code */
  apiKeys: number
}

// count(*) is a bigint, which the pg driver hands back as text
async function count(q: Sql, sql: string, params: unknown[]): Promise<number> {
  return Number((await q.query<{ n: string | number }>(sql, params)).rows[0]?.n ?? 0)
}

/** One statement per count, run one after the other on `q`. */
export async function closureHoldingCounts(q: Sql, organId: string): Promise<ClosureHoldingCounts> {
  return {
    inFlight: await count(q, 'select count(*) as n from deliveries where recipient = $1 and status = any($2)', [organId, IN_FLIGHT]),
    unreadInbox: await count(q, 'select count(*) as n from inbox where recipient = $1 and acked_at is null', [organId]),
    webhooks: await count(
      q,
      `select count(*) as n from webhook_subscriptions w join clients c on c.id = w.client_id
      where w.filter_recipient = $1 or w.filter_sender = $1 or $1 = any(c.organ_ids)`,
      [organId],
    ),
    apiKeys: await count(q, `select count(*) as n from clients where role = 'client' and not disabled and $1 = any(organ_ids)`, [organId]),
  }
}
