/**
 * Prometheus metrics of one gateway. One prom-client Registry per Runtime, never the global
 * one, so several gateways in one process (tests, federation) do not clash.
 *
 * Two kinds of source:
 * - events seen by this process: documents accepted/refused by code and the accept latency (HTTP hooks in
 *   src/gateway/metrics.ts);
 * - the ledger and Kafka, read at scrape time (`refresh`, cached): delivery outcomes by tier/adapter and
 *   accept → delivered latency are counted from new timeline events since the last scrape (so every
 *   delivery counts once, whichever process or worker made it, without hooks in the delivery path), and
 *   the gauges (consumer lag, DLQ sizes, retries, webhook backlog, directory size, message log) are read.
 *   Delivery counters therefore describe the shared ledger: with several gateway processes, aggregate
 *   them with max(), not sum().
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'
import { dbRoundTrips } from '../store/db.ts'
import type { Logger } from 'pino'
import type { Config } from '../config/config.ts'
import type { Sql } from '../store/db.ts'
import type { DirectorySnapshot } from '../routing/directory-snapshot.ts'
import { TIERS } from '../routing/types.ts'
import { LagReader, type LagRow } from './kafka-lag.ts'
import { allConsumers, groupOf } from '../bus/consumers.ts'
import { topicsFor } from '../bus/topics.ts'
import { deliveryOutcomesAfter, queueCounts } from '../store/queue-counts-repo.ts'

const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]
const DELIVERY_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 6 * 3600, 86400]

/** The consumer groups of a gateway and the topics each reads (from the catalogue, src/bus/consumers.ts). */
export function consumerGroups(prefix: string): Map<string, string[]> {
  const t = topicsFor(prefix)
  return new Map(allConsumers().map((c) => [groupOf(prefix, c), c.topics(t)]))
}

export class OpsMetrics {
  readonly registry = new Registry()
  readonly lag: LagReader
  readonly accepted: Counter<'surface'>
  readonly refused: Counter<'surface' | 'code'>
  readonly acceptSeconds: Histogram<'surface' | 'outcome'>
  readonly deliveries: Counter<'tier' | 'adapter' | 'outcome'>
  readonly deliverySeconds: Histogram<'tier' | 'adapter'>
  readonly consumerLag: Gauge<'group' | 'topic' | 'partition'>
  readonly dlqSize: Gauge<'queue'>
  readonly inRetry: Gauge<'tier'>
  readonly undelivered: Gauge<'tier'>
  readonly oldestUndelivered: Gauge<'tier'>
  readonly webhookBacklog: Gauge<string>
  readonly directorySize: Gauge<'tier'>
  readonly logRows: Gauge<string>
  readonly scrapeErrors: Counter<'source'>
  #lastEventSeq: number | null = null
  #refreshing: Promise<void> | null = null
  #refreshedAt = 0

  private readonly config: Readonly<Config>
  private readonly log: Logger

  constructor(config: Readonly<Config>, log: Logger) {
    this.config = config
    this.log = log
    const r = this.registry
    r.setDefaultLabels({ gateway: config.gatewayId })
    collectDefaultMetrics({ register: r, prefix: 'lgsp_' })
    const reg = [r]
    this.accepted = new Counter({
      name: 'lgsp_documents_accepted_total',
      help: 'Documents accepted (202), by surface (rest | soap | vxp)',
      labelNames: ['surface'],
      registers: reg,
    })
    this.refused = new Counter({
      name: 'lgsp_documents_refused_total',
      help: 'Documents refused, by surface and error code (docs/errors.md)',
      labelNames: ['surface', 'code'],
      registers: reg,
    })
    this.acceptSeconds = new Histogram({
      name: 'lgsp_accept_duration_seconds',
      help: 'Time to answer a document submission (parse, verify, route, Kafka acks=all)',
      labelNames: ['surface', 'outcome'],
      buckets: LATENCY_BUCKETS,
      registers: reg,
    })
    this.deliveries = new Counter({
      name: 'lgsp_deliveries_total',
      help: 'Delivery outcomes recorded in the ledger, by tier, adapter and outcome (delivered | forwarded | failed)',
      labelNames: ['tier', 'adapter', 'outcome'],
      registers: reg,
    })
    this.deliverySeconds = new Histogram({
      name: 'lgsp_accept_to_delivered_seconds',
      help: 'Time from acceptance to delivery (DELIVERED / FORWARDED), by tier and adapter',
      labelNames: ['tier', 'adapter'],
      buckets: DELIVERY_BUCKETS,
      registers: reg,
    })
    this.consumerLag = new Gauge({
      name: 'lgsp_kafka_consumer_lag',
      help: 'Records not yet consumed: high watermark minus committed offset, per group, topic and partition',
      labelNames: ['group', 'topic', 'partition'],
      registers: reg,
    })
    this.dlqSize = new Gauge({
      name: 'lgsp_dlq_size',
      help: 'Items waiting in a dead-letter queue (delivery: not replayed or discarded; webhook: dead deliveries)',
      labelNames: ['queue'],
      registers: reg,
    })
    this.inRetry = new Gauge({ name: 'lgsp_deliveries_in_retry', help: 'Deliveries waiting in the redelivery schedule, by tier', labelNames: ['tier'], registers: reg })
    this.undelivered = new Gauge({
      name: 'lgsp_deliveries_undelivered',
      help: 'Recipient legs accepted but not yet delivered (PENDING / ROUTED), by tier',
      labelNames: ['tier'],
      registers: reg,
    })
    this.oldestUndelivered = new Gauge({
      name: 'lgsp_oldest_undelivered_seconds',
      help: 'Age of the oldest undelivered leg, by tier (0 when none)',
      labelNames: ['tier'],
      registers: reg,
    })
    this.webhookBacklog = new Gauge({ name: 'lgsp_webhook_backlog', help: 'Webhook deliveries pending (not yet delivered or dead)', registers: reg })
    this.directorySize = new Gauge({ name: 'lgsp_directory_agencies', help: 'Agencies in the directory snapshot, by tier', labelNames: ['tier'], registers: reg })
    this.logRows = new Gauge({ name: 'lgsp_message_log_rows', help: 'Rows in the tamper-evident message log', registers: reg })
    new Counter({
      name: 'lgsp_db_statements_total',
      help: 'Statements this process ran on PostgreSQL (a round trip each)',
      registers: reg,
      collect() {
        this.reset()
        this.inc(dbRoundTrips.statements)
      },
    })
    new Counter({
      name: 'lgsp_db_transactions_total',
      help: 'Transactions this process ran on PostgreSQL (begin and commit: two round trips more)',
      registers: reg,
      collect() {
        this.reset()
        this.inc(dbRoundTrips.transactions)
      },
    })
    this.scrapeErrors = new Counter({
      name: 'lgsp_metrics_source_errors_total',
      help: 'Scrapes where a source (kafka | db) could not be read; its gauges keep their last value',
      labelNames: ['source'],
      registers: reg,
    })
    this.lag = new LagReader({
      brokers: config.kafkaBrokers,
      clientId: config.gatewayId,
      prefix: config.topicPrefix,
      cacheMs: config.opsCacheMs,
      knownGroups: () => consumerGroups(config.topicPrefix),
      log,
    })
  }

