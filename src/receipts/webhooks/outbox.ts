/**
 * Webhook outbox writer, its own consumer group over `documents` (document.accepted) and `receipts`
 * (delivered, failed, edXML statuses): for each event and each matching subscription one delivery row,
 * idempotent on (subscription, event key), written before the offset is committed. The dispatcher
 * (dispatcher.ts) sends the rows; a crash between the two loses nothing.
 */
import type { Runtime } from '../../runtime.ts'
import { getDocument } from '../../store/ledger-repo.ts'
import { eventOf, payloadOf } from './events.ts'
import { enqueueDeliveries, matchingSubscriptions, subscribedEventTypes } from '../../store/webhooks-repo.ts'
import { generation } from '../../store/generations.ts'
import { statusPackageXml } from '../status-package.ts'
import { CONSUMERS } from '../../bus/consumers.ts'
import { consume } from '../../bus/consume.ts'

export async function startWebhookOutbox(rt: Runtime, onEnqueued: () => void) {
  const log = rt.log.child({ c: 'webhook-outbox' })
  // most events interest no subscription (a deployment without webhooks: all of them); knowing the
  // subscribed types spares those events the document read and the match (src/store/generations.ts)
  let types: { generation: number; set: Set<string> } | null = null
  const subscribed = async (type: string) => {
    if (types?.generation !== generation('webhooks')) {
      const gen = generation('webhooks')
      types = { generation: gen, set: await subscribedEventTypes(rt.db) }
    }
    return types.set.has(type)
  }
  return consume(rt, CONSUMERS.webhooks, async (value, m) => {
    const e = eventOf(value)
    if (!e || !(await subscribed(e.type))) return
    const doc = await getDocument(rt.db, e.documentUuid)
    if (!doc) {
      log.warn({ eventKey: e.eventKey }, 'event about a document unknown here; no webhook')
      return
    }
    const legs = e.recipient ? [e.recipient] : doc.recipients
    const subs = await matchingSubscriptions(rt.db, { type: e.type, documentUuid: doc.id, from: doc.from_organ, legs })
    if (subs.length === 0) return
    const pkg = e.statusBlob ? await statusPackageXml(rt, e.statusBlob, e.statusContentType) : null
    const body = JSON.stringify(payloadOf(e, { id: doc.id, documentId: doc.document_id, from: doc.from_organ, subject: doc.subject, recipients: doc.recipients }, pkg))
    const n = await rt.db.tx((q) =>
      enqueueDeliveries(q, subs, {
        eventKey: e.eventKey,
        type: e.type,
        documentUuid: doc.id,
        body,
        source: { topic: m.topic, offset: m.offset, key: m.key },
      }),
    )
    if (n) onEnqueued()
  })
}
