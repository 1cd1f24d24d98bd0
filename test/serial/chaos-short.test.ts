/**
 * The chaos run of `npm run chaos` (bench/chaos/run.ts), shorter: 400 signed documents through two
 * replicas on a real 3-broker KRaft cluster (deploy/kafka/cluster.sh) and an object store, one broker
 * killed (kill -9, as a crashed machine) and one replica killed while they flow.
 *
 * The cluster: the gateway, given KAFKA_BROKERS alone, creates its topics with 3 replicas,
 * min.insync.replicas=2 and no unclean leader election; with one broker dead documents are still accepted
 * (acks=all from the 2 in-sync replicas); the broker rejoins (cluster.sh waits for its registration).
 * The run: nothing accepted is lost, nothing is delivered twice or pushed twice as new, every delivered
 * leg's 01 reaches the sender, nothing delivered stays unaccepted in the ledger, the message log verifies.
 */
import t from 'tap'
import { Kafka, logLevel } from 'kafkajs'
import { TEST_DATABASE_URL } from '../helpers/gateway.ts'
import { runChaos } from '../../bench/chaos/run.ts'
import { resultLine } from '../../bench/chaos/tally.ts'

// a loaded 2-core machine runs this several times slower than a quiet one (≈ 4 min): room for that
const LIMIT_MS = 1_200_000
// enough for each fault to land while documents flow (one at a third of the run, one at two thirds); the
// 10,000-document run with all five faults and 15 s outages is `npm run chaos`
const DOCS = Number(process.env.TEST_CHAOS_DOCS ?? 400)
// down for 10 s: past the KRaft broker session (≈ 9 s), so the cluster moves the dead broker's partition
// leadership and goes on accepting with two brokers, and past the killed replica's consumer-group session
const OUTAGE_MS = Number(process.env.TEST_CHAOS_OUTAGE_MS ?? 10_000)
t.setTimeout(LIMIT_MS)

t.test(`${DOCS} documents through a broker kill and a replica kill`, { timeout: LIMIT_MS }, async (t) => {
  const { result, detail, faults } = await runChaos({
    docs: DOCS,
    rate: Number(process.env.TEST_CHAOS_RATE ?? 20),
    senders: 4,
    inflight: 4,
    // the cluster listens below the ephemeral port range (32768+), where no outgoing connection can hold a port
    faults: ['broker-kill', 'replica-kill'],
    outageMs: OUTAGE_MS,
    kafkaPortBase: Number(process.env.TEST_CHAOS_PORT_BASE ?? 27192),
    databaseUrl: TEST_DATABASE_URL,
    drainMs: 180_000,
    sendMs: 0,
    // warnings too: they go to a file that is read back only to explain a lost leg
    gatewayLogLevel: process.env.TEST_LOG_LEVEL ?? 'warn',
    log: (line) => t.comment(line),
    onReady: async ({ brokers, topicPrefix }) => {
      const admin = new Kafka({ clientId: 'chaos-short', brokers, logLevel: logLevel.NOTHING }).admin()
      await admin.connect()
      try {
        const topic = `${topicPrefix}documents`
        const meta = await admin.fetchTopicMetadata({ topics: [topic] })
        t.ok(
          meta.topics[0]!.partitions.every((p) => p.replicas.length === 3),
          'every partition has 3 replicas',
        )
        const configs = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: 2 /* TOPIC */, name: topic }] })
        const entry = (name: string) => configs.resources[0]!.configEntries.find((e) => e.configName === name)?.configValue
        t.equal(entry('min.insync.replicas'), '2', 'min.insync.replicas=2')
        t.equal(entry('unclean.leader.election.enable'), 'false', 'no unclean leader election')
      } finally {
        await admin.disconnect()
      }
    },
  })
  const brokerKill = faults.find((f) => f.fault === 'broker-kill')
  t.ok(brokerKill && brokerKill.acceptedDuring > 0, `documents accepted while a broker was down and until it rejoined (${brokerKill?.acceptedDuring})`)
  t.comment(resultLine(result))
  t.ok(result.accepted >= DOCS, `accepted ${result.accepted}`)
  t.equal(detail.refused, 0, 'no document refused')
  t.equal(result.lost, 0, 'nothing accepted is lost')
  t.equal(result.duplicated, 0, 'nothing delivered twice to an inbox or a push receiver')
  t.equal(result.push_duplicated, 0, 'no push repeated with the same attempt number')
  t.equal(result.status01_missing, 0, "every delivered leg's 01 reached the sender's timeline")
  t.equal(result.unaccepted_delivered, 0, 'nothing delivered while its ledger row is not accepted')
  t.equal(detail.logAcceptedMissing, 0, 'every accepted document is in the message log')
  t.equal(detail.badBytes, 0, 'every fetched package has the exact bytes')
  t.equal(result.log_verified, true, 'the hash-chained message log verifies (lgsp log verify)')
})
