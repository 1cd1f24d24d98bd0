/**
 * What is piling up, counted from the ledger in one place: the queues page (src/ops/queues.ts) and the
 * Prometheus gauges (src/ops/metrics.ts) read the same numbers from the same queries.
 */
import type { Sql } from './db.ts'

export interface QueueCounts {
  /** legs accepted but not yet delivered, per tier, with the age in seconds of the oldest */
  undelivered: Map<string, { n: number; oldestS: number | null }>
  /** legs waiting in the redelivery schedule, per tier */
  inRetry: Map<string, number>
  /** legs in the delivery DLQ, per tier */
  inDlq: Map<string, number>
  webhooks: { pending: number; dead: number }
  /** rows in the message log (its head's sequence number) */
  logRows: number
}

export async function queueCounts(q: Sql): Promise<QueueCounts> {
  const [undelivered, retry, dlq, webhooks, log] = await Promise.all([
    q.query<{ tier: string; n: number; oldest: number | null }>(
      `select d.tier, count(*)::int as n, extract(epoch from now() - min(doc.accepted_at))::float8 as oldest
       from deliveries d join documents doc on doc.id = d.document_uuid
       where d.status in ('PENDING', 'ACCEPTED', 'ROUTED') and doc.state = 'accepted' group by d.tier`,
    ),
    q.query<{ tier: string; n: number }>(`select record->>'tier' as tier, count(*)::int as n from delivery_retries group by 1`),
    q.query<{ tier: string; n: number }>(`select tier, count(*)::int as n from ops_dead_letters where state = 'dead' group by tier`),
    q.query<{ pending: number; dead: number }>(
      `select count(*) filter (where state = 'pending')::int as pending, count(*) filter (where state = 'dead')::int as dead from webhook_deliveries`,
    ),
    q.query<{ seq: string }>('select seq from message_log_head where id = 1'),
  ])
  return {
    undelivered: new Map(undelivered.rows.map((r) => [r.tier, { n: r.n, oldestS: r.oldest }])),
    inRetry: new Map(retry.rows.map((r) => [r.tier, r.n])),
    inDlq: new Map(dlq.rows.map((r) => [r.tier, r.n])),
    webhooks: { pending: webhooks.rows[0]?.pending ?? 0, dead: webhooks.rows[0]?.dead ?? 0 },
    logRows: Number(log.rows[0]?.seq ?? 0),
  }
}

/** an outcome event of one leg (DELIVERED, FORWARDED or DELIVERY_FAILED) with what the delivery metrics label it by */
export interface DeliveryOutcomeRow {
  seq: string
  status: string
  tier: string | null
  recipient: string
  /** the adapter the worker recorded in the event's detail, if any */
  adapter: string | null
  /** seconds from the document's acceptance to this event */
  seconds: number | null
}

/** outcome events appended after `seq` (the timeline's append order), oldest first, at most `limit` */
export async function deliveryOutcomesAfter(q: Sql, seq: number, limit: number): Promise<DeliveryOutcomeRow[]> {
  return (
    await q.query<DeliveryOutcomeRow>(
      `select e.seq, e.status, d.tier, e.recipient, e.detail->>'adapter' as adapter,
            extract(epoch from e.at - doc.accepted_at)::float8 as seconds
     from delivery_events e
     left join deliveries d on d.document_uuid = e.document_uuid and d.recipient = e.recipient
     left join documents doc on doc.id = e.document_uuid
     where e.seq > $1 and e.status in ('DELIVERED', 'FORWARDED', 'DELIVERY_FAILED')
     order by e.seq limit $2`,
      [seq, limit],
    )
  ).rows
}
