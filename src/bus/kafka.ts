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

export interface BusMessage { key: string; value: unknown; headers?: Record<string, string> }

export interface Bus {
  send(topic: string, messages: BusMessage[]): Promise<void>
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
    async send(topic, messages) {
      await producer.send({
        topic,
        acks: -1,
        messages: messages.map((m) => ({ key: m.key, value: JSON.stringify(m.value), headers: m.headers })),
      })
    },

    async consume({ groupId, topics, handler }) {
      const consumer = kafka.consumer({ groupId, allowAutoTopicCreation: false, retry: { retries: 10 } })
      consumers.add(consumer)
      await consumer.connect()
      await consumer.subscribe({ topics, fromBeginning: true })
      await consumer.run({
        autoCommit: true,
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
      // waitForLeaders can surface a transient, retriable UNKNOWN_TOPIC_OR_PARTITION while the controller
      // propagates new topics (seen with several gateways starting on one broker): check again, a few times
      for (let attempt = 1; ; attempt++) {
        try {
          const existing = new Set(await admin.listTopics())
          const missing = names.filter((n) => !existing.has(n))
          if (missing.length === 0) return
          await admin.createTopics({
            waitForLeaders: true,
            topics: missing.map((topic) => ({ topic, numPartitions: partitions, replicationFactor: replication })),
          })
          return
        } catch (e) {
          if (attempt >= 5 || !(e as { retriable?: boolean }).retriable) throw e
          opts.log.warn({ err: (e as Error).message, attempt }, 'topic creation not settled yet; retrying')
          await new Promise((r) => setTimeout(r, 250 * attempt))
        }
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
