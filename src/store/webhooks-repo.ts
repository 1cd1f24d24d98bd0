/**
 * Persistence of webhook subscriptions, the delivery outbox and the attempt log. Claiming due deliveries is
 * one conditional UPDATE (`for update skip locked` inside): safe with several gateway processes on one
 * PostgreSQL, and trivially correct on single-connection PGlite. A claim pushes next_attempt_at past the
 * attempt's timeout (a lease), so a process killed mid-attempt leaves the row to be retried, not lost.
 */
import crypto from 'node:crypto'
import type { Sql } from './db.ts'
import { isUuid } from './ledger-repo.ts'
import { messageId } from '../receipts/webhooks/signing.ts'
import { writing } from './generations.ts'

export interface Subscription {
  id: string
  clientId: string
  url: string
  events: string[]
  filter: { document: string | null; recipient: string | null; sender: string | null }
  createdAt: string
}
interface SubRow {
  id: string
  client_id: string
  url: string
  events: string[]
  filter_document: string | null
  filter_recipient: string | null
  filter_sender: string | null
  created_at: Date
}
const toSub = (r: SubRow): Subscription => ({
  id: r.id,
  clientId: r.client_id,
  url: r.url,
  events: r.events,
  filter: { document: r.filter_document, recipient: r.filter_recipient, sender: r.filter_sender },
  createdAt: new Date(r.created_at).toISOString(),
})

/** A new subscription; the outbox's cache of subscribed event types (src/receipts/webhooks/outbox.ts) is refreshed. */
export async function createSubscription(q: Sql, s: Omit<Subscription, 'id' | 'createdAt'> & { secret: string }): Promise<Subscription> {
  const r = await writing(
    'webhooks',
    async () =>
      (
        await q.query<SubRow>(
          `insert into webhook_subscriptions (id, client_id, url, events, filter_document, filter_recipient, filter_sender, secret)
     values ($1, $2, $3, $4, $5, $6, $7, $8) returning *`,
          [crypto.randomUUID(), s.clientId, s.url, s.events, s.filter.document, s.filter.recipient, s.filter.sender, s.secret],
        )
      ).rows[0]!,
  )
  return toSub(r)
}

/** Every event type some subscription names (a superset of what any event will match: disabled clients count). */
export async function subscribedEventTypes(q: Sql): Promise<Set<string>> {
  return new Set((await q.query<{ t: string }>('select distinct unnest(events) as t from webhook_subscriptions')).rows.map((r) => r.t))
}

export async function listSubscriptions(q: Sql, clientId: string): Promise<Subscription[]> {
  return (await q.query<SubRow>('select * from webhook_subscriptions where client_id = $1 order by created_at, id', [clientId])).rows.map(toSub)
}

export async function getSubscription(q: Sql, clientId: string, id: string): Promise<Subscription | null> {
  if (!isUuid(id)) return null
  const r = (await q.query<SubRow>('select * from webhook_subscriptions where id = $1 and client_id = $2', [id, clientId])).rows[0]
  return r ? toSub(r) : null
}

export async function deleteSubscription(q: Sql, clientId: string, id: string): Promise<boolean> {
  if (!isUuid(id)) return false
  return (await q.query('delete from webhook_subscriptions where id = $1 and client_id = $2', [id, clientId])).rowCount > 0
}

/** The new secret signs from now on; the previous one keeps signing alongside it until `graceMs` passes. */
export async function rotateSecret(q: Sql, clientId: string, id: string, secret: string, graceMs: number): Promise<boolean> {
  if (!isUuid(id)) return false
  return (
    (
      await q.query(
        `update webhook_subscriptions set previous_secret = secret, previous_until = now() + make_interval(secs => $4::float8 / 1000), secret = $3
     where id = $1 and client_id = $2`,
        [id, clientId, secret, graceMs],
      )
    ).rowCount > 0
  )
}

