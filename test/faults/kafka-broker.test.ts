// kafkajs 2.2.4 against the real single-node broker from deploy/kafka (Kafka 4.1.x, KRaft).
//
//   bash deploy/kafka/start.sh            # prints KAFKA_BROKERS=127.0.0.1:9092
//   KAFKA_BROKERS=127.0.0.1:9092 npx tap test/faults/kafka-broker.test.ts
//
// Checks: admin createTopics (3 partitions), idempotent producer (acks -1, 1 in flight),
// consumer group from the beginning with explicit commits, and that a restarted consumer in
// the same group gets only what was produced after the commit, nothing already committed.
import t from 'tap'
import { randomBytes } from 'node:crypto'
import { Kafka, logLevel, Partitioners } from 'kafkajs'
import type { Admin, Consumer, Producer } from 'kafkajs'
import { sleep } from '../helpers/gateway.ts'

const brokers = (process.env.KAFKA_BROKERS ?? '')
  .split(',')
  .map((s) => s.trim())
  .filter(Boolean)
const skip = brokers.length ? false : 'KAFKA_BROKERS is not set: start a broker with `bash deploy/kafka/start.sh` and run with KAFKA_BROKERS=127.0.0.1:9092'

async function until(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await sleep(50)
  }
}

type Got = { partition: number; offset: string; value: string }

t.test('kafkajs 2.2.4 against the deploy/kafka broker', { skip, timeout: 120_000 }, async (t) => {
  const prefix = `it-kafka-broker-${Date.now()}-${randomBytes(3).toString('hex')}`
  const topic = `${prefix}-docs`
  const groupId = `${prefix}-group`
  const kafka = new Kafka({ clientId: prefix, brokers, logLevel: logLevel.NOTHING })

  const admin: Admin = kafka.admin()
  const producer: Producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    createPartitioner: Partitioners.DefaultPartitioner,
  })
  const consumers: Consumer[] = []
  let topicCreated = false

  t.teardown(async () => {
    for (const c of consumers) await c.disconnect().catch(() => {})
    await producer.disconnect().catch(() => {})
    if (topicCreated) {
      await admin.deleteTopics({ topics: [topic], timeout: 10_000 }).catch(() => {})
      await admin.deleteGroups([groupId]).catch(() => {})
    }
    await admin.disconnect().catch(() => {})
  })

  await admin.connect()
  const cluster = await admin.describeCluster()
  t.ok(cluster.brokers.length >= 1, `describeCluster sees ${cluster.brokers.length} broker(s)`)

  t.equal(await admin.createTopics({ topics: [{ topic, numPartitions: 3, replicationFactor: 1 }], waitForLeaders: true }), true, 'createTopics created the topic')
  topicCreated = true
  const meta = await admin.fetchTopicMetadata({ topics: [topic] })
  t.equal(meta.topics[0].partitions.length, 3, 'topic has 3 partitions')

  // ---- produce batch 1 with the idempotent producer ----------------------------------------
  await producer.connect()
  const batch1 = Array.from({ length: 30 }, (_, i) => ({ key: `doc-${i}`, value: `b1-${i}` }))
  const res1 = await producer.send({ topic, acks: -1, messages: batch1 })
  t.ok(
    res1.every((r) => r.errorCode === 0),
    'batch 1 acked without error',
  )
  const usedPartitions = new Set(res1.map((r) => r.partition))
  t.equal(usedPartitions.size, 3, 'batch 1 landed on all 3 partitions')

  const hw1 = await admin.fetchTopicOffsets(topic)
  t.equal(
    hw1.reduce((n, p) => n + Number(p.high), 0),
    30,
    'high watermarks add up to 30 (no duplicates)',
  )

  // ---- consumer 1: group, from the beginning, commit after each message ------------------
  const run = async (label: string, sink: Got[]): Promise<Consumer> => {
    const c = kafka.consumer({ groupId, sessionTimeout: 10_000, heartbeatInterval: 1_000, maxWaitTimeInMs: 500 })
    consumers.push(c)
    await c.connect()
    await c.subscribe({ topic, fromBeginning: true })
    await c.run({
      autoCommit: false,
      eachMessage: async ({ partition, message }) => {
        sink.push({ partition, offset: message.offset, value: message.value?.toString() ?? '' })
        await c.commitOffsets([{ topic, partition, offset: (BigInt(message.offset) + 1n).toString() }])
      },
    })
    t.comment(`${label} running`)
    return c
  }

  const got1: Got[] = []
  const c1 = await run('consumer 1', got1)
  await until(() => got1.length >= 30, 60_000, 'consumer 1 to receive batch 1')
  await sleep(500) // anything extra (duplicates) would show up here
  t.equal(got1.length, 30, 'consumer 1 received exactly 30 messages')
  t.same(new Set(got1.map((g) => g.value)), new Set(batch1.map((m) => m.value)), 'consumer 1 received every batch-1 message once')
  for (const p of [0, 1, 2]) {
    const offs = got1.filter((g) => g.partition === p).map((g) => Number(g.offset))
    t.same(
      offs,
      [...offs].sort((a, b) => a - b),
      `partition ${p} delivered in offset order`,
    )
  }
  await c1.disconnect()

  const committed = await admin.fetchOffsets({ groupId, topics: [topic] })
  const committedBy = new Map(committed[0].partitions.map((p) => [p.partition, p.offset]))
  for (const p of hw1) {
    t.equal(committedBy.get(p.partition), p.high, `partition ${p.partition}: committed offset = high watermark ${p.high}`)
  }

  // ---- batch 2, then a restarted consumer in the same group --------------------------------
  const batch2 = Array.from({ length: 6 }, (_, i) => ({ key: `doc-${i}`, value: `b2-${i}` }))
  const res2 = await producer.send({ topic, acks: -1, messages: batch2 })
  t.ok(
    res2.every((r) => r.errorCode === 0),
    'batch 2 acked without error',
  )

  const got2: Got[] = []
  await run('consumer 2 (restart, same group)', got2)
  await until(() => got2.length >= batch2.length, 60_000, 'consumer 2 to receive batch 2')
  await sleep(1_000) // give any re-delivery of committed messages time to arrive
  const replayed = got2.filter((g) => g.value.startsWith('b1-'))
  t.same(replayed, [], 'restarted consumer received nothing that was already committed')
  t.same(got2.map((g) => g.value).sort(), batch2.map((m) => m.value).sort(), 'restarted consumer received exactly the messages produced after the commit')
})
