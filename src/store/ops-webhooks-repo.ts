/**
 * Webhook subscriptions seen by an operator: all of them, across clients (a client sees only its own,
 * src/gateway/webhooks.ts), and a replay that is audited in the message log. Secrets never leave the store.
 */
import type { Runtime } from '../runtime.ts'
import type { Sql } from './db.ts'
import { GatewayError } from '../errors.ts'
import { isUuid } from './ledger-repo.ts'
import { logOperatorAction } from './message-log-repo.ts'

export async function allSubscriptions(q: Sql) {
  const rows = (
    await q.query<{
      id: string
      client_id: string
      client_name: string | null
      url: string
      events: string[]
      filter_document: string | null
      filter_recipient: string | null
      filter_sender: string | null
      created_at: Date
      pending: number
      delivered: number
      dead: number
      last_at: Date | null
    }>(
      `select s.id, s.client_id, c.name as client_name, s.url, s.events, s.filter_document, s.filter_recipient, s.filter_sender, s.created_at,
            count(d.id) filter (where d.state = 'pending')::int as pending, count(d.id) filter (where d.state = 'delivered')::int as delivered,
            count(d.id) filter (where d.state = 'dead')::int as dead, max(d.created_at) as last_at
     from webhook_subscriptions s left join clients c on c.id = s.client_id left join webhook_deliveries d on d.subscription_id = s.id
     group by s.id, c.name order by s.created_at desc, s.id`,
    )
  ).rows
  return rows.map((r) => ({
    id: r.id,
    clientId: r.client_id,
    clientName: r.client_name,
    url: r.url,
    events: r.events,
    filter: { document: r.filter_document, recipient: r.filter_recipient, sender: r.filter_sender },
    createdAt: new Date(r.created_at).toISOString(),
    deliveries: { pending: r.pending, delivered: r.delivered, dead: r.dead },
    lastEventAt: r.last_at ? new Date(r.last_at).toISOString() : null,
  }))
}

/** Due now, with a fresh retry horizon and the same webhook-id; audited in the same transaction. */
export async function replayWebhookDelivery(rt: Runtime, subscriptionId: string, deliveryId: string, actor: string): Promise<void> {
  if (!isUuid(subscriptionId)) throw new GatewayError('WEBHOOK_NOT_FOUND', `no webhook subscription ${subscriptionId}`)
  await rt.db.tx(async (q) => {
    const r = await q.query<{ document_uuid: string | null; event_key: string; state: string }>(
      `update webhook_deliveries d set state = 'pending', next_attempt_at = now(), retry_from = now(), delivered_at = null
       from (select id, state as old_state from webhook_deliveries where id = $1 and subscription_id = $2 for update) o
       where d.id = o.id returning d.document_uuid, d.event_key, o.old_state as state`,
      [deliveryId, subscriptionId],
    )
    const row = r.rows[0]
    if (!row) throw new GatewayError('WEBHOOK_NOT_FOUND', `no delivery ${deliveryId} in subscription ${subscriptionId}`)
    await logOperatorAction(q, {
      actor,
      action: 'webhook.replay',
      documentUuid: row.document_uuid,
      detail: { subscription: subscriptionId, delivery: deliveryId, eventKey: row.event_key, previousState: row.state },
    })
  })
}