/**
 * Subscriptions that receive an event: the type is subscribed, the filters match, the client is enabled and
 * one of its OrganIds is involved — the document's sender, or the recipient of the leg the event is about
 * (for document.accepted: any recipient). Operators see every event.
 */
export async function matchingSubscriptions(q: Sql, e: { type: string; documentUuid: string; from: string; legs: string[] }): Promise<string[]> {
  return (
    await q.query<{ id: string }>(
      `select s.id from webhook_subscriptions s join clients c on c.id = s.client_id
     where not c.disabled and $1 = any(s.events)
       and (s.filter_document is null or s.filter_document = $2)
       and (s.filter_recipient is null or s.filter_recipient = any($3))
       and (s.filter_sender is null or s.filter_sender = $4)
       and (c.role = 'operator' or c.organ_ids && $5)`,
      [e.type, e.documentUuid, e.legs, e.from, [e.from, ...e.legs]],
    )
  ).rows.map((r) => r.id)
}

/** Idempotent on (subscription, event): a re-consumed record adds nothing. Returns how many rows are new. */
export async function enqueueDeliveries(q: Sql, subs: string[], d: { eventKey: string; type: string; documentUuid: string; body: string; source: unknown }): Promise<number> {
  let n = 0
  for (const sub of subs) {
    n += (
      await q.query(
        `insert into webhook_deliveries (id, subscription_id, event_key, event_type, document_uuid, body, source)
       values ($1, $2, $3, $4, $5, $6, $7) on conflict (subscription_id, event_key) do nothing`,
        [messageId(sub, d.eventKey), sub, d.eventKey, d.type, d.documentUuid, d.body, JSON.stringify(d.source)],
      )
    ).rowCount
  }
  return n
}

export interface Claimed {
  id: string
  subscriptionId: string
  eventKey: string
  eventType: string
  body: string
  attempt: number
  retryFrom: Date
  source: unknown
  url: string
  secrets: string[]
}

export async function claimDue(q: Sql, limit: number, leaseMs: number): Promise<Claimed[]> {
  const rows = (
    await q.query<{
      id: string
      subscription_id: string
      event_key: string
      event_type: string
      body: string
      attempts: number
      retry_from: Date
      source: unknown
      url: string
      secret: string
      previous_secret: string | null
      previous_until: Date | null
      now: Date
    }>(
      `update webhook_deliveries d set attempts = d.attempts + 1, next_attempt_at = now() + make_interval(secs => $2::float8 / 1000)
     from webhook_subscriptions s
     where s.id = d.subscription_id and d.id in (
       select id from webhook_deliveries where state = 'pending' and next_attempt_at <= now()
       order by next_attempt_at limit $1 for update skip locked)
     returning d.id, d.subscription_id, d.event_key, d.event_type, d.body, d.attempts, d.retry_from, d.source,
       s.url, s.secret, s.previous_secret, s.previous_until, now() as now`,
      [limit, leaseMs],
    )
  ).rows
  return rows.map((r) => ({
    id: r.id,
    subscriptionId: r.subscription_id,
    eventKey: r.event_key,
    eventType: r.event_type,
    body: r.body,
    attempt: r.attempts,
    retryFrom: new Date(r.retry_from),
    source: r.source,
    url: r.url,
    secrets: [r.secret, ...(r.previous_secret && r.previous_until && new Date(r.previous_until) > new Date(r.now) ? [r.previous_secret] : [])],
  }))
}

export interface AttemptResult {
  status: number | null
  error: string | null
  durationMs: number
}

export async function recordAttempt(
  q: Sql,
  id: string,
  attempt: number,
  r: AttemptResult,
  next: { state: 'delivered' | 'dead' } | { state: 'pending'; delayMs: number },
): Promise<void> {
  await q.query('insert into webhook_attempts (delivery_id, attempt, status_code, error, duration_ms) values ($1, $2, $3, $4, $5)', [
    id,
    attempt,
    r.status,
    r.error,
    Math.round(r.durationMs),
  ])
  if (next.state === 'pending') {
    await q.query(
      `update webhook_deliveries set last_status = $2, last_error = $3, next_attempt_at = now() + make_interval(secs => $4::float8 / 1000)
      where id = $1 and state = 'pending'`,
      [id, r.status, r.error, next.delayMs],
    )
  } else {
    await q.query(
      `update webhook_deliveries set state = $2, last_status = $3, last_error = $4, delivered_at = case when $2 = 'delivered' then now() end
      where id = $1 and state = 'pending'`,
      [id, next.state, r.status, r.error],
    )
  }
}

