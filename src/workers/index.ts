/** Starts every Kafka worker of this gateway; `stop` stops them all. */
import type { Runtime } from '../runtime.ts'
import { startRouter } from './router.ts'
import { startDeliveryWorkers } from './delivery.ts'
import { startReceiptsProjection } from './receipts.ts'

export async function startWorkers(rt: Runtime): Promise<{ stop(): Promise<void> }> {
  const all = await Promise.all([startRouter(rt), startDeliveryWorkers(rt), startReceiptsProjection(rt)])
  return { async stop() { await Promise.allSettled(all.map((w) => w.stop())) } }
}
