/**
 * The thin seam over kafkajs (see notes: kafkajs is in maintenance mode; keeping the surface to
 * produce / consume / createTopics makes a later move to @platformatic/kafka a one-file change).
 *
 * Durability: the producer is idempotent with acks=all and one request in flight, so a resolved
 * `send` means the record is on every in-sync replica. Concurrent sends share produce requests
 * (coalesce.ts): one round trip for all the writes that queued behind the one in flight. Consumers resolve an offset only after their
 * handler has returned, and commit only resolved offsets: at-least-once, so handlers are idempotent.
 */
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { Kafka, Partitioners, logLevel, type Admin, type Consumer, type Producer } from 'kafkajs'
import type { Logger } from 'pino'
import { traceHeaders } from '../tracing/index.ts'
import { coalescing } from './coalesce.ts'

export interface BusMessage {
  key: string
  value: unknown
  headers?: Record<string, string>
}

/** Where a consumed record sat, and its key and headers (the client library's own types stay in this file). */
export interface RecordMeta {
  topic: string
  partition: number
  offset: string
  key: string | null
  headers: Record<string, string | Buffer | (string | Buffer)[] | undefined>
}

/**
 * Every record carries the trace context it was produced under (`traceparent`, `tracestate`), so each
 * consumer continues the trace without its producer passing anything; explicit headers win. Nothing is
 * added outside a span (always, when tracing is off).
 */
const headersOf = (m: BusMessage) => {
  const t = traceHeaders()
  return t ? { ...t, ...m.headers } : m.headers
}

/**
 * Kafka did not confirm a write within the produce budget, or is known to be down. `settled` is the
 * write still in flight (kafkajs cannot cancel it): the caller decides what a late success or failure
 * means, so nothing is reported as refused that Kafka in the end took.
 */
export class BusUnavailableError extends Error {
  readonly settled: Promise<void> | null
  constructor(message: string, settled: Promise<void> | null, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause })
    this.name = 'BusUnavailableError'
    this.settled = settled
  }
}

/** What the probe last saw of the cluster: `/readyz` shows it, the produce path refuses at once while down. */
export interface BusHealth {
  up: boolean
  since: string
  error?: string
  /** brokers in the cluster metadata at the last answer */ brokers?: number
}

export interface BusOptions {
  brokers: string[]
  clientId: string
  log: Logger
  /** longest wait for acks=all before a produce is reported unavailable (ms) */
  produceTimeoutMs?: number
  /** consumer group session timeout (ms): how long a crashed member holds its partitions */
  sessionTimeoutMs?: number
  /**
   * how long the coordinator waits for every member to rejoin a rebalance (ms). kafkajs's default is 60 s,
   * and a member stopping while its group rebalances waits for that rebalance to finish: with replicas
   * leaving one after another a stop took a minute. Above one delivery attempt (DELIVERY_TIMEOUT_MS), so a
   * member busy with a slow push is not dropped for it.
   */
  rebalanceTimeoutMs?: number
  /**
   * how often a consumer commits the offsets it has handled (ms); 0 = after every fetched batch, as kafkajs
   * does by itself. Either way only handled records are committed: a longer interval only means more records
   * handled again after a crash, which handlers are built for (idempotent by event key).
   */
  commitIntervalMs?: number
  /** how often the cluster is probed (ms) */
  probeIntervalMs?: number
}

export interface Bus {
  /** the probe's latest view (a cheap read: no request is made) */
  health(): BusHealth
  /** replicas per topic, as ensureTopics resolved it (KAFKA_REPLICATION, or auto = brokers up to 3): the brokers this deployment expects */
  replicationFactor(): number
  send(topic: string, messages: BusMessage[]): Promise<void>
  /** several topics in one produce request (one round trip, same durability) */
  sendBatch(batches: { topic: string; messages: BusMessage[] }[]): Promise<void>
  consume(opts: { groupId: string; topics: string[]; handler: (topic: string, value: unknown, meta: RecordMeta) => Promise<void> }): Promise<{ stop(): Promise<void> }>
  ensureTopics(names: string[], partitions: number, replication: number): Promise<void>
  ping(): Promise<void>
  close(): Promise<void>
}

/**
 * kafkajs 2.2.4 as installed must carry the fixes that scripts/patch-kafkajs.mjs applies after every
 * `npm ci` (why: the files in scripts/patches/): without the producer's a retried send can resolve for
 * records Kafka never received; without the request queue's every connection keeps the event loop busy.
 * A gateway on an unpatched copy (installed with --ignore-scripts) refuses to start rather than
 * acknowledge documents it could lose.
 */
