/**
 * `npm run bench:ingest` — how many signed documents a gateway takes per second on this machine, measured
 * against what the work itself costs and against what the broker takes, in one run.
 *
 * Method:
 *  1. A Kafka broker (the project's, port 19292, unless KAFKA_BROKERS is set) and PostgreSQL
 *     (TEST_DATABASE_URL) as the ledger; the gateway runs in its own process (test/helpers/child-gateway.ts)
 *     with signatures required, so this process — the load and the measuring — does not share its CPU.
 *  2. The CPU floor: the work nothing can skip, run in a tight loop in this process on the same packages —
 *     safety gate + XSD + model (readIncoming), XML-DSig verification on the received bytes against the
 *     trust store and sender binding (verifyIncoming), SHA-256, the gateway's signed receipts for both
 *     recipients. floor = cores ÷ CPU time per document.
 *  3. Open loop: documents are sent at a fixed offered rate whatever the answers do (latency counted from
 *     the instant each was due, so queueing shows), in steps of rising rate (×1.3). A step is sustained when
 *     every answer is 202, ≥ 95 % of what was offered is answered within the step, POST → 202 p99 stays
 *     under 1 s and the delivery backlog at the end of the step is under two seconds' worth.
 *  4. Each recipient's system polls and acknowledges its inbox (every 100 ms) throughout, so every step
 *     carries the 01s its documents cause. Hold: 80 % of the highest sustained rate for --hold-s seconds,
 *     /healthz probed every 50 ms; then the time until nothing is left undelivered. accept → DELIVERED and
 *     accept → 01 come from the ledger's timeline.
 *  5. Baselines on the same broker, same record size, acks=all, idempotence on: Kafka's own
 *     ProducerPerformance (kafka-tools from Maven Central, resolved like deploy/kafka resolves the broker)
 *     and this project's Kafka client (kafkajs) with batched sends.
 * The last line: RESULT docs_per_s=… floor_docs_per_s=… floor_ratio=… p99_accept_ms=… p99_delivered_ms=…
 * p99_status01_ms=… kafka_perf_records_per_s=… rss_mb=… (the gateway process's peak RSS during the hold).
 *
 *   node bench/ingest.bench.ts [--step-s 10] [--hold-s 120] [--start-rate 20] [--max-rate 2000]
 */
import { spawnSync } from 'node:child_process'
import crypto from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { performance } from 'node:perf_hooks'
import pg from 'pg'
import { Kafka, logLevel } from 'kafkajs'
import { ROOT, TEST_DATABASE_URL, fixture, signWith } from '../test/helpers/gateway.ts'
import { spawnGateway, type ChildGateway } from '../test/helpers/child-gateway.ts'
import { pkiInit } from '../src/signing/pki.ts'
import { loadConfig } from '../src/config/config.ts'
import { createRuntime } from '../src/runtime.ts'
import { readIncoming } from '../src/ingest/incoming.ts'
import { verifyIncoming } from '../src/ingest/verify-incoming.ts'

const { values: o } = parseArgs({
  options: {
    'step-s': { type: 'string', default: '10' },
    'hold-s': { type: 'string', default: '120' },
    'start-rate': { type: 'string', default: '20' },
    'max-rate': { type: 'string', default: '2000' },
  },
})
const STEP_S = Number(o['step-s'])
const HOLD_S = Number(o['hold-s'])
const SENDER = '000.21.30.H41'
const RECIPIENTS = ['000.00.00.H41', '000.00.00.G22'] // the demo fixture's To: the province and Văn phòng Chính phủ
const KAFKA_ENV = { KAFKA_DATA_DIR: path.join(ROOT, '.data/kafka-bench'), KAFKA_PORT: '19292', KAFKA_CONTROLLER_PORT: '19293' }
const TOOLS_DIR = path.join(ROOT, 'deploy/kafka/tools-libs')
const KAFKA_VERSION = /<kafka.version>([^<]+)</.exec(fs.readFileSync(path.join(ROOT, 'deploy/kafka/pom.xml'), 'utf8'))![1]

