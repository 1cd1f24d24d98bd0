/**
 * Consumers that commit on an interval (KAFKA_COMMIT_INTERVAL_MS) against the real broker: nothing is
 * committed before the interval although every record was handled, the interval then commits exactly
 * what was handled, and a stop commits at once what the interval had not yet — so a clean shutdown
 * hands its partitions over with nothing to handle again.
 */
import t from 'tap'
import { randomBytes } from 'node:crypto'
import { Kafka, logLevel } from 'kafkajs'
import pino from 'pino'
import { connectBus, type Bus } from '../../src/bus/kafka.ts'
import { eventually } from '../helpers/gateway.ts'

const brokers = (process.env.KAFKA_BROKERS ?? '').split(',').filter(Boolean)
const skip = brokers.length ? false : 'KAFKA_BROKERS is not set: run through `npm test`, which starts a broker'
const RECORDS = 30

t.test('offsets are committed on the interval and at stop, never before a record is handled', { skip, timeout: 120_000 }, async (t) => {
  const prefix = `it-commit-${randomBytes(4).toString('hex')}`
  const topic = `${prefix}.docs`
  const admin = new Kafka({ clientId: prefix, brokers, logLevel: logLevel.NOTHING }).admin()
  await admin.connect()
  const buses: Bus[] = []
  t.teardown(async () => {
    for (const b of buses) await b.close().catch(() => {})
    await admin.deleteTopics({ topics: [topic] }).catch(() => {})
    await admin.disconnect()
  })
  const open = async (commitIntervalMs: number) => {
    const bus = await connectBus({ brokers, clientId: prefix, log: pino({ level: 'silent' }), commitIntervalMs })
    buses.push(bus)
    return bus
  }
  const committed = async (groupId: string) => {
    const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] })
    return offsets!.partitions.reduce((n, p) => n + Math.max(0, Number(p.offset)), 0)
  }

  const producer = await open(0)
  await producer.ensureTopics([topic], 3, 1)
  await producer.send(
    topic,
    Array.from({ length: RECORDS }, (_, i) => ({ key: `k${i}`, value: { i } })),
  )

  await t.test('a long interval: nothing committed while running, everything at stop', async (t) => {
    const bus = await open(600_000)
    const groupId = `${prefix}.slow`
    const seen = new Set<number>()
    const c = await bus.consume({ groupId, topics: [topic], handler: async (_topic, value) => void seen.add((value as { i: number }).i) })
    await eventually(async () => seen.size === RECORDS, 30_000, 'every record handled')
    t.equal(await committed(groupId), 0, 'handled, but the interval has not come: no offset committed yet')
    await c.stop()
    t.equal(await committed(groupId), RECORDS, 'the stop committed every handled record before leaving the group')
  })

  await t.test('a short interval commits what was handled without a stop', async (t) => {
    const bus = await open(200)
    const groupId = `${prefix}.fast`
    let handled = 0
    const c = await bus.consume({ groupId, topics: [topic], handler: async () => void handled++ })
    t.teardown(() => c.stop())
    const n = await eventually(async () => (await committed(groupId)) === RECORDS && RECORDS, 30_000, 'all offsets committed')
    t.equal(n, RECORDS, 'every offset committed by the interval')
    t.equal(handled, RECORDS, 'each record handled once')
  })
})
