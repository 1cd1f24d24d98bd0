/**
 * The night operator's first question: is anything piling up? Per tier: Kafka lag of its delivery group,
 * legs accepted but not delivered (and the age of the oldest), legs waiting in the redelivery schedule,
 * items in the DLQ; and the lag of the other stages (router, receipts, webhooks, status return, forward).
 */
import { CONSUMERS, groupOf } from '../bus/consumers.ts'
import type { Runtime } from '../runtime.ts'
import { TIERS, type Tier } from '../routing/types.ts'
import type { LagRow } from './kafka-lag.ts'
import { queueCounts } from '../store/queue-counts-repo.ts'

export interface TierQueue {
  tier: Tier
  lag: number | null
  undelivered: number
  oldestUndeliveredSeconds: number | null
  inRetry: number
  inDlq: number
}
export interface StageLag {
  group: string
  topic: string
  lag: number
  partitions: { partition: number; lag: number; committed: number; high: number }[]
}
export interface QueuesView {
  at: string
  tiers: TierQueue[]
  stages: StageLag[]
  webhooks: { backlog: number; dead: number }
  dlq: { delivery: number; webhook: number }
  kafka: { ok: boolean; error?: string }
}

export async function queuesView(rt: Runtime): Promise<QueuesView> {
  let lag: LagRow[] | null = null
  let kafkaError: string | undefined
  try {
    lag = await rt.metrics.lag.read()
  } catch (e) {
    kafkaError = (e as Error).message
  }
  const counts = await queueCounts(rt.db)
  const p = rt.config.topicPrefix
  const tiers = TIERS.map((tier): TierQueue => {
    const u = counts.undelivered.get(tier)
    const mine = lag?.filter((l) => l.group === groupOf(p, CONSUMERS.deliver[tier]) && l.topic === rt.topics.deliver[tier])
    return {
      tier,
      lag: mine ? mine.reduce((s, l) => s + l.lag, 0) : null,
      undelivered: u?.n ?? 0,
      oldestUndeliveredSeconds: u?.oldestS == null ? null : Math.max(0, Math.round(u.oldestS)),
      inRetry: counts.inRetry.get(tier) ?? 0,
      inDlq: counts.inDlq.get(tier) ?? 0,
    }
  })
  const stages = new Map<string, StageLag>()
  for (const l of lag ?? []) {
    if (TIERS.some((t) => l.group === groupOf(p, CONSUMERS.deliver[t]))) continue
    const k = `${l.group} ${l.topic}`
    const s = stages.get(k) ?? { group: l.group.slice(p.length), topic: l.topic.slice(p.length), lag: 0, partitions: [] }
    s.lag += l.lag
    s.partitions.push({ partition: l.partition, lag: l.lag, committed: l.committed, high: l.high })
    stages.set(k, s)
  }
  const w = counts.webhooks
  return {
    at: new Date().toISOString(),
    tiers,
    stages: [...stages.values()],
    webhooks: { backlog: w.pending, dead: w.dead },
    dlq: { delivery: [...counts.inDlq.values()].reduce((s, n) => s + n, 0), webhook: w.dead },
    kafka: kafkaError ? { ok: false, error: kafkaError } : { ok: true },
  }
}