const pct = (xs: number[], p: number) => {
  if (!xs.length) return NaN
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!
}
const r0 = (x: number) => (Number.isFinite(x) ? Math.round(x) : -1)
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const say = (s: string) => process.stdout.write(`${s}\n`)

/** CPU time (user + system) of a process so far, from /proc (USER_HZ is 100 on Linux). */
function cpuMs(pid: number): number {
  try {
    const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8')
    const rest = f.slice(f.lastIndexOf(')') + 2).split(' ')
    return (Number(rest[11]) + Number(rest[12])) * 10
  } catch {
    return NaN
  }
}

/**
 * Where the machine's CPU goes: CPU ms so far of the processes the bench cares about, found in /proc —
 * the gateway, the Kafka broker(s) (java running kafka.Kafka), every PostgreSQL process (the server is
 * shared, so its figure includes whatever else runs on it), this bench process — and the machine's busy
 * and total time from /proc/stat. Two readings apart give each one's share per document.
 */
function cpuSplit(gatewayPid: number): Record<'gateway' | 'kafka' | 'postgres' | 'bench' | 'busy' | 'total', number> {
  const out = { gateway: cpuMs(gatewayPid), kafka: 0, postgres: 0, bench: cpuMs(process.pid), busy: 0, total: 0 }
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue
    let cmd: string
    try {
      cmd = fs.readFileSync(`/proc/${d}/cmdline`, 'utf8')
    } catch {
      continue
    }
    if (cmd.includes('kafka.Kafka')) out.kafka += cpuMs(Number(d)) || 0
    else if (/^postgres(\0|:|$)/.test(cmd) || cmd.includes('/postgres\0')) out.postgres += cpuMs(Number(d)) || 0
  }
  // the first line of /proc/stat: user nice system idle iowait irq softirq steal … in USER_HZ
  const f = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1, 9).map(Number)
  out.total = f.reduce((a, b) => a + b, 0) * 10
  out.busy = out.total - (f[3]! + f[4]!) * 10
  return out
}

/** The gateway's PostgreSQL round-trip counters (lgsp_db_statements_total, lgsp_db_transactions_total). */
async function dbCounters(url: string): Promise<{ statements: number; transactions: number }> {
  const text = await (await fetch(`${url}/metrics`)).text()
  const read = (name: string) => Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text)?.[1] ?? NaN)
  return { statements: read('lgsp_db_statements_total'), transactions: read('lgsp_db_transactions_total') }
}

function rssMb(pid: number): number {
  try {
    return Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024
  } catch {
    return NaN
  }
}

