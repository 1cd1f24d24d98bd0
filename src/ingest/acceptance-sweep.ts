/**
 * No document delivered but never accepted: a record that reached Kafka is proof the document is durable,
 * so a reservation the router has routed but whose request died before recording the acceptance is
 * accepted here — the ledger row, the gateway's signed receipts (timed at the first routing, the nearest
 * instant to Kafka's confirmation this process can know) and the message-log entry — and a resend of the
 * same bytes gets that answer. Runs on every replica; the claim is a conditional update, so one wins.
 */
import type { Runtime } from '../runtime.ts'
import { confirm } from './accept-document.ts'
import { claimOrphans, legsOf } from '../store/orphans-repo.ts'

const SWEEP_MS = 5000 // orphans are rare (a crash in a window of milliseconds); finding one within seconds is plenty
const BATCH = 50

export async function startAcceptanceSweep(rt: Runtime) {
  const log = rt.log.child({ c: 'acceptance-sweep' })
  let stopping = false
  let timer: NodeJS.Timeout | undefined
  let running: Promise<void> | null = null

  const tick = async () => {
    try {
      for (const row of await claimOrphans(rt.db, BATCH, 30)) {
        const order = new Map(row.recipients.map((o, i) => [o, i]))
        const legs = (await legsOf(rt.db, row.id)).sort((a, b) => (order.get(a.organId) ?? 0) - (order.get(b.organId) ?? 0))
        const at = new Date(row.routed_at).toISOString()
        await confirm(
          rt,
          { id: row.id, from: row.from_organ, documentId: row.document_id, to: row.recipients, sha256: row.sha256, size: Number(row.size), contentType: row.content_type },
          legs,
          at,
        )
        log.warn(
          { id: row.id, from: row.from_organ, documentId: row.document_id },
          'accepted late: its record was routed, but the request that wrote it died before recording the acceptance',
        )
      }
    } catch (err) {
      if (!stopping) log.error({ err }, 'acceptance sweep failed; trying again')
    }
    if (!stopping)
      timer = setTimeout(() => {
        running = tick()
      }, SWEEP_MS).unref()
  }
  timer = setTimeout(() => {
    running = tick()
  }, SWEEP_MS).unref()
  return {
    async stop() {
      stopping = true
      clearTimeout(timer)
      await running
    },
  }
}
