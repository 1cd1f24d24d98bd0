/**
 * The chaos run: its own 3-broker cluster, object store and PostgreSQL schema, two gateway replicas,
 * senders at a steady rate, pull and push recipients, the faults in turn while documents flow, then a
 * drain and the count. Used by `npm run chaos` (bench/chaos.ts) and, shorter, by the test suite
 * (test/serial/chaos-short.test.ts). Everything it starts it stops, also on failure or a signal.
 */
import crypto from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import pg from 'pg'
import { pkiInit } from '../../src/signing/pki.ts'
import { freePort } from '../../test/helpers/federation.ts'
import { Cleanup, KafkaCluster, ObjectStore } from './infrastructure.ts'
import { Replicas, withApplicationName } from './replicas.ts'
import { OUTAGE_MS, inject, type Fault } from './faults.ts'
import {
  PULL_RECIPIENTS,
  SENDERS,
  awaitPushRoutes,
  routePushRecipients,
  runPullRecipient,
  runSenders,
  sleep,
  startFlakyPushReceiver,
  type PullStats,
  type PushStats,
  type SenderStats,
} from './traffic.ts'
import { explainLost } from './explain.ts'
import { deliveredLegs, expectedLegs, legsWithStatus01, tally, type ChaosDetail, type ChaosResult } from './tally.ts'

export interface ChaosOptions {
  docs: number
  /** documents per second, all senders together */
  rate: number
  senders: number
  /** requests in flight per sender */
  inflight: number
  faults: Fault[]
  /** how long each outage lasts (OUTAGE_MS unless given) */
  outageMs?: number
  kafkaPortBase: number
  databaseUrl: string
  /** longest wait, after the last document was first sent, for everything to be accepted, delivered and acked */
  drainMs: number
  /** stop issuing documents after this long even if fewer than `docs` were sent (0 = no limit) */
  sendMs: number
  gatewayLogLevel: string
  log: (line: string) => void
  /** called once the replicas serve and their topics exist, before any traffic (a test checks the topics' settings) */
  onReady?: (ready: { brokers: string[]; topicPrefix: string }) => Promise<void>
}

/** each fault with the documents accepted from its start until it was over (down, then back) */
export interface FaultWindow {
  fault: Fault
  acceptedDuring: number
}
export interface ChaosRun {
  result: ChaosResult
  detail: ChaosDetail
  faults: FaultWindow[]
}

export async function runChaos(o: ChaosOptions): Promise<ChaosRun> {
  const tag = crypto.randomBytes(4).toString('hex')
  const work = fs.mkdtempSync(path.join(os.tmpdir(), `lgsp-chaos-${tag}-`))
  const cleanup = new Cleanup()
  cleanup.add('work dir', () => fs.rmSync(work, { recursive: true, force: true }))
  const onSignal = (sig: NodeJS.Signals) => {
    o.log(`chaos: ${sig}: stopping everything this run started`)
    void cleanup.run(o.log).finally(() => process.exit(130))
  }
  // the brokers and S3Proxy live in their own sessions (setsid): they outlive this process unless it stops them
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP']
  for (const s of signals) process.once(s, onSignal)
  cleanup.add('signal handlers', () => {
    for (const s of signals) process.off(s, onSignal)
  })
  try {
    return await run(o, tag, work, cleanup)
  } finally {
    await cleanup.run(o.log)
  }
}

