/**
 * Router: one accepted document in, one record per recipient out, on `deliver.<tier>` keyed by the
 * recipient OrganId. The plan comes from the pure route planner over the current directory snapshot.
 * The offset is committed only after every deliver record is confirmed by Kafka.
 */
import type { Runtime } from '../runtime.ts'
import type { DeliveryRecord, DocumentRecord } from '../bus/topics.ts'
import { planRoute } from '../routing/route-planner.ts'
import { recordEvent } from '../store/ledger-repo.ts'
import { selfOf } from '../pipeline/accept-document.ts'

export async function startRouter(rt: Runtime) {
  const log = rt.log.child({ c: 'router' })
  return rt.bus.consume({
    groupId: `${rt.config.topicPrefix}router`,
    topics: [rt.topics.documents],
    handler: async (_topic, value) => {
      const doc = value as DocumentRecord
      const plan = planRoute(rt.directory(), selfOf(rt), { from: doc.from, to: doc.to })
      for (const step of plan) {
        const at = new Date().toISOString()
        if (step.action !== 'deliver') {
          // the directory changed between acceptance and routing: record it, don't lose it silently
          await recordEvent(rt.db, { eventKey: `${doc.id}:${step.organId}:DELIVERY_FAILED`, id: doc.id, recipient: step.organId, status: 'DELIVERY_FAILED', at, detail: step })
          log.warn({ id: doc.id, step }, 'recipient no longer routable')
          continue
        }
        const rec: DeliveryRecord = { id: doc.id, recipient: step.organId, tier: step.tier, from: doc.from, documentId: doc.documentId, sha256: doc.sha256 }
        // ROUTED is recorded before the send so it always precedes DELIVERED in the timeline; if the send
        // fails the handler throws, the offset stays uncommitted and the record is routed again
        await recordEvent(rt.db, { eventKey: `${doc.id}:${step.organId}:ROUTED`, id: doc.id, recipient: step.organId, status: 'ROUTED', at, detail: { topic: rt.topics.deliver[step.tier] } })
        await rt.bus.send(rt.topics.deliver[step.tier], [{ key: step.organId, value: rec }])
      }
      log.debug({ id: doc.id, recipients: plan.length }, 'routed')
    },
  })
}
