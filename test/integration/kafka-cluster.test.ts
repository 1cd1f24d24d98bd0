/**
 * A real 3-broker KRaft cluster (deploy/kafka/cluster.sh) with the gateway configured by KAFKA_BROKERS
 * alone: its topics get 3 replicas and min.insync.replicas=2, and with one broker killed (kill -9, as a
 * crashed machine) documents are still accepted (acks=all from the 2 in-sync replicas) and delivered;
 * the broker rejoins when started again.
 */
import t from 'tap'
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { Kafka, logLevel } from 'kafkajs'
import { ROOT, eventually, fixture, startGateway } from '../helpers/gateway.ts'

const CLUSTER = path.join(ROOT, 'deploy/kafka/cluster.sh')
const COMMUNE = '000.21.30.H41'
const PROVINCE = '000.00.00.H41'

t.test('three brokers: replication 3, min ISR 2, one broker killed and nothing stops', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lgsp-cluster-'))
  const env = { ...process.env, KAFKA_CLUSTER_DIR: dir, KAFKA_CLUSTER_PORT_BASE: process.env.TEST_KAFKA_CLUSTER_PORT_BASE ?? '45192' }
  const cluster = (...args: string[]) => spawnSync('bash', [CLUSTER, ...args], { env, encoding: 'utf8', timeout: 300_000 })
  t.teardown(() => { cluster('stop'); fs.rmSync(dir, { recursive: true, force: true }) })

  const up = cluster('start')
  t.equal(up.status, 0, 'cluster.sh start') || t.comment(up.stderr)
  const brokers = /KAFKA_BROKERS=(\S+)/.exec(up.stdout)?.[1]?.split(',') ?? []
  t.equal(brokers.length, 3, `three brokers: ${brokers.join(', ')}`)
  if (brokers.length !== 3) return

  const gw = await startGateway(t, { kafkaBrokers: brokers, kafkaReplication: 0 }) // 0 = auto, the default
  const admin = new Kafka({ clientId: 'cluster-test', brokers, logLevel: logLevel.NOTHING }).admin()
  await admin.connect()
  t.teardown(() => admin.disconnect())

  const topic = gw.rt.topics.documents
  const meta = await admin.fetchTopicMetadata({ topics: [topic] })
  t.ok(meta.topics[0]!.partitions.every((p) => p.replicas.length === 3), 'every partition has 3 replicas')
  const configs = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: 2 /* TOPIC */, name: topic }] })
  const entry = (name: string) => configs.resources[0]!.configEntries.find((e) => e.configName === name)?.configValue
  t.equal(entry('min.insync.replicas'), '2', 'min.insync.replicas=2')
  t.equal(entry('unclean.leader.election.enable'), 'false', 'no unclean leader election')

  const doc = (n: number) => fixture('demo/commune-to-province.edxml').toString('utf8').replaceAll('125/UBND-VP', `${n}/UBND-VP`)
  const inboxSize = async () => (await (await gw.call(PROVINCE, 'GET', '/v1/inbox')).json() as { items: unknown[] }).items.length
  t.equal((await gw.call(COMMUNE, 'POST', '/v1/documents', await gw.sign(COMMUNE, doc(501)))).status, 202, 'accepted with three brokers')
  await eventually(async () => (await inboxSize()) === 1, 60_000, 'the first document delivered')

  // node 2 dies; once the controller has moved its leaderships, writes go on with 2 in-sync replicas
  const killed = cluster('kill', '2')
  t.equal(killed.status, 0, 'cluster.sh kill 2') || t.comment(killed.stderr)
  await eventually(async () => {
    const m = await admin.fetchTopicMetadata({ topics: [topic] }).catch(() => null)
    return m?.topics[0]?.partitions.every((p) => p.leader !== 2 && p.leader >= 0)
  }, 60_000, 'leaders moved off the dead broker')
  const accepted = await eventually(async () => {
    const r = await gw.call(COMMUNE, 'POST', '/v1/documents', await gw.sign(COMMUNE, doc(502)))
    return r.status === 202 ? r : null // a 503 here would be a retry the sender makes; it must stop happening
  }, 60_000, 'a document accepted with one broker down')
  t.equal(accepted.status, 202, 'accepted with one broker down (acks=all from 2 in-sync replicas)')
  await eventually(async () => (await inboxSize()) === 2, 90_000, 'the second document delivered with one broker down')
  t.pass('delivered with one broker down')

  const back = cluster('start', '2')
  t.equal(back.status, 0, 'cluster.sh start 2') || t.comment(back.stderr)
  t.equal((await admin.describeCluster()).brokers.length, 3, 'the broker rejoined')
})
