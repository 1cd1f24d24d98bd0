/**
 * Webhook dispatcher: claims due rows of the outbox (webhook_deliveries) and POSTs them following Standard
 * Webhooks — webhook-id (stable across retries), webhook-timestamp, webhook-signature. A failed attempt is
 * retried with exponential backoff and jitter until WEBHOOK_RETRY_HORIZON_MS (about a day by default) has
 * passed since the first try; then the row is dead and a record goes to `<prefix>webhooks.dlq`, naming the
 * Kafka position of the original event. Every attempt is logged in webhook_attempts (status, error, duration).
 */
import type { Runtime } from '../../runtime.ts'
import { signatures } from './signing.ts'
import { post } from './send.ts'
import { backoffMs } from '../../delivery/contract.ts'
import { claimDue, recordAttempt, type AttemptResult, type Claimed } from '../../store/webhooks-repo.ts'
import { GatewayError } from '../../errors.ts'

const IDLE_POLL_MS = 250

export async function startWebhookDispatcher(rt: Runtime) {
  const log = rt.log.child({ c: 'webhook-dispatcher' })
  const cfg = rt.config
  await rt.bus.ensureTopics([rt.topics.webhooksDlq], cfg.kafkaPartitions, cfg.kafkaReplication)
  // a claim is a lease: long enough for one attempt, after which a crashed process's row is due again
  const leaseMs = cfg.webhookTimeoutMs + 5_000
  const inflight = new Set<Promise<void>>()
  let running = true
  let wake: () => void = () => {}

  const attempt = async (d: Claimed) => {
    let r: AttemptResult
    const started = performance.now()
    try {
      const ts = Math.floor(Date.now() / 1000)
      r = await post(
        d.url,
        {
          'webhook-id': d.id,
          'webhook-timestamp': String(ts),
          'webhook-signature': signatures(d.secrets, d.id, ts, d.body),
          'user-agent': `lien-thong-webhooks (${cfg.gatewayId})`,
        },
        d.body,
        cfg.webhookTimeoutMs,
        cfg.webhookAllowPrivate,
      )
    } catch (e) {
      r = { status: null, error: e instanceof GatewayError ? `${e.code}: ${e.message}` : String(e), durationMs: performance.now() - started }
    }
    const ok = r.error === null
    const delayMs = backoffMs(d.attempt, cfg.webhookRetryBaseMs, cfg.webhookRetryMaxDelayMs)
    const dead = !ok && Date.now() + delayMs > d.retryFrom.getTime() + cfg.webhookRetryHorizonMs
    const line = { delivery: d.id, event: d.eventKey, attempt: d.attempt, status: r.status, error: r.error, ms: Math.round(r.durationMs) }
    if (ok) log.debug(line, 'webhook delivered')
    else log.info({ ...line, retryInMs: dead ? null : delayMs }, dead ? 'webhook delivery dead-lettered' : 'webhook attempt failed')
    if (dead) {
      // the DLQ record first: if the process dies before the row is marked, the row is retried and the
      // record written again, which a DLQ reader tolerates (it is keyed by the delivery id)
      await rt.bus.send(rt.topics.webhooksDlq, [
        {
          key: d.id,
          value: {
            deliveryId: d.id,
            subscriptionId: d.subscriptionId,
            eventKey: d.eventKey,
            eventType: d.eventType,
            attempts: d.attempt,
            lastStatus: r.status,
            lastError: r.error,
            source: d.source,
            deadAt: new Date().toISOString(),
            body: d.body,
          },
        },
      ])
    }
    await recordAttempt(rt.db, d.id, d.attempt, r, ok ? { state: 'delivered' } : dead ? { state: 'dead' } : { state: 'pending', delayMs })
  }

  const loop = (async () => {
    while (running) {
      const free = cfg.webhookConcurrency - inflight.size
      let claimed = 0
      if (free > 0) {
        try {
          const rows = await claimDue(rt.db, free, leaseMs)
          claimed = rows.length
          for (const d of rows) {
            const p: Promise<void> = attempt(d)
              .catch((err) => log.error({ err, delivery: d.id }, 'webhook attempt could not be recorded; retried after its lease'))
              .finally(() => {
                inflight.delete(p)
                wake()
              })
            inflight.add(p)
          }
        } catch (err) {
          if (running) log.error({ err }, 'claiming webhook deliveries failed')
        }
      }
      if (claimed > 0 && claimed === free) continue // possibly more due: claim again once a slot frees
      if (!running) break
      await new Promise<void>((res) => {
        const t = setTimeout(res, IDLE_POLL_MS)
        wake = () => {
          clearTimeout(t)
          wake = () => {}
          res()
        }
      })
    }
  })()

  return {
    /** new rows were written: look now rather than at the next poll */
    wake: () => wake(),
    async stop() {
      running = false
      wake()
      await loop
      await Promise.allSettled([...inflight])
    },
  }
}
