/**
 * Boots a real gateway for an integration test: real Kafka (KAFKA_BROKERS, started by scripts/test.mjs),
 * real PostgreSQL (its own schema), real HTTP on a free port. Each gateway gets its own topic prefix and
 * consumer groups, so tests never see each other's records.
 */
import crypto from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import pg from 'pg'
import { Kafka, logLevel } from 'kafkajs'
import pino from 'pino'
import { loadConfig, type Config } from '../../src/config/config.ts'
import { createRuntime, type Runtime } from '../../src/runtime.ts'
import { buildApp } from '../../src/gateway/app.ts'
import { startWorkers } from '../../src/lifecycle/workers.ts'
import { seedDemo } from '../../src/demo/seed.ts'
import { pkiInit, type PkiInitResult } from '../../src/signing/pki.ts'
import { signEdxml } from '../../src/signing/sign-edxml.ts'
import { signJws, type FlattenedJws } from '../../src/signing/jws.ts'

export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test'
export const ROOT = path.resolve(import.meta.dirname, '../..')

export interface TestGateway {
  url: string
  rt: Runtime
  creds: Record<string, string>
  /** fetch against the gateway with an API key (by OrganId or 'operator') */
  call(keyOf: string | null, method: string, p: string, body?: Buffer | string, headers?: Record<string, string>): Promise<Response>
  /**
   * `call` without a socket: the request goes through Fastify's `inject` (light-my-request) into the same
   * app, every hook and route as over HTTP, and comes back as a fetch Response. For tests about what the
   * gateway answers; a test about the transport itself (slow bodies, connection limits) uses `call`.
   */
  inject(keyOf: string | null, method: string, p: string, body?: Buffer | string, headers?: Record<string, string>): Promise<Response>
  /** the package signed (XML-DSig, enveloped) with the demo certificate of `organId` */
  sign(organId: string, xml: Buffer | string): Promise<Buffer>
  /** the Kafka workers can be stopped and started again (e.g. to make consumer lag real) */
  workers: { stop(): Promise<void>; start(): Promise<void>; running(): boolean }
  stop(): Promise<void>
}

interface Teardown {
  teardown(fn: () => Promise<void> | void): void
  passing?(): boolean
}

/**
 * A test gateway logs at `info` into a ring of its last lines; when the test that started it has failed,
 * the ring is printed at teardown (stderr), so a failure on a CI machine comes with what the gateway did.
 * TEST_LOG_LEVEL=<level> logs to stdout instead, as the gateway does in production.
 */
function testLogger(gatewayId: string) {
  // request lines in a ring of their own: a test polling for a condition writes hundreds of them, and they
  // must not push out what the workers said
  const work: string[] = []
  const requests: string[] = []
  const keep = (ring: string[], s: string, n: number) => {
    ring.push(s)
    if (ring.length > n) ring.shift()
  }
  if (process.env.TEST_LOG_LEVEL) return { log: undefined, dump: () => {} }
  const log = pino(
    { level: 'info', base: { gw: gatewayId } },
    {
      write(s: string) {
        if (s.includes('"c":"http"')) keep(requests, s, 20)
        else keep(work, s, 400)
      },
    },
  )
  return {
    log,
    dump: () => {
      process.stderr.write(
        `--- log of ${gatewayId} (the test failed): last ${work.length} lines of its workers and bus, then its last ${requests.length} requests ---\n${work.join('')}${requests.join('')}--- end of ${gatewayId} ---\n`,
      )
    },
  }
}

/**
 * The gateways of one PostgreSQL schema (a test's replicas share it, and its topics and payload store): the
 * last of them to stop drops the schema, deletes the topics and removes the data directories. Dropped while
 * a replica still ran, the schema's locks met that replica's queries (PostgreSQL broke the deadlock by
 * failing the drop), and its topics and blobs went from under it.
 */
const schemaUsers = new Map<string, { running: number; dirs: string[] }>()

/**
 * A gateway in this process on its own schema, topics and data directory, torn down with `t`. `workers:
 * false` starts it without its consumers and sweeps (HTTP, store and change feed only): a replica a test
 * only reads from or changes through needs no share of the consumer groups, and every extra member makes
 * each group rebalance when it joins and when it leaves.
 */