export function assertKafkajsPatched(): void {
  const require = createRequire(import.meta.url)
  for (const [module, fix] of [
    ['kafkajs/src/producer/sendMessages.js', 'the producer fix that keeps acknowledged records from being lost when a broker fails'],
    ['kafkajs/src/network/requestQueue/index.js', 'the request-queue fix that stops idle connections from waking the event loop every millisecond'],
  ] as const) {
    const file = require.resolve(module)
    if (!readFileSync(file, 'utf8').includes('PATCHED by Liên thông')) {
      throw new Error(`kafkajs at ${file} lacks ${fix}: run \`npm ci\` (its postinstall applies it) or \`node scripts/patch-kafkajs.mjs\``)
    }
  }
}

export async function connectBus(opts: BusOptions): Promise<Bus> {
  assertKafkajsPatched()
  const produceTimeoutMs = opts.produceTimeoutMs ?? 4000
  const sessionTimeoutMs = opts.sessionTimeoutMs ?? 10_000
  const rebalanceTimeoutMs = opts.rebalanceTimeoutMs ?? 15_000
  const commitIntervalMs = opts.commitIntervalMs ?? 0
  const kafka = new Kafka({
    clientId: opts.clientId,
    brokers: opts.brokers,
    logLevel: logLevel.WARN,
    logCreator:
      () =>
      ({ level, log }) => {
        const { message, ...rest } = log
        // kafkajs logs retried, transient conditions as ERROR: warn is enough. A broker that has just started
        // answers "coordinator is loading / not available" until its group coordinator is elected; kafkajs
        // retries those by itself and a real failure surfaces as a thrown error, so they are debug, not noise
        // on every first start.
        const transient =
          String(message).startsWith('Response ') &&
          /coordinator (is loading|is not available)|not the correct coordinator|leader not available/i.test(String((rest as { error?: unknown }).error ?? ''))
        const lvl = level <= logLevel.WARN && !transient ? 'warn' : 'debug'
        opts.log[lvl]({ kafka: rest }, String(message))
      },
    retry: { retries: 8, initialRetryTime: 200 },
  })
  // the idempotent producer keeps kafkajs's unlimited retries (a bounded count may break its sequence
  // numbers, the EoS warning); the caller's wait is bounded instead (`bounded` below). The partitioner is
  // named so kafkajs does not warn about its v2 default: keys are hashed as by the Java client (murmur2).
  const producer: Producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
    createPartitioner: Partitioners.DefaultPartitioner,
    retry: { retries: Number.MAX_SAFE_INTEGER, maxRetryTime: 5000 }, // a broker back from an outage is used within 5 s
  })
  const admin: Admin = kafka.admin()
  await Promise.all([producer.connect(), admin.connect()])
  const consumers = new Set<Consumer>()
  const probe = startProbe(opts)
  await probe.first
  let resolvedReplication = 1
  type Wire = { key: string; value: string; headers?: Record<string, string> }
  const toWire = (m: BusMessage): Wire => ({ key: m.key, value: JSON.stringify(m.value), headers: headersOf(m) })
  const produce = coalescing<Wire>(
    (topicMessages) => producer.sendBatch({ acks: -1, topicMessages }).then(() => undefined),
    (m) => m.key.length + m.value.length + 64,
    // the broker takes at most message.max.bytes (1 MiB by default) per partition batch; half of it in all
    { maxMessages: 1000, maxBytes: 512 * 1024 },
  )

  /** A write that Kafka confirms within the budget, or a BusUnavailableError carrying the write in flight. */
  const bounded = async (write: () => Promise<unknown>) => {
    const h = probe.health()
    if (!h.up) throw new BusUnavailableError(`Kafka is unreachable since ${h.since}: ${h.error ?? 'no answer'}`, null)
    const settled = write().then(() => undefined)
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new BusUnavailableError(`Kafka did not confirm the write within ${produceTimeoutMs} ms`, settled)), produceTimeoutMs)
    })
    try {
      await Promise.race([settled, timeout])
    } catch (e) {
      if (e instanceof BusUnavailableError) {
        settled.catch(() => {})
        throw e
      }
      throw new BusUnavailableError(`Kafka refused the write: ${(e as Error).message}`, null, e)
    } finally {
      clearTimeout(timer)
    }
  }

  return {
    health: () => probe.health(),
    replicationFactor: () => resolvedReplication,

    async sendBatch(batches) {
      if (batches.length === 0) return
      await bounded(() => produce(batches.map((b) => ({ topic: b.topic, messages: b.messages.map(toWire) }))))
    },

    async send(topic, messages) {
      await bounded(() => produce([{ topic, messages: messages.map(toWire) }]))
    },

    async consume({ groupId, topics, handler }) {
      // maxWaitTimeInMs bounds how long an idle fetch (and so a disconnect) waits; data still returns at once
      // a short session: after a crash the old members' partitions are reassigned within sessionTimeoutMs
      // (kafkajs's 30 s default left a restarted gateway idle that long); heartbeats at a third of it
      let stopping = false
      // a consumer that crashed during a broker outage restarts itself later; once stop() was called it must
      // not, or the restart timer keeps reconnecting after shutdown (kafkajs asks restartOnFailure after its
      // own disconnect, so a stop() in that window would otherwise be undone)
      const consumer = kafka.consumer({
        groupId,
        allowAutoTopicCreation: false,
        retry: { retries: 10, restartOnFailure: async () => !stopping },
        maxWaitTimeInMs: 1000,
        sessionTimeout: sessionTimeoutMs,
        rebalanceTimeout: rebalanceTimeoutMs,
        heartbeatInterval: Math.max(500, Math.floor(sessionTimeoutMs / 3)),
      })
      consumers.add(consumer)
      const t0 = Date.now()
      // a join that waits is a restart after a crash: the coordinator holds the rebalance until the dead
      // members' sessions expire. Say so instead of going quiet.
      const slow = setTimeout(
        () => opts.log.info({ groupId, sessionTimeoutMs }, 'still joining the consumer group: members of a previous process stay registered until their session times out'),
        2000,
      )
      const offJoin = consumer.on(consumer.events.GROUP_JOIN, () => {
        clearTimeout(slow)
        const ms = Date.now() - t0
        opts.log[ms > 2000 ? 'info' : 'debug']({ groupId, ms }, 'joined the consumer group')
      })
      const committer = commitIntervalMs > 0 ? intervalCommitter(consumer, commitIntervalMs, opts.log.child({ groupId })) : null
      await consumer.connect()
      await consumer.subscribe({ topics, fromBeginning: true })
      await consumer.run({
        autoCommit: committer === null,
        // partitions are handled side by side (order holds within a partition, i.e. per recipient);
        // kafkajs's default of 1 serialises the whole group behind one slow record
        partitionsConsumedConcurrently: 4,
        eachMessage: async ({ topic, partition, message }) => {
          const value = message.value ? JSON.parse(message.value.toString('utf8')) : null
          // throwing here leaves the offset unresolved: kafkajs retries, then restarts the consumer
          await handler(topic, value, { topic, partition, offset: message.offset, key: message.key?.toString('utf8') ?? null, headers: message.headers ?? {} })
          if (committer) await committer.handled(topic, partition, message.offset, stopping)
        },
      })
      return {
        async stop() {
          stopping = true
          clearTimeout(slow)
          offJoin()
          consumers.delete(consumer)
          await committer?.flush()
          await consumer.disconnect() // LeaveGroup: the next process joins without waiting out our session
          committer?.close()
        },
      }
    },

    async ensureTopics(names, partitions, requested) {
      // 0 = follow the cluster: as many replicas as brokers, at most 3 (KAFKA_BROKERS alone configures a cluster)
      const replication = requested > 0 ? requested : Math.min(3, (await admin.describeCluster()).brokers.length)
      resolvedReplication = Math.max(resolvedReplication, replication)
      // kafkajs's own waitForLeaders polls from a timer and can reject outside the awaited promise (an
      // unhandled UNKNOWN_TOPIC_OR_PARTITION while the controller propagates new topics — seen with several
      // gateways starting on one broker), so create without it and wait for leaders here, errors caught
      const existing = new Set(await admin.listTopics())
      const missing = names.filter((n) => !existing.has(n))
      if (missing.length) {
        try {
          await admin.createTopics({
            waitForLeaders: false,
            topics: missing.map((topic) => ({
              topic,
              numPartitions: partitions,
              replicationFactor: replication,
              // acks=all waits for min.insync.replicas copies: 2 of 3 keeps an acknowledged record through the
              // loss of one broker and still takes writes; an out-of-sync replica never becomes leader
              configEntries: [
                { name: 'min.insync.replicas', value: String(replication >= 3 ? 2 : 1) },
                { name: 'unclean.leader.election.enable', value: 'false' },
              ],
            })),
          })
        } catch (e) {
          // TOPIC_ALREADY_EXISTS from a concurrent creator is fine; anything else is reported after the wait
          opts.log.warn({ err: (e as Error).message }, 'createTopics answered with an error; checking the topics')
        }
      }
      const deadline = Date.now() + 30_000
      for (;;) {
        try {
          const { topics } = await admin.fetchTopicMetadata({ topics: names })
          if (topics.length === names.length && topics.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0))) return
        } catch (e) {
          if (Date.now() > deadline) throw e
        }
        if (Date.now() > deadline) throw new Error(`topics without leaders after 30 s: ${names.join(', ')}`)
        await new Promise((r) => setTimeout(r, 200))
      }
    },

    async ping() {
      await admin.describeCluster()
    },

    async close() {
      probe.stop()
      await Promise.allSettled([...consumers].map((c) => c.disconnect()))
      await Promise.allSettled([producer.disconnect(), admin.disconnect()])
    },
  }
}