async function run(o: ChaosOptions, tag: string, work: string, cleanup: Cleanup): Promise<ChaosRun> {
  const log = o.log
  const schema = `chaos_${tag}`
  const admin = new pg.Pool({ connectionString: withApplicationName(o.databaseUrl, `lgsp-chaos-tally-${tag}`), max: 2, options: `-c search_path=${schema}` })
  // CHAOS_KEEP_SCHEMA=1 keeps the ledger for a look afterwards (drop it by hand)
  cleanup.add('database schema', async () => {
    if (!process.env.CHAOS_KEEP_SCHEMA) await admin.query(`drop schema if exists ${schema} cascade`)
    await admin.end()
  })

  const cluster = new KafkaCluster(path.join(work, 'kafka'), o.kafkaPortBase)
  const store = new ObjectStore(path.join(work, 's3'), await freePort())
  cleanup.add('kafka cluster', () => cluster.stop())
  cleanup.add('object store', () => store.stop())
  log(`chaos: starting a 3-broker Kafka cluster (ports ${o.kafkaPortBase}+) and S3Proxy (port ${store.port}) in ${work}`)
  const dataDir = path.join(work, 'data')
  const began = Date.now()
  const since = () => `${((Date.now() - began) / 1000).toFixed(1)} s`
  const [brokers, s3Endpoint, pki] = await Promise.all([cluster.start(), store.start(), pkiInit(path.join(dataDir, 'pki'))])
  log(`chaos: brokers ${brokers.join(',')}, object store ${s3Endpoint}, demo PKI in ${pki.dir} (after ${since()})`)

  const hmac = crypto.randomBytes(24).toString('base64url')
  const replicas = new Replicas({
    databaseUrl: o.databaseUrl,
    schema,
    topicPrefix: `chaos${tag}.`,
    dataDir,
    ports: [await freePort(), await freePort()],
    brokers,
    s3Endpoint,
    s3Bucket: `chaos-${tag}`,
    pushHmacKey: hmac,
    applicationName: `lgsp-chaos-gw-${tag}`,
    logLevel: o.gatewayLogLevel,
    logFile: path.join(work, 'gateways.log'),
  })
  cleanup.add('replicas', () => replicas.stopAll())
  await replicas.start(0) // first alone: it migrates the schema and writes the demo keys the second one reuses
  await replicas.start(1)
  log(`chaos: replicas at ${replicas.urls.join(' and ')} (schema ${schema}, topics chaos${tag}.*; after ${since()})`)
  const keys = JSON.parse(fs.readFileSync(path.join(dataDir, 'demo-credentials.json'), 'utf8')) as Record<string, string>
  await o.onReady?.({ brokers, topicPrefix: `chaos${tag}.` })

  const push: PushStats = { successes: new Map(), byDocumentId: new Map(), failedOnPurpose: 0, badSignature: 0 }
  const receiver = await startFlakyPushReceiver(hmac, push)
  cleanup.add('push receiver', () => receiver.close())
  await routePushRecipients(replicas.urls[0]!, keys.operator!, receiver.url)
  await awaitPushRoutes(replicas.urls[1]!, keys.operator!, receiver.url)

  const senders = SENDERS.slice(0, o.senders)
  const sent: SenderStats = { accepted: new Map(), refused: [], issued: 0, requests: 0, errors: new Map(), maxHangMs: 0, slowest: '' }
  const pull: PullStats = { seen: new Map(), byDocumentId: new Map(), fetched: 0, acked: 0, badBytes: 0, errors: 0 }
  let drained = false
  let giveUp = false
  cleanup.add('traffic', () => {
    giveUp = true
    drained = true
  }) // a failed run must not leave clients looping
  log(
    `chaos: ${o.docs} signed documents at ${o.rate}/s from ${senders.join(', ')} (${o.inflight} in flight each), each to one pull (${PULL_RECIPIENTS.join(', ')}) and one push recipient; faults in turn: ${o.faults.join(', ') || 'none'}`,
  )
  const t0 = Date.now()
  const recipients = PULL_RECIPIENTS.map((r) => runPullRecipient({ urls: replicas.urls, key: keys[r]!, stats: pull, stop: () => drained }))
  const sending = runSenders({
    urls: replicas.urls,
    keys,
    pki,
    senders,
    total: o.docs,
    rate: o.rate,
    inflight: o.inflight,
    stats: sent,
    stopResending: () => giveUp,
    issueUntil: o.sendMs ? t0 + o.sendMs : Infinity,
  })

  const ticker = setInterval(() => {
    log(
      `chaos: t+${Math.round((Date.now() - t0) / 1000)} s issued=${sent.issued} accepted=${sent.accepted.size} requests=${sent.requests} pulled=${pull.fetched} acked=${pull.acked} pushed_ok=${push.successes.size} push_dropped=${push.failedOnPurpose} sender_errors=${JSON.stringify(Object.fromEntries(sent.errors))} max_hang_ms=${Math.round(sent.maxHangMs)} load=${os.loadavg()[0]!.toFixed(1)}`,
    )
  }, 10_000)
  cleanup.add('progress', () => clearInterval(ticker))

  // each fault once the senders are that far along (so every fault hits traffic), one after the other
  const progress = () => Math.max(sent.issued / o.docs, o.sendMs ? (Date.now() - t0) / o.sendMs : 0)
  const windows: FaultWindow[] = []
  const faults = (async () => {
    for (const [i, f] of o.faults.entries()) {
      while (progress() < (i + 1) / (o.faults.length + 1)) await sleep(200)
      log(`chaos: t+${Math.round((Date.now() - t0) / 1000)} s, ${sent.issued} documents issued: ${f}`)
      const before = sent.accepted.size
      await inject(f, { cluster, store, replicas, admin, log, outageMs: o.outageMs ?? OUTAGE_MS })
      windows.push({ fault: f, acceptedDuring: sent.accepted.size - before })
      log(`chaos: ${sent.accepted.size - before} documents accepted during ${f}`)
    }
  })()
  await faults
  const deadline = Date.now() + o.drainMs
  const giveUpTimer = setInterval(() => {
    if (Date.now() > deadline) giveUp = true
  }, 500)
  cleanup.add('give-up timer', () => clearInterval(giveUpTimer))
  await sending
  log(`chaos: senders done after ${Math.round((Date.now() - t0) / 1000)} s: ${sent.accepted.size} accepted, ${sent.refused.length} refused; draining`)

  // drain: every accepted leg delivered and its 01 on the sender's timeline, or the deadline
  for (;;) {
    const expected = expectedLegs(sent.accepted.values())
    const delivered = deliveredLegs(pull, push)
    const with01 = await legsWithStatus01(admin).catch(() => new Set<string>())
    const missing = expected.filter((l) => !delivered.has(l)).length
    const no01 = [...delivered].filter((l) => !with01.has(l)).length
    if (missing === 0 && no01 === 0) break
    if (Date.now() > deadline) {
      log(`chaos: drain deadline: ${missing} legs undelivered, ${no01} without 01`)
      break
    }
    await sleep(2000)
  }
  drained = true
  await Promise.all(recipients)
  log(`chaos: drained after ${Math.round((Date.now() - t0) / 1000)} s; counting`)
  const countedFrom = Date.now()
  log(`chaos: slowest sender request: ${sent.slowest}`)
  const counted = await tally({ db: admin, senders: sent, pull, push, gatewayUrl: replicas.urls[0]!, operatorKey: keys.operator! })
  log(
    `chaos: refused=${counted.detail.refused} log_accepted_missing=${counted.detail.logAcceptedMissing} delivered_unknown=${counted.detail.deliveredUnknown} bad_bytes=${counted.detail.badBytes} delivered_before_accepted=${counted.detail.deliveredBeforeAccepted} push_dropped=${push.failedOnPurpose} push_bad_signature=${push.badSignature} pull_errors=${pull.errors}${counted.detail.lostLegs.length ? ` lost_legs(first 20)=${counted.detail.lostLegs.join(', ')}` : ''}`,
  )
  log(`chaos: counted in ${((Date.now() - countedFrom) / 1000).toFixed(1)} s`)
  if (sent.refused.length) log(`chaos: refusals (first 5): ${JSON.stringify(sent.refused.slice(0, 5))}`)
  if (counted.detail.lostLegs.length) {
    const lostIds = new Set(counted.detail.lostLegs.map((l) => l.split(' ')[1]))
    await explainLost({
      db: admin,
      lost: [...sent.accepted.values()].filter((d) => lostIds.has(d.uuid)),
      logFile: path.join(work, 'gateways.log'),
      brokers,
      topicPrefix: `chaos${tag}.`,
      log,
    })
  }
  return { ...counted, faults: windows }
}