  /** Reads the ledger and Kafka into the metrics; concurrent scrapes share one refresh, cached for opsCacheMs. */
  refresh(db: Sql, directory: DirectorySnapshot): Promise<void> {
    if (this.#refreshing) return this.#refreshing
    if (Date.now() - this.#refreshedAt < this.config.opsCacheMs) return Promise.resolve()
    this.#refreshing = (async () => {
      await Promise.all([
        this.#fromKafka().catch((err) => {
          this.scrapeErrors.inc({ source: 'kafka' })
          this.log.warn({ err }, 'metrics: kafka lag unavailable')
        }),
        this.#fromDb(db, directory).catch((err) => {
          this.scrapeErrors.inc({ source: 'db' })
          this.log.warn({ err }, 'metrics: ledger unavailable')
        }),
      ])
      this.#refreshedAt = Date.now()
    })().finally(() => {
      this.#refreshing = null
    })
    return this.#refreshing
  }

  async #fromKafka() {
    const rows: LagRow[] = await this.lag.read()
    this.consumerLag.reset()
    for (const l of rows) this.consumerLag.set({ group: l.group, topic: l.topic, partition: String(l.partition) }, l.lag)
  }

  async #fromDb(db: Sql, directory: DirectorySnapshot) {
    await this.#newDeliveryEvents(db, directory)
    const counts = await queueCounts(db)
    for (const t of TIERS) {
      this.inRetry.set({ tier: t }, counts.inRetry.get(t) ?? 0)
      const u = counts.undelivered.get(t)
      this.undelivered.set({ tier: t }, u?.n ?? 0)
      this.oldestUndelivered.set({ tier: t }, Math.max(0, u?.oldestS ?? 0))
      let n = 0
      for (const a of directory) if (a.tier === t) n++
      this.directorySize.set({ tier: t }, n)
    }
    this.dlqSize.set(
      { queue: 'delivery' },
      [...counts.inDlq.values()].reduce((s, n) => s + n, 0),
    )
    this.dlqSize.set({ queue: 'webhook' }, counts.webhooks.dead)
    this.webhookBacklog.set(counts.webhooks.pending)
    this.logRows.set(counts.logRows)
  }

  /**
   * Counts outcome events appended to the timeline since the last scrape (by seq, the append order). A
   * transaction that took its seq earlier but commits after a scrape is missed by this process's counter
   * (bigserial order is not commit order); the ledger itself stays exact and the next restart recounts.
   */
  async #newDeliveryEvents(db: Sql, directory: DirectorySnapshot) {
    for (let round = 0; round < 20; round++) {
      const rows = await deliveryOutcomesAfter(db, this.#lastEventSeq ?? 0, 5000)
      for (const r of rows) {
        const tier = r.tier ?? 'unknown'
        const adapter = r.status === 'FORWARDED' ? 'gateway' : (r.adapter ?? directory.get(r.recipient)?.endpoint.kind ?? 'unknown')
        const outcome = r.status === 'DELIVERED' ? 'delivered' : r.status === 'FORWARDED' ? 'forwarded' : 'failed'
        this.deliveries.inc({ tier, adapter, outcome })
        if (outcome !== 'failed' && r.seconds !== null) this.deliverySeconds.observe({ tier, adapter }, Math.max(0, r.seconds))
      }
      if (rows.length) this.#lastEventSeq = Number(rows[rows.length - 1]!.seq)
      if (rows.length < 5000) break
    }
  }

  async close() {
    await this.lag.close()
  }
}