/**
 * Commits a consumer's handled offsets on an interval instead of after every fetched batch: under load
 * kafkajs fetches small batches per partition, and each one cost an OffsetCommit round trip per consumer
 * group. Nothing is committed before its handler returned; a commit that fails (a rebalance under way)
 * keeps its offsets for the next try unless a newer one was handled meanwhile. While the consumer stops,
 * each handled record is committed at once, before kafkajs leaves the group, so a clean shutdown hands
 * the partitions over with nothing to do again.
 */
function intervalCommitter(consumer: Consumer, intervalMs: number, log: Logger) {
  type Position = { topic: string; partition: number; offset: string }
  const pending = new Map<string, Position>()
  let inFlight: Promise<void> = Promise.resolve()
  const keyOf = (topic: string, partition: number) => `${partition}\u0000${topic}`
  const commit = (): Promise<void> => {
    inFlight = inFlight.then(async () => {
      if (pending.size === 0) return
      const batch = [...pending.values()]
      pending.clear()
      try {
        await consumer.commitOffsets(batch)
      } catch (err) {
        for (const p of batch) {
          const k = keyOf(p.topic, p.partition)
          if (!pending.has(k)) pending.set(k, p)
        }
        log.debug({ err: (err as Error).message, positions: batch.length }, 'offset commit refused; kept for the next one')
      }
    })
    return inFlight
  }
  const timer = setInterval(() => void commit(), intervalMs).unref()
  // partitions handed to another member: their positions are that member's to commit from now on
  const offJoin = consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
    const assigned = new Set(Object.entries(payload.memberAssignment).flatMap(([topic, parts]) => parts.map((p) => keyOf(topic, p))))
    for (const k of pending.keys()) if (!assigned.has(k)) pending.delete(k)
  })
  return {
    async handled(topic: string, partition: number, offset: string, stopping: boolean) {
      // Kafka's committed offset is the next record to read
      pending.set(keyOf(topic, partition), { topic, partition, offset: (BigInt(offset) + 1n).toString() })
      if (stopping) await commit()
    },
    flush: commit,
    close() {
      clearInterval(timer)
      offJoin()
    },
  }
}

