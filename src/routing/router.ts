/**
 * Router: one accepted document in; out, one record per local recipient on `deliver.<tier>` (key = the
 * recipient OrganId) and one record per other gateway on `forward` (key = the gateway; the record lists
 * every recipient that gateway is asked to route, so the package crosses each link once). The plan comes
 * from the pure route planner over the current directory snapshot, with `via` = the peer the document came
 * from (never forwarded back there). The offset is committed only after every record is confirmed by Kafka.
 */
import type { Runtime } from '../runtime.ts'
import type { BusMessage } from '../bus/kafka.ts'
import type { DeliveryRecord } from '../bus/topics.ts'
import { planRoute } from './route-planner.ts'
import { recordEvents, type TimelineEvent } from '../store/ledger-repo.ts'
import { selfOf } from '../ingest/accept-document.ts'
import { tierHint } from '../federation/forward-rules.ts'
import { consumeSpan } from '../tracing/index.ts'
import { rerouteInFlight, withoutRoutedRedirects } from '../store/succession-repo.ts'
import { eventKey } from '../delivery/event-key.ts'
import { CONSUMERS } from '../bus/consumers.ts'
import { consume } from '../bus/consume.ts'

export async function startRouter(rt: Runtime) {
  const log = rt.log.child({ c: 'router' })
  // a child of the accept span (the record's headers); the records produced below carry this span
  return consume(rt, CONSUMERS.router, (doc, m) =>
    consumeSpan(rt.tracing, 'router.route', m.headers, { 'lgsp.document.uuid': doc.id }, async (span) => {
      // planned at the acceptance instant: a closure dated later does not move a document accepted before it
      const plan = await withoutRoutedRedirects(rt.db, doc.id, planRoute(rt.directory(), selfOf(rt), { from: doc.from, to: doc.to, via: doc.via ?? null, at: doc.acceptedAt }))
      const base = { id: doc.id, from: doc.from, documentId: doc.documentId, sha256: doc.sha256 }
      const at = new Date().toISOString()
      const forwards = new Map<string, string[]>()
      const events: TimelineEvent[] = []
      const out = new Map<string, BusMessage[]>()
      const put = (topic: string, m: BusMessage) => out.set(topic, [...(out.get(topic) ?? []), m])
      for (const step of plan) {
        if (step.action === 'refuse') {
          // the directory changed between acceptance and routing: record it, don't lose it silently
          events.push({ eventKey: eventKey(doc.id, step.organId, 'DELIVERY_FAILED'), id: doc.id, recipient: step.organId, status: 'DELIVERY_FAILED', at, detail: step })
          log.warn({ id: doc.id, step }, 'recipient no longer routable')
        } else if (step.action === 'forward') {
          forwards.set(step.gateway, [...(forwards.get(step.gateway) ?? []), step.organId])
          events.push({
            eventKey: eventKey(doc.id, step.organId, 'ROUTED'),
            id: doc.id,
            recipient: step.organId,
            status: 'ROUTED',
            at,
            detail: { topic: rt.topics.forward, gateway: step.gateway },
          })
        } else {
          const rec: DeliveryRecord = { ...base, recipient: step.organId, tier: step.tier }
          events.push({
            eventKey: eventKey(doc.id, step.organId, 'ROUTED'),
            id: doc.id,
            recipient: step.organId,
            status: 'ROUTED',
            at,
            detail: { topic: rt.topics.deliver[step.tier] },
          })
          put(rt.topics.deliver[step.tier], { key: step.organId, value: rec })
        }
      }
      for (const [gateway, recipients] of forwards) {
        const rec: DeliveryRecord = { ...base, recipient: recipients[0]!, tier: tierHint(recipients[0]!), gateway, recipients }
        put(rt.topics.forward, { key: gateway, value: rec })
      }
      // ROUTED is recorded before the send so it always precedes DELIVERED in the timeline; if the send
      // fails the handler throws, the offset stays uncommitted and the document is routed again
      // (events are idempotent by key, deliveries by (document, recipient)). One transaction, one produce.
      const moved = plan.flatMap((s) =>
        s.action !== 'refuse' && s.redirect ? [{ organId: s.organId, redirect: s.redirect, tier: s.action === 'deliver' ? s.tier : tierHint(s.organId) }] : [],
      )
      if (moved.length) {
        await rt.db.tx(async (q) => {
          await rerouteInFlight(q, doc.id, moved, at) // its legs first: ROUTED below lands on them
          await recordEvents(q, events)
        })
      } else await recordEvents(rt.db, events) // one statement: atomic without a transaction of its own
      await rt.bus.sendBatch([...out].map(([topic, messages]) => ({ topic, messages })))
      span.setAttributes({ 'lgsp.recipients': plan.length, 'lgsp.forwards': forwards.size })
      log.debug({ id: doc.id, recipients: plan.length, forwards: forwards.size }, 'routed')
    }),
  )
}
