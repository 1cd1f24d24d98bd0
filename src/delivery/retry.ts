/**
 * The retry worker: claims due rows of the redelivery schedule and attempts them again, many at once
 * (up to IN_FLIGHT), so one slow endpoint never holds up the retries of others. Each attempt is bounded
 * by DELIVERY_TIMEOUT_MS; its lease (timeout + margin) makes a crashed attempt due again.
 */
import type { Runtime } from '../runtime.ts'
import { attemptDelivery } from './retry-attempt.ts'
import { claimDue } from '../store/retry-repo.ts'

const IN_FLIGHT = 32

export async function startRetryWorker(rt: Runtime) {
  const log = rt.log.child({ c: 'retry' })
  const inflight = new Set<Promise<unknown>>()
  let timer: NodeJS.Timeout | undefined
  let stopping = false
  let ticking: Promise<void> | null = null

  const tick = async () => {
    if (stopping) return
    try {
      const rows = await claimDue(rt.db, IN_FLIGHT - inflight.size, rt.config.deliveryTimeoutMs + 30_000)
      for (const row of rows) {
        const p = attemptDelivery(rt, { record: row.record, origin: row.origin, attempts: row.attempts, firstAt: row.firstAt, lastError: row.lastError })
          .catch((err) => log.error({ err, id: row.record.id, recipient: row.record.recipient }, 'retry attempt failed to record its outcome; lease will expire'))
          .finally(() => inflight.delete(p))
        inflight.add(p)
      }
    } catch (err) {
      if (!stopping) log.error({ err }, 'could not claim due retries')
    }
    if (!stopping) timer = schedule()
  }
  const schedule = () =>
    setTimeout(() => {
      ticking = tick()
    }, rt.config.retryPollMs)
  timer = schedule()

  return {
    async stop() {
      stopping = true
      clearTimeout(timer)
      await ticking
      await Promise.allSettled([...inflight])
    },
  }
}
