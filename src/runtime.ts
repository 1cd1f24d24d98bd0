/**
 * The shared resources of one gateway instance, created once and closed once: config, logger, ledger
 * store, blob store, Kafka bus and topics, and the directory snapshot used by the pure route planner.
 * The HTTP surfaces (src/gateway) and the Kafka workers (started by src/lifecycle/workers.ts) both take a Runtime.
 */
import pino, { type Logger } from 'pino'
import type { Config } from './config/config.ts'
import { connectBus, type Bus } from './bus/kafka.ts'
import { startChangeFeed, type ChangeFeed } from './store/change-feed.ts'
import { bump } from './store/generations.ts'
import { topicsFor, type Topics } from './bus/topics.ts'
import { fsBlobStore, type BlobStore } from './store/blobs.ts'
import { sweepSpool } from './ingest/receive-package.ts'
import { withRowPayloads } from './store/row-payloads.ts'
import { openDb, type Db } from './store/db.ts'
import { migrate } from './store/migrate.ts'
import { listAgencies } from './store/directory-repo.ts'
import { DirectorySnapshot } from './routing/directory-snapshot.ts'
import { loadGatewaySigning, type GatewaySigning } from './signing/gateway-signing.ts'
import { trustJournalFollower } from './signing/trust-journal.ts'
import { OpsMetrics } from './ops/metrics.ts'
import { createTracing, type Tracing } from './tracing/index.ts'

export interface Runtime {
  config: Readonly<Config>
  /** where this process is in its life: the Kafka workers start after HTTP listens (src/main.ts) */
  lifecycle: { workers: 'starting' | 'running' }
  log: Logger
  db: Db
  blobs: BlobStore
  bus: Bus
  topics: Topics
  /** trust store, signature policy and the gateway's receipt signer */
  signing: GatewaySigning
  /** Prometheus registry and metrics of this gateway (its own registry: several gateways may share a process) */
  metrics: OpsMetrics
  /** this gateway's tracer provider (its own: several gateways may share a process); a no-op when off */
  tracing: Tracing
  /** the current directory; replaced (never mutated) by reloadDirectory */
  directory(): DirectorySnapshot
  reloadDirectory(): Promise<void>
  /** tells the other replicas that the trust journal has a new entry */
  announceTrustChange(): Promise<void>
  close(): Promise<void>
}

export async function createRuntime(config: Readonly<Config>, opts: { log?: Logger } = {}): Promise<Runtime> {
  const log = opts.log ?? pino({ level: config.logLevel, base: { gw: config.gatewayId } })
  const db = await openDb({ url: config.databaseUrl, schema: config.databaseSchema, dataDir: config.dataDir })
  let changes: ChangeFeed | undefined
  try {
    const applied = await migrate(db)
    if (applied.length) log.info({ applied }, 'database migrated')
    const topics = topicsFor(config.topicPrefix)
    const bus = await connectBus({
      brokers: config.kafkaBrokers,
      clientId: config.gatewayId,
      log: log.child({ c: 'kafka' }),
      produceTimeoutMs: config.kafkaProduceTimeoutMs,
      sessionTimeoutMs: config.kafkaSessionTimeoutMs,
      rebalanceTimeoutMs: config.kafkaRebalanceTimeoutMs,
      commitIntervalMs: config.kafkaCommitIntervalMs,
    })
    await bus.ensureTopics(topics.all, config.kafkaPartitions, config.kafkaReplication)
    let snapshot = DirectorySnapshot.build(await listAgencies(db))
    const reloadSnapshot = async () => {
      snapshot = DirectorySnapshot.build(await listAgencies(db))
    }
    const signing = await loadGatewaySigning(config, () => snapshot, log.child({ c: 'signing' }))
    const followTrust = trustJournalFollower(db, signing.trust, log.child({ c: 'trust' }))
    await followTrust() // operator changes made through any replica, on top of TRUST_DIR
    // replicas share the database: a directory or trust change made by one is re-read by the others at once
    changes = await startChangeFeed(db, config.databaseSchema, log.child({ c: 'changes' }), {
      directory: reloadSnapshot,
      trust: followTrust,
      clients: async () => bump('clients'),
      webhooks: async () => bump('webhooks'),
    })
    const behind = config.blobStore === 's3' ? await objectStore(config) : fsBlobStore(config.blobDir)
    const blobs = withRowPayloads(db, behind, config.smallPayloadBytes)
    const swept = await sweepSpool(config)
    if (swept) log.info({ swept }, 'removed spool files of requests that died with their process')
    const metrics = new OpsMetrics(config, log.child({ c: 'metrics' }))
    const tracing = await createTracing({
      otlpEndpoint: config.otelExporterOtlpEndpoint,
      exporter: config.traceExporter,
      serviceInstance: config.gatewayId,
      log: log.child({ c: 'tracing' }),
    })
    return {
      config,
      log,
      db,
      bus,
      topics,
      signing,
      metrics,
      tracing,
      lifecycle: { workers: 'starting' },
      blobs,
      directory: () => snapshot,
      async reloadDirectory() {
        await reloadSnapshot()
        await changes!.announce('directory')
      },
      announceTrustChange: () => changes!.announce('trust'),
      async close() {
        await changes!.close()
        ;(blobs as { close?: () => void }).close?.()
        signing.close()
        await metrics.close()
        await bus.close()
        await db.close()
        await tracing.shutdown() // last: spans of the work above are ended and flushed
      },
    }
  } catch (e) {
    await changes?.close().catch(() => {})
    await db.close().catch(() => {})
    throw e
  }
}

/**
 * The S3-compatible object store, imported only when configured: the AWS SDK is the largest module graph
 * of the tree (≈ 0.14 s of CPU to import), which every gateway on the filesystem store would pay at start.
 */
async function objectStore(config: Readonly<Config>): Promise<BlobStore> {
  const { s3BlobStore } = await import('./store/s3-blobs.ts')
  return s3BlobStore({
    endpoint: config.s3Endpoint,
    bucket: config.s3Bucket,
    region: config.s3Region,
    accessKeyId: config.s3AccessKeyId,
    secretAccessKey: config.s3SecretAccessKey,
    forcePathStyle: config.s3ForcePathStyle,
    prefix: config.s3Prefix,
  })
}