export interface DeliveryView {
  id: string
  eventKey: string
  eventType: string
  documentUuid: string | null
  state: string
  attempts: number
  nextAttemptAt: string | null
  lastStatus: number | null
  lastError: string | null
  createdAt: string
  deliveredAt: string | null
  log: { attempt: number; at: string; statusCode: number | null; error: string | null; durationMs: number }[]
}

export async function listDeliveries(q: Sql, subscriptionId: string, o: { state?: string; limit: number; before?: string }): Promise<DeliveryView[]> {
  const params: unknown[] = [subscriptionId, o.limit]
  let where = 'subscription_id = $1'
  if (o.state) {
    params.push(o.state)
    where += ` and state = $${params.length}`
  }
  if (o.before) {
    params.push(o.before)
    where += ` and (created_at, id) < (select created_at, id from webhook_deliveries where id = $${params.length})`
  }
  const rows = (await q.query<Record<string, unknown>>(`select * from webhook_deliveries where ${where} order by created_at desc, id desc limit $2`, params)).rows
  const ids = rows.map((r) => r.id as string)
  const attempts = ids.length
    ? (
        await q.query<{ delivery_id: string; attempt: number; at: Date; status_code: number | null; error: string | null; duration_ms: number }>(
          'select * from webhook_attempts where delivery_id = any($1) order by seq',
          [ids],
        )
      ).rows
    : []
  return rows.map((r) => ({
    id: r.id as string,
    eventKey: r.event_key as string,
    eventType: r.event_type as string,
    documentUuid: (r.document_uuid as string | null) ?? null,
    state: r.state as string,
    attempts: Number(r.attempts),
    nextAttemptAt: r.state === 'pending' ? new Date(r.next_attempt_at as Date).toISOString() : null,
    lastStatus: (r.last_status as number | null) ?? null,
    lastError: (r.last_error as string | null) ?? null,
    createdAt: new Date(r.created_at as Date).toISOString(),
    deliveredAt: r.delivered_at ? new Date(r.delivered_at as Date).toISOString() : null,
    log: attempts
      .filter((a) => a.delivery_id === r.id)
      .map((a) => ({
        attempt: a.attempt,
        at: new Date(a.at).toISOString(),
        statusCode: a.status_code,
        error: a.error,
        durationMs: a.duration_ms,
      })),
  }))
}

/** Puts a delivery back in the queue, due now, with a fresh retry horizon; the webhook-id stays the same. */
export async function replayDelivery(q: Sql, subscriptionId: string, id: string): Promise<boolean> {
  return (
    (
      await q.query(
        `update webhook_deliveries set state = 'pending', next_attempt_at = now(), retry_from = now(), delivered_at = null
     where id = $1 and subscription_id = $2`,
        [id, subscriptionId],
      )
    ).rowCount > 0
  )
}

/** Subscriptions filtered on `from` (as recipient, then as sender) are filtered on `to` instead. */
export async function retargetSubscriptionFilters(q: Sql, from: string, to: string): Promise<void> {
  await q.query('update webhook_subscriptions set filter_recipient = $2 where filter_recipient = $1', [from, to])
  await q.query('update webhook_subscriptions set filter_sender = $2 where filter_sender = $1', [from, to])
}

/** Deletes every subscription filtered on `organId`, as recipient or as sender. */
export async function deleteSubscriptionsFilteredOn(q: Sql, organId: string): Promise<void> {
  await q.query('delete from webhook_subscriptions where filter_recipient = $1 or filter_sender = $1', [organId])
}
