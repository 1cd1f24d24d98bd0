/**
 * Starts every worker of this gateway — each Kafka consumer of the catalogue (src/bus/consumers.ts) and the
 * timed sweeps (retries, orphaned acceptances, VXP peers, webhook dispatch); `stop` stops them all.
 */
import type { Runtime } from '../runtime.ts'
import { startRouter } from '../routing/router.ts'
import { startDeliveryWorkers } from '../delivery/tier-consumers.ts'
import { startReceiptsProjection } from '../receipts/projection.ts'
import { startRetryWorker } from '../delivery/retry.ts'
import { startAcceptanceSweep } from '../ingest/acceptance-sweep.ts'
import { startStatusReturn } from '../federation/status-return.ts'
import { checkWiring } from '../adapters/index.ts'
import { syncPeerClients } from '../adapters/upstream.ts'
import { startWebhookDispatcher } from '../receipts/webhooks/dispatcher.ts'
import { startWebhookOutbox } from '../receipts/webhooks/outbox.ts'
import { startVxpPeerPoll } from '../federation/vxp-peer-poll.ts'
import { startDeadLetterMirror } from '../delivery/dead-letter-mirror.ts'

export async function startWorkers(rt: Runtime): Promise<{ stop(): Promise<void> }> {
  checkWiring(rt) // every endpoint kind has an adapter, every forward target a peer key (STYLE 4)
  await syncPeerClients(rt)
  const dispatcher = await startWebhookDispatcher(rt)
  const all = await Promise.all([
    startRouter(rt),
    startDeliveryWorkers(rt),
    startReceiptsProjection(rt),
    startRetryWorker(rt),
    startStatusReturn(rt),
    startWebhookOutbox(rt, dispatcher.wake),
    startVxpPeerPoll(rt),
    startAcceptanceSweep(rt),
    startDeadLetterMirror(rt),
  ])
  all.push(dispatcher)
  rt.lifecycle.workers = 'running'
  return {
    async stop() {
      await Promise.allSettled(all.map((w) => w.stop()))
    },
  }
}
