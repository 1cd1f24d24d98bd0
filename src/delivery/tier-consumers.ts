/**
 * Delivery workers: one consumer group per tier, plus one for `forward` (documents for other gateways), so a
 * slow tier never holds up another. Each record gets one attempt here through the adapter its recipient's
 * directory entry names (retry-attempt.ts). A failed attempt is written to the durable redelivery schedule
 * and the offset is committed at once: a failing endpoint never blocks the other recipients of its
 * partition (no head-of-line blocking); the retry worker (retry.ts) takes it from there. The offset is
 * committed only after the attempt's outcome (delivered, scheduled or dead-lettered) is durable.
 */
import type { Runtime } from '../runtime.ts'
import { CONSUMERS } from '../bus/consumers.ts'
import { consume } from '../bus/consume.ts'
import { TIERS } from '../routing/types.ts'
import { attemptDelivery } from './retry-attempt.ts'
import { hasRetry } from '../store/retry-repo.ts'
import { extractContext } from '../tracing/index.ts'

export async function startDeliveryWorkers(rt: Runtime) {
  const consumers = await Promise.all(
    [...TIERS.map((tier) => CONSUMERS.deliver[tier]), CONSUMERS.forward].map((spec) =>
      consume(rt, spec, async (rec, m) => {
        // a replayed record whose delivery is already in the retry schedule: the retry worker owns it
        if (await hasRetry(rt.db, rec.id, rec.recipient)) return
        // the attempt's span is a child of the router's (the record's headers)
        await attemptDelivery(rt, {
          record: rec,
          origin: { topic: m.topic, partition: m.partition, offset: m.offset },
          attempts: 0,
          firstAt: null,
          ...(rt.tracing.enabled ? { parent: extractContext(m.headers) } : {}),
        })
      }),
    ),
  )
  return {
    async stop() {
      await Promise.all(consumers.map((c) => c.stop()))
    },
  }
}
