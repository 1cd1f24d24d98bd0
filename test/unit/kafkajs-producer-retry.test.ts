/**
 * The kafkajs producer as this project installs it (scripts/patch-kafkajs.mjs): a send whose first try
 * was acknowledged by one broker and refused by another (NOT_LEADER_FOR_PARTITION, the partition's
 * leadership moved — to the broker that did answer) is retried for the refused partition on its new
 * leader. kafkajs 2.2.4 as published sent nothing on that retry and resolved: the chaos run lost
 * acknowledged records this way when a broker was killed or frozen. Driven through kafkajs's own
 * sendMessages and retrier, with a cluster of two scripted brokers.
 */
import t from 'tap'
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
type Message = { key: string; value: string; partition: number }
type TopicData = { topic: string; partitions: { partition: number; messages: Message[] }[] }[]
const createSendMessages = require('kafkajs/src/producer/sendMessages.js') as (o: unknown) => (o: unknown) => Promise<{ topicName: string; partition: number }[]>
const createRetry = require('kafkajs/src/retry') as (o: unknown) => unknown
const { createErrorFromCode } = require('kafkajs/src/protocol/error.js') as { createErrorFromCode(code: number): Error }
const NOT_LEADER_FOR_PARTITION = 6

/** A cluster whose partition 1 moves from broker 2 to broker 1 when broker 2 refuses it. */
function scriptedCluster() {
  const leaders: Record<number, number> = { 0: 1, 1: 2 }
  const written: { node: number; partition: number; values: string[] }[] = []
  const broker = (nodeId: number) => ({
    nodeId,
    async produce({ topicData }: { topicData: TopicData }) {
      if (nodeId === 2) throw createErrorFromCode(NOT_LEADER_FOR_PARTITION) // its partition moved away
      for (const { partitions } of topicData) for (const p of partitions) written.push({ node: nodeId, partition: p.partition, values: p.messages.map((m) => m.value) })
      return {
        topics: topicData.map(({ topic, partitions }) => ({ topicName: topic, partitions: partitions.map((p) => ({ partition: p.partition, errorCode: 0, baseOffset: '0' })) })),
      }
    },
  })
  const brokers = new Map([1, 2].map((n) => [n, broker(n)]))
  const cluster = {
    refreshMetadataIfNecessary: async () => {},
    refreshMetadata: async () => {
      leaders[1] = 1 // the controller moved partition 1's leadership to broker 1
    },
    addMultipleTargetTopics: async () => {},
    isConnected: () => true,
    removeBroker: () => {},
    findTopicPartitionMetadata: () => [0, 1].map((p) => ({ partitionId: p, leader: leaders[p] })),
    findLeaderForPartitions: (_topic: string, partitions: string[]) => {
      const out: Record<number, number[]> = {}
      for (const p of partitions) (out[leaders[Number(p)]!] ??= []).push(Number(p))
      return out
    },
    findBroker: async ({ nodeId }: { nodeId: number }) => brokers.get(Number(nodeId))!,
  }
  return { cluster, written }
}

t.test('a partition refused by one broker is resent to its new leader, even when that broker already acknowledged another partition', async (t) => {
  const { cluster, written } = scriptedCluster()
  const send = createSendMessages({
    logger: { debug() {}, error() {}, warn() {}, info() {} },
    cluster,
    partitioner: ({ message }: { message: Message }) => message.partition,
    eosManager: {
      isTransactional: () => false,
      acquireBrokerLock: async () => {},
      releaseBrokerLock: async () => {},
      getSequence: () => 0,
      updateSequence: () => {},
      getProducerId: () => 1,
      getProducerEpoch: () => 0,
    },
    retrier: createRetry({ retries: 3, initialRetryTime: 1, maxRetryTime: 5 }),
  })
  const result = await send({
    acks: -1,
    timeout: 1000,
    topicMessages: [
      {
        topic: 'documents',
        messages: [
          { key: 'a', value: 'on partition 0', partition: 0 },
          { key: 'b', value: 'on partition 1', partition: 1 },
        ],
      },
    ],
  })
  t.same(
    written.map((w) => [w.node, w.partition, w.values]),
    [
      [1, 0, ['on partition 0']],
      [1, 1, ['on partition 1']],
    ],
    'partition 0 once on its leader; partition 1, refused by broker 2, on broker 1 (its new leader)',
  )
  t.same(result.map((r) => [r.topicName, r.partition]).sort(), [
    ['documents', 0],
    ['documents', 1],
  ])
})
