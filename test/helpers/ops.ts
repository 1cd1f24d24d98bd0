/**
 * Issue #7 helpers: a test gateway whose Kafka workers can be stopped and started again (to make consumer
 * lag real), a Prometheus scrape parsed with an independent text-format parser, and the operator CLI.
 * Boots exactly like startGateway (test/helpers/gateway.ts): real Kafka, real PostgreSQL, own schema,
 * own topic prefix.
 */
import crypto from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { spawn } from 'node:child_process'
import pg from 'pg'
import parsePrometheusTextFormat from 'parse-prometheus-text-format'
import { loadConfig, type Config } from '../../src/config/config.ts'
import { createRuntime } from '../../src/runtime.ts'
import { buildApp } from '../../src/gateway/app.ts'
import { startWorkers } from '../../src/workers/index.ts'
import { seedDemo } from '../../src/demo/seed.ts'
import { ROOT, TEST_DATABASE_URL, kafkaAdmin, signAs, testPki, type TestGateway } from './gateway.ts'

export interface OpsGateway extends TestGateway {
  workers: { stop(): Promise<void>; start(): Promise<void>; running(): boolean }
}

export async function startOpsGateway(t: { teardown(fn: () => Promise<void> | void): void }, overrides: Partial<Config> = {}): Promise<OpsGateway> {
  if (!process.env.KAFKA_BROKERS) throw new Error('KAFKA_BROKERS is not set')
  const tag = crypto.randomBytes(4).toString('hex')
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `lgsp-ops-${tag}-`))
  const config = loadConfig({ ...process.env, DATABASE_URL: TEST_DATABASE_URL, LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent' }, {
    port: 0, dataDir, blobDir: path.join(dataDir, 'blobs'), databaseSchema: `t_${tag}`, topicPrefix: `t${tag}.`, kafkaPartitions: 2,
    gatewayId: `test-${tag}`, signaturePolicy: 'optional', trustDir: (await testPki()).dir, gatewayKeyFile: '', gatewayCertFile: '', opsCacheMs: 0, ...overrides,
  })
  const rt = await createRuntime(config)
  const creds = await seedDemo(rt)
  let workers: { stop(): Promise<void> } | null = await startWorkers(rt)
  const app = await buildApp(rt)
  await app.listen({ host: '127.0.0.1', port: config.port })
  const url = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`
  let stopped = false
  const stop = async () => {
    if (stopped) return
    stopped = true
    await app.close()
    await workers?.stop()
    await rt.close()
    const c = new pg.Client({ connectionString: TEST_DATABASE_URL })
    await c.connect()
    await c.query(`drop schema if exists ${config.databaseSchema} cascade`)
    await c.end()
    const admin = kafkaAdmin()
    await admin.connect()
    try { await admin.deleteTopics({ topics: [...rt.topics.all, `${config.topicPrefix}webhooks.dlq`], timeout: 10_000 }) } catch { /* best effort */ } finally { await admin.disconnect() }
    fs.rmSync(dataDir, { recursive: true, force: true })
  }
  t.teardown(stop)
  return {
    url, rt, creds, stop, sign: signAs,
    workers: {
      async stop() { await workers?.stop(); workers = null },
      async start() { workers ??= await startWorkers(rt) },
      running: () => workers !== null,
    },
    call(keyOf, method, p, body, headers = {}) {
      const h: Record<string, string> = { ...headers }
      if (keyOf) h.authorization = `Bearer ${creds[keyOf] ?? keyOf}`
      if (body !== undefined && !h['content-type']) h['content-type'] = 'application/xml'
      return fetch(url + p, { method, headers: h, body: typeof body === 'string' || body === undefined ? body : new Uint8Array(body) })
    },
  }
}

export interface Sample { labels: Record<string, string>; value: number }
export interface Family { name: string; help: string; type: string; metrics: { labels?: Record<string, string>; value?: string; buckets?: Record<string, string>; count?: string; sum?: string }[] }

/** GET /metrics, parsed by parse-prometheus-text-format (an independent parser of the text format). */
export async function scrape(url: string): Promise<{ text: string; families: Map<string, Family> }> {
  const res = await fetch(`${url}/metrics`)
  if (res.status !== 200) throw new Error(`/metrics answered ${res.status}`)
  const text = await res.text()
  const families = new Map((parsePrometheusTextFormat(text) as Family[]).map((f) => [f.name, f]))
  return { text, families }
}

/** Samples of a counter or gauge family, optionally only those whose labels include `match`. */
export function samples(families: Map<string, Family>, name: string, match: Record<string, string> = {}): Sample[] {
  const f = families.get(name)
  if (!f) return []
  return f.metrics
    .filter((m) => Object.entries(match).every(([k, v]) => m.labels?.[k] === v))
    .map((m) => ({ labels: m.labels ?? {}, value: Number(m.value) }))
}

/** Sum of `<name>_count` over the series whose labels contain `labelText` (e.g. 'outcome="accepted"'). */
export function histogramCount(text: string, name: string, labelText = ''): number {
  let n = 0
  for (const m of text.matchAll(new RegExp(`^${name}_count\\{([^}]*)\\} (\\S+)$`, 'gm'))) if (m[1]!.includes(labelText)) n += Number(m[2])
  return n
}

export const sum = (s: Sample[]) => s.reduce((a, x) => a + x.value, 0)

/** Runs `npx lgsp …` (bin/lgsp.mjs through node) and returns its exit code and output. */
export function lgsp(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [path.join(ROOT, 'bin/lgsp.mjs'), ...args], { cwd: ROOT, env: { ...process.env, ...env } })
    let stdout = ''
    let stderr = ''
    p.stdout.on('data', (c) => { stdout += c })
    p.stderr.on('data', (c) => { stderr += c })
    p.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }))
  })
}

/** A push receiver on `port` (node:http) that answers 200 and records what it received; start/stop at will. */
export function pushReceiver(port: number) {
  const hits: { key: string; body: Buffer }[] = []
  let server: import('node:http').Server | null = null
  return {
    hits,
    async start() {
      const http = await import('node:http')
      await new Promise<void>((resolve) => {
        server = http.createServer((req, res) => {
          const chunks: Buffer[] = []
          req.on('data', (c: Buffer) => chunks.push(c))
          req.on('end', () => { hits.push({ key: String(req.headers['idempotency-key']), body: Buffer.concat(chunks) }); res.writeHead(200, { connection: 'close' }).end('ok') })
        })
        server.listen(port, '127.0.0.1', () => resolve())
      })
    },
    async stop() {
      await new Promise<void>((resolve) => { if (!server) return resolve(); server.close(() => resolve()); server.closeAllConnections(); server = null })
    },
  }
}

/** Short retry settings: a push to a closed port is dead-lettered within about two seconds. */
export const FAST_DLQ: Partial<Config> = {
  retryBaseMs: 100, retryMaxMs: 300, deliveryMaxAgeMs: 1500, deliveryMaxAttempts: 50, breakerThreshold: 100, breakerCooldownMs: 200,
  deliveryTimeoutMs: 1000, retryPollMs: 50,
}