export async function startGateway(t: Teardown, overrides: Partial<Config> = {}, opts: { workers?: boolean } = {}): Promise<TestGateway> {
  if (!process.env.KAFKA_BROKERS) throw new Error('KAFKA_BROKERS is not set: run the tests with `npm test`, which starts Kafka')
  const tag = crypto.randomBytes(4).toString('hex')
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `lgsp-${tag}-`))
  const config = loadConfig(
    { ...process.env, DATABASE_URL: TEST_DATABASE_URL, LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent' },
    {
      port: 0,
      dataDir,
      blobDir: path.join(dataDir, 'blobs'),
      databaseSchema: `t_${tag}`,
      topicPrefix: `t${tag}.`,
      kafkaPartitions: 2,
      gatewayId: `test-${tag}`,
      signaturePolicy: 'required',
      trustDir: (await testPki()).dir,
      gatewayKeyFile: '',
      gatewayCertFile: '',
      outboundAllowPrivate: ['127.0.0.1', 'localhost', '::1'], // test receivers listen on loopback
      // four test files at a time on 2 cores can hold a produce past the 4 s default, and the gateway then
      // answers 503 (as it should): tests whose subject is something else wait longer, tests of the 503
      // path set their own
      kafkaProduceTimeoutMs: 20_000,
      ...overrides,
    },
  )
  // a caller that names a log level (a bench: 'silent') gets exactly that; tests get the ring
  const logs = overrides.logLevel ? { log: undefined, dump: () => {} } : testLogger(config.gatewayId)
  const timing = process.env.TEST_TIMING === '1' ? (what: string, t0: number) => process.stderr.write(`[timing] ${config.gatewayId} ${what} ${Date.now() - t0} ms\n`) : () => {}
  const t0 = Date.now()
  const rt = await createRuntime(config, logs.log ? { log: logs.log } : {})
  timing('runtime', t0)
  const users = schemaUsers.get(config.databaseSchema) ?? { running: 0, dirs: [] }
  schemaUsers.set(config.databaseSchema, users)
  users.running++
  let creds: Record<string, string>, workers: Awaited<ReturnType<typeof startWorkers>> | null, app: Awaited<ReturnType<typeof buildApp>>
  try {
    creds = await seedDemo(rt)
    timing('seeded', t0)
    workers = opts.workers === false ? null : await startWorkers(rt)
    timing('workers', t0)
    app = await buildApp(rt)
    await app.listen({ host: '127.0.0.1', port: config.port }) // 0 unless a test pre-picks ports (the federation suites do)
    timing('listening', t0)
  } catch (e) {
    logs.dump()
    users.running--
    await rt.close() // a half-started gateway must not keep the test process alive until tap's timeout
    throw e
  }
  const url = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`
  const requestHeaders = (keyOf: string | null, body: Buffer | string | undefined, headers: Record<string, string>) => {
    const h: Record<string, string> = { ...headers }
    if (keyOf) h.authorization = `Bearer ${creds[keyOf] ?? keyOf}`
    if (body !== undefined && !h['content-type']) h['content-type'] = 'application/xml'
    return h
  }
  let stopped = false
  const stop = async () => {
    if (stopped) return
    stopped = true
    if (t.passing && !t.passing()) logs.dump()
    const s0 = Date.now()
    await app.close()
    timing('stop: app closed', s0)
    await workers?.stop()
    timing('stop: workers stopped', s0)
    await rt.close()
    timing('stop: runtime closed', s0)
    users.running--
    users.dirs.push(dataDir)
    if (users.running > 0) return
    schemaUsers.delete(config.databaseSchema)
    const c = new pg.Client({ connectionString: TEST_DATABASE_URL })
    await c.connect()
    await c.query(`drop schema if exists ${config.databaseSchema} cascade`)
    await c.end()
    await deleteTopicsWithPrefix(config.topicPrefix)
    for (const d of users.dirs) fs.rmSync(d, { recursive: true, force: true })
    timing('stop: cleaned up', s0)
  }
  t.teardown(stop)
  return {
    url,
    rt,
    creds,
    stop,
    sign: signAs,
    workers: {
      async stop() {
        await workers?.stop()
        workers = null
      },
      async start() {
        workers ??= await startWorkers(rt)
      },
      running: () => workers !== null,
    },
    call(keyOf, method, p, body, headers = {}) {
      return fetch(url + p, { method, headers: requestHeaders(keyOf, body, headers), body: typeof body === 'string' || body === undefined ? body : new Uint8Array(body) })
    },
    async inject(keyOf, method, p, body, headers = {}) {
      const res = await app.inject({ method: method as 'GET', url: p, headers: requestHeaders(keyOf, body, headers), ...(body !== undefined ? { payload: body } : {}) })
      const h = new Headers()
      for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) for (const x of Array.isArray(v) ? v : [v]) h.append(k, String(x))
      return new Response(res.statusCode === 204 || res.statusCode === 304 ? null : new Uint8Array(res.rawPayload), { status: res.statusCode, headers: h })
    },
  }
}

export function kafkaAdmin() {
  return new Kafka({ clientId: 'test-admin', brokers: process.env.KAFKA_BROKERS!.split(','), logLevel: logLevel.NOTHING }).admin()
}

/** Every topic of one test gateway (its prefix is unique), including ones created on demand (DLQs). */
async function deleteTopicsWithPrefix(prefix: string) {
  const admin = kafkaAdmin()
  await admin.connect()
  try {
    const topics = (await admin.listTopics()).filter((x) => x.startsWith(prefix))
    if (topics.length) await admin.deleteTopics({ topics, timeout: 10_000 })
  } catch {
    /* best effort */
  } finally {
    await admin.disconnect()
  }
}

/** Sum of the high watermarks of the given topics: how many records were ever written to them. */
export async function recordCount(topics: string[]): Promise<number> {
  const admin = kafkaAdmin()
  await admin.connect()
  try {
    let n = 0
    for (const topic of topics) for (const p of await admin.fetchTopicOffsets(topic)) n += Number(p.high)
    return n
  } finally {
    await admin.disconnect()
  }
}

/**
 * How much longer than its nominal time a test waits for a condition: the suite asserts that things happen,
 * not how fast (speed lives in bench/), and CI shares two cores with a broker, PostgreSQL and Chromium.
 */
export const PATIENCE = Number(process.env.TEST_PATIENCE ?? 2)

/** Polls `fn` until it returns a truthy value or `ms` × PATIENCE elapse. */
export async function eventually<T>(fn: () => Promise<T | undefined | null | false>, ms = 30_000, what = 'condition'): Promise<T> {
  const end = Date.now() + ms * PATIENCE
  let last: unknown
  for (;;) {
    try {
      const v = await fn()
      if (v) return v
    } catch (e) {
      last = e
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`)
    await new Promise((r) => setTimeout(r, 150))
  }
}