/**
 * A separate client with no retries and short timeouts asks the cluster for its metadata every
 * `probeIntervalMs`: a stopped broker refuses the connection at once, a frozen one times out in 2 s.
 * The producer's own view is no help here: with unlimited retries it never reports a failure.
 */
function startProbe(opts: BusOptions) {
  const interval = opts.probeIntervalMs ?? 1000
  const admin = new Kafka({
    clientId: `${opts.clientId}-probe`,
    brokers: opts.brokers,
    logLevel: logLevel.NOTHING,
    retry: { retries: 0 },
    connectionTimeout: 1000,
    requestTimeout: 2000,
  }).admin()
  let state: BusHealth = { up: true, since: new Date().toISOString() }
  let stopped = false
  let timer: NodeJS.Timeout | undefined
  const tick = async () => {
    try {
      await admin.connect()
      const { brokers } = await admin.describeCluster()
      if (!state.up) opts.log.info({ downSince: state.since }, 'Kafka answers again')
      state = state.up ? { ...state, brokers: brokers.length } : { up: true, since: new Date().toISOString(), brokers: brokers.length }
    } catch (e) {
      const error = (e as Error).message
      if (state.up) {
        state = { up: false, since: new Date().toISOString(), error }
        opts.log.warn({ err: error }, 'Kafka does not answer; writes are refused with BUS_UNAVAILABLE until it does')
      } else state = { ...state, error }
      await admin.disconnect().catch(() => {})
    }
    if (!stopped) timer = setTimeout(() => void tick(), interval).unref()
  }
  // the first look at once, so /readyz, the health strip and the produce path know the cluster from the start
  const first = tick()
  return {
    first,
    health: () => state,
    stop() {
      stopped = true
      clearTimeout(timer)
      void admin.disconnect().catch(() => {})
    },
  }
}
