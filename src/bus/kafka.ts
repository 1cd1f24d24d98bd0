/**
 * The thin seam over kafkajs (see notes: kafkajs is in maintenance mode; keeping the surface to
 * produce / consume / createTopics makes a later move to @platformatic/kafka a one-file change).
 *
 * Durability: the producer is idempotent with acks=all and one request in flight, so a resolved
 * `send` means the record is on every in-sync replica. Consumers resolve an offset only after their
 * handler has returned, and commit only resolved offsets: at-least-once, so handlers are idempotent.
 */
import { Kafka, logLevel, type Admin, type Consumer, type Producer, type KafkaMessage } from 'kafkajs'
import type { Logger } from 'pino'
import { traceHeaders } from '../tracing/index.ts'

export interface BusMessage { key: string; value: unknown; headers?: Record<string, string> }

/**
 * #7: every record carries the trace context it was produced under (`traceparent`, `tracestate`), so each
 * consumer continues the trace without its producer passing anything; explicit headers win. Nothing is
 * added outside a span (always, when tracing is off).
 */
const headersOf = (m: BusMessage) => {
  const t = traceHeaders()
  return t ? { ...t, ...m.headers } : m.headers
}

export interface Bus {
  send(topic: string, messages: BusMessage[]): Promise<void>
  /** several topics in one produce request (one round trip, same durability) */
  sendBatch(batches: { topic: string; messages: BusMessage[] }[]): Promise<void>
  consume(opts: { groupId: string; topics: string[]; handler: (topic: string, value: unknown, msg: KafkaMessage, partition: number) => Promise<void> }): Promise<{ stop(): Promise<void> }>
  ensureTopics(names: string[], partitions: number, replication: number): Promise<void>
  ping(): Promise<void>
  close(): Promise<void>
}

export async function connectBus(opts: { brokers: string[]; clientId: string; log: Logger }): Promise<Bus> {
  const kafka = new Kafka({
    clientId: opts.clientId,
    brokers: opts.brokers,
    logLevel: logLevel.WARN,
    logCreator: () => ({ level, log }) => {
      const { message, ...rest } = log
      // kafkajs logs retried, transient conditions (e.g. coordinator not yet elected) as ERROR: warn is enough
      const lvl = level <= logLevel.WARN ? 'warn' : 'debug'
      opts.log[lvl]({ kafka: rest }, String(message))
    },
    retry: { retries: 8, initialRetryTime: 200 },
  })
  const producer: Producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false })
  const admin: Admin = kafka.admin()
  await Promise.all([producer.connect(), admin.connect()])
  const consumers = new Set<Consumer>()

  return {
    async sendBatch(batches) {
      if (batches.length === 0) return
      await producer.sendBatch({
        acks: -1,
        topicMessages: batches.map((b) => ({ topic: b.topic, messages: b.messages.map((m) => ({ key: m.key, value: JSON.stringify(m.value), headers: headersOf(m) })) })),
      })
    },

    async send(topic, messages) {
      await producer.send({
        topic,
        acks: -1,
        messages: messages.map((m) => ({ key: m.key, value: JSON.stringify(m.value), headers: headersOf(m) })),
      })
    },

    async consume({ groupId, topics, handler }) {
      // maxWaitTimeInMs bounds how long an idle fetch (and so a disconnect) waits; data still returns at once
      const consumer = kafka.consumer({ groupId, allowAutoTopicCreation: false, retry: { retries: 10 }, maxWaitTimeInMs: 1000 })
      consumers.add(consumer)
      await consumer.connect()
      await consumer.subscribe({ topics, fromBeginning: true })
      await consumer.run({
        autoCommit: true,
        // partitions are handled side by side (order holds within a partition, i.e. per recipient);
        // kafkajs's default of 1 serialises the whole group behind one slow record
        partitionsConsumedConcurrently: 4,
        eachMessage: async ({ topic, partition, message }) => {
          const value = message.value ? JSON.parse(message.value.toString('utf8')) : null
          // throwing here leaves the offset unresolved: kafkajs retries, then restarts the consumer
          await handler(topic, value, message, partition)
        },
      })
      return {
        async stop() {
          consumers.delete(consumer)
          await consumer.disconnect()
        },
      }
    },

    async ensureTopics(names, partitions, replication) {
      // kafkajs's own waitForLeaders polls from a timer and can reject outside the awaited promise (an
      // unhandled UNKNOWN_TOPIC_OR_PARTITION while the controller propagates new topics — seen with several
      // gateways starting on one broker), so create without it and wait for leaders here, errors caught
      const existing = new Set(await admin.listTopics())
      const missing = names.filter((n) => !existing.has(n))
      if (missing.length) {
        try {
          await admin.createTopics({
            waitForLeaders: false,
            topics: missing.map((topic) => ({ topic, numPartitions: partitions, replicationFactor: replication })),
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
      await Promise.allSettled([...consumers].map((c) => c.disconnect()))
      await Promise.allSettled([producer.disconnect(), admin.disconnect()])
    },
  }
}