/** How far this process's RSS rises above where it is now while `work` runs (MB; sampled every 20 ms, after a GC when --expose-gc). */
export async function rssGrowthMb(work: () => Promise<unknown>): Promise<number> {
  global.gc?.()
  const before = process.memoryUsage().rss
  let peak = before
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss)
  }, 20)
  try {
    await work()
  } finally {
    clearInterval(sampler)
  }
  return (Math.max(peak, process.memoryUsage().rss) - before) / 2 ** 20
}

/**
 * A request resent after 503 the way a client is told to (Retry-After, seconds), for at most `ms`: a busy
 * machine can keep a produce past KAFKA_PRODUCE_TIMEOUT_MS, and the gateway then refuses rather than
 * answer late — tests whose subject is something else send as a well-behaved client would.
 */
export async function resendOn503(send: () => Promise<Response>, ms = 60_000): Promise<Response> {
  const end = Date.now() + ms
  for (;;) {
    const r = await send()
    if (r.status !== 503 || Date.now() > end) return r
    await r.arrayBuffer()
    await sleep(1000 * Math.min(5, Number(r.headers.get('retry-after')) || 1))
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))

/** 'timeout' after `ms` on an unref'd timer: a bound for a race that does not keep the file running once the race is won. */
export const bound = (ms: number) => new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), ms).unref())

export const fixture = (p: string) => fs.readFileSync(path.join(ROOT, 'test/fixtures', p))

let pki: Promise<PkiInitResult> | undefined
/** One demo PKI for all test gateways (pkiInit is idempotent; built once per machine, ~10 s). */
export const testPki = (): Promise<PkiInitResult> => (pki ??= pkiInit(path.join(os.tmpdir(), 'lgsp-gateway-test-pki-v1')))

/**
 * A copy of the test PKI's trust directory, removed at teardown: for a test that changes trust through the
 * operator API, which rewrites TRUST_DIR's files (src/gateway/trust-admin.ts) — on the shared directory
 * that would change what every other test file's gateways trust.
 */
export async function privateTrustDir(t: Teardown): Promise<string> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lgsp-trust-'))
  fs.cpSync((await testPki()).dir, dir, { recursive: true })
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }))
  return dir
}

export async function signAs(organId: string, xml: Buffer | string): Promise<Buffer> {
  return signWith(await testPki(), organId, xml)
}

/** The JSON form signed with the demo certificate of `organId`: a flattened JWS (x5c chain) whose payload is `json`. */
export async function jwsAs(organId: string, json: string): Promise<FlattenedJws> {
  const p = await testPki()
  const a = p.agencies.find((x) => x.organId === organId)
  if (!a) throw new Error(`no demo certificate for ${organId}`)
  return signJws(json, fs.readFileSync(a.key, 'utf8'), [fs.readFileSync(a.cert, 'utf8'), fs.readFileSync(p.intermediate, 'utf8')], { format: 'flattened' })
}

/** The package signed with the demo certificate of `organId` from the given demo PKI (pkiInit). */
export function signWith(p: PkiInitResult, organId: string, xml: Buffer | string): Buffer {
  const a = p.agencies.find((x) => x.organId === organId)
  if (!a) throw new Error(`no demo certificate for ${organId}`)
  const chain = [fs.readFileSync(a.cert, 'utf8'), fs.readFileSync(p.intermediate, 'utf8')]
  return Buffer.from(signEdxml(xml, fs.readFileSync(a.key, 'utf8'), chain), 'utf8')
}
