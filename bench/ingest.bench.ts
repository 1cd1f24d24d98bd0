/**
 * End-to-end ingest benchmark: signed edXML packages POSTed over real HTTP to a real gateway (real Kafka,
 * real PostgreSQL), each to two recipients (province + central). Prints accepted documents/s, accept
 * latency (202 = durable in Kafka) and accept → delivered latency, next to a baseline measured in the same
 * run: bare kafkajs produce with the same durability settings (idempotent, acks=all), one record at a time.
 *
 *   node --import tsx bench/ingest.bench.ts [--docs 600] [--concurrency 8]
 *
 * Uses KAFKA_BROKERS when set, else starts the project's broker on port 19292 (data in .data/kafka-bench)
 * and stops it afterwards; PostgreSQL from TEST_DATABASE_URL (default the machine's 127.0.0.1:5432/test).
 */
import { spawnSync } from 'node:child_process'
import os from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { performance } from 'node:perf_hooks'
import { Kafka, logLevel } from 'kafkajs'
import { ROOT, fixture, startGateway, signAs } from '../test/helpers/gateway.ts'

const { values } = parseArgs({ options: { docs: { type: 'string', default: '600' }, concurrency: { type: 'string', default: '8' } } })
const N = Number(values.docs)
const C = Number(values.concurrency)
const KAFKA_ENV = { KAFKA_DATA_DIR: path.join(ROOT, '.data/kafka-bench'), KAFKA_PORT: '19292', KAFKA_CONTROLLER_PORT: '19293' }

const pct = (xs: number[], p: number) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] }
const ms = (x: number) => `${x.toFixed(1)} ms`

async function main() {
  let started = false
  if (!process.env.KAFKA_BROKERS) {
    const r = spawnSync('bash', [path.join(ROOT, 'deploy/kafka/start.sh')], { env: { ...process.env, ...KAFKA_ENV }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] })
    if (r.status !== 0) throw new Error('kafka did not start')
    process.env.KAFKA_BROKERS = r.stdout.trim().split('\n').pop()!.replace('KAFKA_BROKERS=', '')
    started = true
  }
  const teardowns: (() => Promise<void> | void)[] = []
  try {
    const gw = await startGateway({ teardown: (f) => teardowns.push(f) }, { signaturePolicy: 'required', kafkaPartitions: 4, logLevel: 'silent' })
    const base = fixture('demo/commune-to-province.edxml').toString('utf8')
    const t0 = performance.now()
    const docs = await Promise.all(Array.from({ length: N }, (_, i) => signAs('000.21.30.H41', base.replace('125/UBND-VP', `${1000 + i}/UBND-VP`))))
    const signMs = (performance.now() - t0) / N
    const size = docs[0].length

    // gateway: POST with C in flight
    const lat: number[] = []
    let next = 0
    const start = performance.now()
    await Promise.all(Array.from({ length: C }, async () => {
      while (next < N) {
        const doc = docs[next++]
        const t = performance.now()
        const r = await gw.call('000.21.30.H41', 'POST', '/v1/documents', doc)
        if (r.status !== 202) throw new Error(`HTTP ${r.status}: ${await r.text()}`)
        await r.arrayBuffer()
        lat.push(performance.now() - t)
      }
    }))
    const wall = (performance.now() - start) / 1000
    // accept → delivered, from the ledger (both recipients of every document)
    const deadline = Date.now() + 120_000
    let delivered: number[] = []
    while (Date.now() < deadline) {
      const r = await gw.rt.db.query<{ ms: number }>(`select extract(epoch from (e.at - d.accepted_at)) * 1000 as ms from delivery_events e join documents d on d.id = e.document_uuid where e.status = 'DELIVERED'`)
      delivered = r.rows.map((x) => Number(x.ms))
      if (delivered.length >= 2 * N) break
      await new Promise((res) => setTimeout(res, 250))
    }

    // baseline: bare kafkajs, same durability, same concurrency, a record of the same size
    const kafka = new Kafka({ clientId: 'bench', brokers: process.env.KAFKA_BROKERS!.split(','), logLevel: logLevel.NOTHING })
    const admin = kafka.admin(); await admin.connect()
    const topic = `bench.baseline.${process.pid}`
    await admin.createTopics({ topics: [{ topic, numPartitions: 4, replicationFactor: 1 }], waitForLeaders: true })
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 }); await producer.connect()
    const payload = Buffer.alloc(size, 120)
    const bl: number[] = []
    let k = 0
    const bstart = performance.now()
    await Promise.all(Array.from({ length: C }, async () => {
      while (k < N) {
        const i = k++
        const t = performance.now()
        await producer.send({ topic, acks: -1, messages: [{ key: String(i), value: payload }] })
        bl.push(performance.now() - t)
      }
    }))
    const bwall = (performance.now() - bstart) / 1000
    await producer.disconnect(); await admin.deleteTopics({ topics: [topic] }).catch(() => {}); await admin.disconnect()

    const gwRate = N / wall
    const kRate = N / bwall
    console.log(`\nLiên thông ingest benchmark — ${N} signed packages of ${(size / 1024).toFixed(1)} KiB, ${C} in flight, 2 recipients each`)
    console.log(`machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? "?"}, load avg ${os.loadavg().map((l) => l.toFixed(1)).join(" ")}, Node ${process.version}, database ${gw.rt.db.engine}, Kafka ${process.env.KAFKA_BROKERS}`)
    console.log(`signing (lgsp, client side): ${ms(signMs)} per package`)
    console.log('')
    console.log('                         docs/s    p50        p99')
    console.log(`gateway POST → 202    ${gwRate.toFixed(0).padStart(8)}   ${ms(pct(lat, 50)).padEnd(10)} ${ms(pct(lat, 99))}`)
    console.log(`baseline kafkajs send ${kRate.toFixed(0).padStart(8)}   ${ms(pct(bl, 50)).padEnd(10)} ${ms(pct(bl, 99))}`)
    console.log(`ratio gateway / baseline: ${(gwRate / kRate).toFixed(2)}× throughput, ${(pct(lat, 50) / pct(bl, 50)).toFixed(1)}× p50 latency`)
    console.log(`accept → delivered (inbox), ${delivered.length} deliveries: p50 ${ms(pct(delivered, 50))}, p99 ${ms(pct(delivered, 99))}`)
  } finally {
    for (const f of teardowns.reverse()) await f()
    if (started) spawnSync('bash', [path.join(ROOT, 'deploy/kafka/stop.sh')], { env: { ...process.env, ...KAFKA_ENV }, stdio: 'inherit' })
  }
}

main().catch((e) => { console.error(e); process.exit(1) })
