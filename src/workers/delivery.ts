/**
 * Delivery workers, one consumer group per tier so a slow tier never holds up another. Each record is
 * handed to the adapter named by the recipient's directory entry; the offset is committed only after
 * the adapter reports the effect durable.
 */
import type { Runtime } from '../runtime.ts'
import type { DeliveryRecord } from '../bus/topics.ts'
import { TIERS } from '../routing/types.ts'
import { ADAPTERS } from '../adapters/index.ts'
import { recordEvent } from '../store/ledger-repo.ts'

export async function startDeliveryWorkers(rt: Runtime) {
  const log = rt.log.child({ c: 'delivery' })
  const consumers = await Promise.all(TIERS.map((tier) => rt.bus.consume({
    groupId: `${rt.config.topicPrefix}deliver-${tier}`,
    topics: [rt.topics.deliver[tier]],
    handler: async (_topic, value) => {
      const rec = value as DeliveryRecord
      const agency = rt.directory().get(rec.recipient)
      const adapter = agency && ADAPTERS.get(agency.endpoint.kind)
      if (!agency || !adapter) {
        await recordEvent(rt.db, {
          eventKey: `${rec.id}:${rec.recipient}:DELIVERY_FAILED`, id: rec.id, recipient: rec.recipient, status: 'DELIVERY_FAILED',
          at: new Date().toISOString(), detail: { reason: agency ? `no adapter for ${agency.endpoint.kind}` : 'recipient left the directory' },
        })
        return
      }
      const out = await adapter.deliver(rt, rec, agency)
      log.debug({ id: rec.id, recipient: rec.recipient, adapter: adapter.kind, fresh: out.fresh }, 'delivered')
    },
  })))
  return { async stop() { await Promise.all(consumers.map((c) => c.stop())) } }
}
