/**
 * `lgsp doctor` checks a deployment from its environment, read-only: against a running test gateway every
 * topic, consumer group, the database, the trust store and the wiring are ok (exit 0); against a prefix no
 * gateway ever started the topics are missing (FAIL, exit 1); against a broker nobody listens on, Kafka FAILs.
 */
import t from 'tap'
import { startGateway, TEST_DATABASE_URL } from '../helpers/gateway.ts'
import { lgsp } from '../helpers/ops.ts'
import { allConsumers } from '../../src/bus/consumers.ts'

t.test('lgsp doctor on a running gateway, a missing deployment and an unreachable broker', async (t) => {
  const gw = await startGateway(t)
  const c = gw.rt.config
  const env = {
    DATABASE_URL: TEST_DATABASE_URL,
    DATABASE_SCHEMA: c.databaseSchema,
    TOPIC_PREFIX: c.topicPrefix,
    KAFKA_BROKERS: c.kafkaBrokers.join(','),
    TRUST_DIR: c.trustDir,
    DATA_DIR: c.dataDir,
    KAFKA_REPLICATION: '1',
    SIGNATURE_POLICY: 'optional',
  }
  const ok = await lgsp(['doctor'], env)
  t.equal(ok.code, 0, 'exit 0') || t.comment(ok.stdout + ok.stderr)
  t.notMatch(ok.stdout, /^FAIL/m, 'nothing fails')
  t.match(ok.stdout, /^ok\s+database\s+reachable/m, 'the database')
  t.match(ok.stdout, new RegExp(`^ok\\s+topics\\s+${c.topicPrefix.replace('.', '\\.')}documents: 2 partitions`, 'm'), 'the topics with their partitions')
  for (const g of allConsumers()) t.match(ok.stdout, new RegExp(`^ok\\s+groups\\s+${c.topicPrefix.replace('.', '\\.')}${g.name}: \\d+ member`, 'm'), `group ${g.name} has members`)
  t.match(ok.stdout, /^ok\s+trust\s+\d+ root/m, 'the trust store')
  t.match(ok.stdout, /^ok\s+wiring/m, 'the wiring')

  const missing = await lgsp(['doctor', '--json'], { ...env, TOPIC_PREFIX: 'never-started.' })
  t.equal(missing.code, 1, 'exit 1 when a check fails')
  const findings = JSON.parse(missing.stdout) as { area: string; level: string; what: string }[]
  t.ok(
    findings.some((f) => f.area === 'topics' && f.level === 'FAIL' && f.what.startsWith('never-started.documents is missing')),
    'a missing topic FAILs',
  )
  t.ok(
    findings.some((f) => f.area === 'groups' && f.level === 'warn' && /no members/.test(f.what)),
    'a group nobody runs is a warning',
  )

  const down = await lgsp(['doctor'], { ...env, KAFKA_BROKERS: '127.0.0.1:1' })
  t.equal(down.code, 1)
  t.match(down.stdout, /^FAIL\s+kafka\s+cannot reach 127\.0\.0\.1:1/m, 'an unreachable broker FAILs, and the other checks still run')
  t.match(down.stdout, /^ok\s+database/m)
})