async function main() {
  let startedKafka = false
  if (!process.env.KAFKA_BROKERS) {
    const r = spawnSync('bash', [path.join(ROOT, 'deploy/kafka/start.sh')], { env: { ...process.env, ...KAFKA_ENV }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] })
    if (r.status !== 0) throw new Error('kafka did not start')
    process.env.KAFKA_BROKERS = r.stdout.trim().split('\n').pop()!.replace('KAFKA_BROKERS=', '')
    startedKafka = true
  }
  const brokers = process.env.KAFKA_BROKERS!.split(',')
  const tag = crypto.randomBytes(4).toString('hex')
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `lgsp-bench-${tag}-`))
  const schema = `bench_${tag}`
  const env = {
    DATABASE_URL: TEST_DATABASE_URL,
    DATABASE_SCHEMA: schema,
    TOPIC_PREFIX: `b${tag}.`,
    KAFKA_PARTITIONS: '4',
    DATA_DIR: dataDir,
    PORT: '0',
    KAFKA_BROKERS: brokers.join(','),
    GATEWAY_ID: `bench-${tag}`,
    LOG_LEVEL: 'warn',
    SEED_DEMO: '1',
    SIGNATURE_POLICY: 'required',
    TRUST_DIR: path.join(dataDir, 'pki'),
    GATEWAY_KEY_FILE: '',
    GATEWAY_CERT_FILE: '',
    CLIENT_RATE_PER_MINUTE: '0',
    CLIENT_MAX_CONCURRENCY: '100000',
  }
  let gw: ChildGateway | null = null
  const admin = new pg.Pool({ connectionString: TEST_DATABASE_URL, max: 2, options: `-c search_path=${schema}` })
  try {
    const pki = await pkiInit(env.TRUST_DIR)
    gw = await spawnGateway(env, { readyMs: 120_000 })
    const keys = JSON.parse(fs.readFileSync(path.join(dataDir, 'demo-credentials.json'), 'utf8')) as Record<string, string>
    const base = fixture('demo/commune-to-province.edxml').toString('utf8')
    let serial = 0
    const nextDoc = () => signWith(pki, SENDER, base.replace('125/UBND-VP', `${++serial}-${tag}/UBND-VP`))
    const size = nextDoc().length

    // ── 2. the CPU floor, in this process, on the gateway's own code and trust store ──
    const floorRt = await createRuntime(loadConfig({ ...process.env, ...env, GATEWAY_ID: `bench-floor-${tag}`, LOG_LEVEL: 'silent' }))
    const floorDocs = Array.from({ length: 300 }, nextDoc)
    const work = async (bytes: Buffer) => {
      const incoming = readIncoming(floorRt, bytes, 'application/xml')
      await verifyIncoming(floorRt, incoming, bytes, SENDER)
      const sha256 = crypto.createHash('sha256').update(bytes).digest('hex')
      const env = incoming.envelope
      if (env.kind !== 'edoc') throw new Error('the fixture is a document')
      for (const recipient of RECIPIENTS) floorRt.signing.receipt({ documentId: env.documentId, sha256, recipient, status: 'ACCEPTED', time: new Date().toISOString() })
    }
    for (const d of floorDocs.slice(0, 50)) await work(d) // warm up (JIT, schema compile)
    const cpu0 = process.cpuUsage()
    for (const d of floorDocs) await work(d)
    const cpu = process.cpuUsage(cpu0)
    await floorRt.close()
    const floorMsPerDoc = (cpu.user + cpu.system) / 1000 / floorDocs.length
    const cores = os.cpus().length
    const floorRate = (cores * 1000) / floorMsPerDoc

    // ── 3./4. open-loop load against the gateway process ──
    const post = async (bytes: Buffer) => {
      const r = await fetch(`${gw!.url}/v1/documents`, {
        method: 'POST',
        headers: { authorization: `Bearer ${keys[SENDER]}`, 'content-type': 'application/xml' },
        body: new Uint8Array(bytes),
      })
      await r.arrayBuffer()
      return r.status
    }
    const undelivered = async () =>
      Number(
        (
          await admin.query(
            `select count(*)::int as n from deliveries d join documents doc on doc.id = d.document_uuid where doc.state = 'accepted' and d.status in ('PENDING', 'ACCEPTED', 'ROUTED')`,
          )
        ).rows[0].n,
      )

    /** sends at `rate` for `seconds` (documents signed beforehand, so signing is not in the way) */
    async function openLoop(rate: number, seconds: number, during?: () => void) {
      const docs = Array.from({ length: Math.ceil(rate * seconds) }, nextDoc)
      const lat: number[] = []
      let errors = 0
      let firstError = ''
      const inflight: Promise<void>[] = []
      const t0 = performance.now()
      for (let i = 0; i < docs.length; i++) {
        const due = t0 + (i * 1000) / rate
        const wait = due - performance.now()
        if (wait > 1) await sleep(wait)
        during?.()
        inflight.push(
          post(docs[i]!).then(
            (status) => {
              if (status === 202) lat.push(performance.now() - due)
              else {
                errors++
                firstError ||= `HTTP ${status}`
              }
            },
            (e) => {
              errors++
              firstError ||= String(e)
            },
          ),
        )
      }
      const sentAt = performance.now()
      await Promise.race([Promise.all(inflight), sleep(Math.max(0, t0 + seconds * 1000 + 2000 - sentAt))])
      const answeredInTime = lat.length
      await Promise.all(inflight)
      return { offered: docs.length, answeredInTime, lat, errors, firstError, wallS: (performance.now() - t0) / 1000 }
    }

    say(`Liên thông ingest benchmark — signed ${(size / 1024).toFixed(1)} KiB packages, ${RECIPIENTS.length} recipients each, signatures required`)
    say(
      `machine: ${cores} × ${os.cpus()[0]?.model ?? '?'}, load avg ${os
        .loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')}, Node ${process.version}, PostgreSQL ledger, Kafka ${brokers.join(',')}`,
    )
    say(
      `CPU floor: ${floorMsPerDoc.toFixed(2)} ms of CPU per document (gate + XSD + XML-DSig verify + SHA-256 + ${RECIPIENTS.length} receipt signatures) → ${r0(floorRate)} documents/s on ${cores} cores`,
    )
    say('')
    // each recipient's system polls and acknowledges its inbox all along, as a QLVB does: the 01s it causes
    // are part of the load at every step, not only in the hold
    let stop = false
    const recipientLoops = RECIPIENTS.map(async (organ) => {
      while (!stop) {
        try {
          const r = await fetch(`${gw!.url}/v1/inbox?limit=200`, { headers: { authorization: `Bearer ${keys[organ]}` } })
          const items = ((await r.json()) as { items: { id: string }[] }).items ?? []
          await Promise.all(
            items.map((it) => fetch(`${gw!.url}/v1/inbox/${it.id}/ack`, { method: 'POST', headers: { authorization: `Bearer ${keys[organ]}` } }).then((x) => x.arrayBuffer())),
          )
          if (items.length < 200) await sleep(100)
        } catch {
          await sleep(100)
        }
      }
    })
    say(' offered/s  answered/s  p50 ms   p99 ms   errors  backlog  sustained')
    let rate = Number(o['start-rate'])
    let best = 0
    await openLoop(10, 3) // warm up
    for (;;) {
      const s = await openLoop(rate, STEP_S)
      const backlog = await undelivered()
      const ok = s.errors === 0 && s.answeredInTime >= 0.95 * s.offered && pct(s.lat, 99) < 1000 && backlog < 2 * rate
      say(
        `${String(r0(rate)).padStart(10)}  ${String(r0(s.lat.length / s.wallS)).padStart(10)}  ${String(r0(pct(s.lat, 50))).padStart(6)}  ${String(r0(pct(s.lat, 99))).padStart(7)}  ${String(s.errors).padStart(7)}  ${String(backlog).padStart(7)}  ${ok ? 'yes' : `no${s.firstError ? ` (${s.firstError})` : ''}`}`,
      )
      // let the previous step drain before the next one, so each step starts from an empty pipeline
      for (let i = 0; i < 120 && (await undelivered()) > 0; i++) await sleep(500)
      if (!ok) break
      best = rate
      rate = Math.round(rate * 1.3)
      if (rate > Number(o['max-rate'])) break
    }
    if (best === 0) throw new Error('not even the starting rate was sustained')

    // hold at 80 % with recipients polling and acknowledging, /healthz probed, RSS sampled
    const holdRate = Math.max(1, Math.round(best * 0.8))
    const holdStart = new Date()
    const healthz: number[] = []
    const probe = (async () => {
      while (!stop) {
        const t = performance.now()
        await fetch(`${gw!.url}/healthz`).then((r) => r.arrayBuffer())
        healthz.push(performance.now() - t)
        await sleep(50)
      }
    })()
    let rssPeak = 0
    const rssTimer = setInterval(() => {
      rssPeak = Math.max(rssPeak, rssMb(gw!.proc.pid!))
    }, 500)
    const gwCpu0 = cpuMs(gw!.proc.pid!)
    const split0 = cpuSplit(gw!.proc.pid!)
    const db0 = await dbCounters(gw!.url)
    const hold = await openLoop(holdRate, HOLD_S)
    const loadEnd = performance.now()
    let drainMs = NaN
    for (let i = 0; i < 600; i++) {
      if ((await undelivered()) === 0) {
        drainMs = performance.now() - loadEnd
        break
      }
      await sleep(100)
    }
    // the last acks' 01s: wait until every leg of the hold has one (or a minute)
    for (let i = 0; i < 120; i++) {
      const missing = Number(
        (
          await admin.query(`select count(*)::int as n from deliveries d join documents doc on doc.id = d.document_uuid where doc.accepted_at >= $1 and d.status <> '01'`, [
            holdStart,
          ])
        ).rows[0].n,
      )
      if (missing === 0) break
      await sleep(500)
    }
    const gwCpu1 = cpuMs(gw!.proc.pid!)
    const split1 = cpuSplit(gw!.proc.pid!)
    const db1 = await dbCounters(gw!.url)
    stop = true
    clearInterval(rssTimer)
    await Promise.all([...recipientLoops, probe])
    const legs = (
      await admin.query<{ delivered: number | null; s01: number | null }>(
        `select extract(epoch from (min(e.at) filter (where e.status = 'DELIVERED') - doc.accepted_at)) * 1000 as delivered,
              extract(epoch from (min(e.at) filter (where e.status = '01') - doc.accepted_at)) * 1000 as s01
       from documents doc join delivery_events e on e.document_uuid = doc.id
       where doc.accepted_at >= $1 group by e.document_uuid, e.recipient, doc.accepted_at`,
        [holdStart],
      )
    ).rows
    const delivered = legs.flatMap((l) => (l.delivered == null ? [] : [Number(l.delivered)]))
    const s01 = legs.flatMap((l) => (l.s01 == null ? [] : [Number(l.s01)]))
    say('')
    say(`hold: ${holdRate}/s offered for ${HOLD_S} s (80 % of ${best}/s), recipients polling and acking every 100 ms`)
    say(`  POST → 202        p50 ${r0(pct(hold.lat, 50))} ms, p99 ${r0(pct(hold.lat, 99))} ms, ${hold.errors} errors`)
    say(`  accept → DELIVERED p50 ${r0(pct(delivered, 50))} ms, p99 ${r0(pct(delivered, 99))} ms (${delivered.length} legs)`)
    say(`  accept → 01        p50 ${r0(pct(s01, 50))} ms, p99 ${r0(pct(s01, 99))} ms (${s01.length} legs)`)
    say(`  /healthz           p50 ${r0(pct(healthz, 50))} ms, p99 ${r0(pct(healthz, 99))} ms; backlog drained ${r0(drainMs)} ms after the load stopped`)
    say(`  gateway RSS peak   ${r0(rssPeak)} MB`)
    // per document of the hold, its acknowledgements and statuses included (the recipients' polls too)
    const docs = hold.lat.length
    say(
      `  per document       ${((gwCpu1 - gwCpu0) / docs).toFixed(2)} ms of gateway CPU; ${((db1.statements - db0.statements) / docs).toFixed(1)} PostgreSQL statements in ${((db1.transactions - db0.transactions) / docs).toFixed(1)} transactions`,
    )
    // the whole machine over the hold and its drain: a share near the core count means the machine, not
    // the gateway's waits, is what bounds the rate
    const per = (k: keyof typeof split0) => ((split1[k] - split0[k]) / docs).toFixed(2)
    const wall = split1.total - split0.total
    say(
      `  machine CPU / doc  gateway ${per('gateway')} ms, Kafka ${per('kafka')} ms, PostgreSQL ${per('postgres')} ms (all its sessions), bench client ${per('bench')} ms; ` +
        `all processes ${per('busy')} ms; the ${cores} cores ${((100 * (split1.busy - split0.busy)) / wall).toFixed(0)} % busy`,
    )

    // ── 5. baselines on the same broker ──
    const kafka = new Kafka({ clientId: `bench-${tag}`, brokers, logLevel: logLevel.NOTHING })
    const kadmin = kafka.admin()
    await kadmin.connect()
    const topic = `bench.baseline.${tag}`
    await kadmin.createTopics({ topics: [{ topic, numPartitions: 4, replicationFactor: 1 }], waitForLeaders: true })
    let kafkaPerf = NaN
    const tools = resolveKafkaTools()
    if (tools) {
      const n = 30_000
      const r = spawnSync(
        'java',
        [
          '-cp',
          `${path.join(ROOT, 'deploy/kafka/libs')}/*:${TOOLS_DIR}/*`,
          'org.apache.kafka.tools.ProducerPerformance',
          '--topic',
          topic,
          '--num-records',
          String(n),
          '--record-size',
          String(size),
          '--throughput',
          '-1',
          '--producer-props',
          `bootstrap.servers=${brokers.join(',')}`,
          'acks=all',
          'enable.idempotence=true',
        ],
        { encoding: 'utf8', timeout: 300_000 },
      )
      const line = r.stdout.trim().split('\n').pop() ?? ''
      kafkaPerf = Number(/([\d.]+) records\/sec/.exec(line)?.[1] ?? NaN)
      say(`\nKafka's own producer (ProducerPerformance, kafka-tools ${KAFKA_VERSION}, ${n} records of ${size} B, acks=all, idempotent): ${r0(kafkaPerf)} records/s`)
    } else say("\nKafka's own producer: kafka-tools could not be resolved from Maven Central; skipped")
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 })
    await producer.connect()
    const payload = Buffer.alloc(size, 120)
    const total = 20_000
    let k = 0
    const t0 = performance.now()
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        while (k < total) {
          const batch = Array.from({ length: Math.min(200, total - k) }, () => ({ key: String(k++), value: payload }))
          await producer.send({ topic, acks: -1, messages: batch })
        }
      }),
    )
    const nodeRate = total / ((performance.now() - t0) / 1000)
    await producer.disconnect()
    await kadmin.deleteTopics({ topics: [topic] }).catch(() => {})
    await kadmin.disconnect()
    say(`the Node client (kafkajs, batches of 200, 4 in flight, acks=all, idempotent): ${r0(nodeRate)} records/s`)
    say(`the gateway: ${best} documents/s sustained = ${(best / floorRate).toFixed(2)} of its CPU floor, ${(best / kafkaPerf).toFixed(3)} of Kafka's own producer`)
    say(
      `RESULT docs_per_s=${best} floor_docs_per_s=${r0(floorRate)} floor_ratio=${(best / floorRate).toFixed(2)} p99_accept_ms=${r0(pct(hold.lat, 99))} p99_delivered_ms=${r0(pct(delivered, 99))} p99_status01_ms=${r0(pct(s01, 99))} kafka_perf_records_per_s=${r0(kafkaPerf)} rss_mb=${r0(rssPeak)}`,
    )
  } finally {
    await gw?.kill('SIGTERM')
    await admin.query(`drop schema if exists ${schema} cascade`).catch(() => {})
    await admin.end()
    fs.rmSync(dataDir, { recursive: true, force: true })
    if (startedKafka) spawnSync('bash', [path.join(ROOT, 'deploy/kafka/stop.sh')], { env: { ...process.env, ...KAFKA_ENV }, stdio: 'inherit' })
  }
}

/** kafka-tools (ProducerPerformance) of the broker's version, from Maven Central into deploy/kafka/tools-libs. */
function resolveKafkaTools(): boolean {
  const jar = path.join(TOOLS_DIR, `kafka-tools-${KAFKA_VERSION}.jar`)
  if (fs.existsSync(jar)) return true
  const r = spawnSync('mvn', ['-q', '-B', 'dependency:copy', `-Dartifact=org.apache.kafka:kafka-tools:${KAFKA_VERSION}:jar`, `-DoutputDirectory=${TOOLS_DIR}`], {
    stdio: 'inherit',
  })
  return r.status === 0 && fs.existsSync(jar)
}

main().catch((e) => {
  console.error(e)
  process.exit(1)
})
