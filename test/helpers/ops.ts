/**
 * Helpers for the operations suites: a test gateway with uncached ops gauges (startGateway's workers can be stopped and
 * started again, to make consumer lag real), a Prometheus scrape parsed with an independent text-format
 * parser, and the operator CLI.
 */
import path from 'node:path'
import { spawn } from 'node:child_process'
import parsePrometheusTextFormat from 'parse-prometheus-text-format'
import type { Config } from '../../src/config/config.ts'
import { ROOT, startGateway, type TestGateway } from './gateway.ts'

export type OpsGateway = TestGateway

/** A test gateway with the ops gauges read fresh on every scrape (no cache). */
export const startOpsGateway = (t: { teardown(fn: () => Promise<void> | void): void }, overrides: Partial<Config> = {}): Promise<OpsGateway> =>
  startGateway(t, { opsCacheMs: 0, ...overrides })

export interface Sample {
  labels: Record<string, string>
  value: number
}
export interface Family {
  name: string
  help: string
  type: string
  metrics: { labels?: Record<string, string>; value?: string; buckets?: Record<string, string>; count?: string; sum?: string }[]
}

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
  return f.metrics.filter((m) => Object.entries(match).every(([k, v]) => m.labels?.[k] === v)).map((m) => ({ labels: m.labels ?? {}, value: Number(m.value) }))
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
    p.stdout.on('data', (c) => {
      stdout += c
    })
    p.stderr.on('data', (c) => {
      stderr += c
    })
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
          req.on('end', () => {
            hits.push({ key: String(req.headers['idempotency-key']), body: Buffer.concat(chunks) })
            res.writeHead(200, { connection: 'close' }).end('ok')
          })
        })
        server.listen(port, '127.0.0.1', () => resolve())
      })
    },
    async stop() {
      await new Promise<void>((resolve) => {
        if (!server) return resolve()
        server.close(() => resolve())
        server.closeAllConnections()
        server = null
      })
    },
  }
}

/** Short retry settings: a push to a closed port is dead-lettered within about two seconds. */
export const FAST_DLQ: Partial<Config> = {
  retryBaseMs: 100,
  retryMaxMs: 300,
  deliveryMaxAgeMs: 1500,
  deliveryMaxAttempts: 50,
  breakerThreshold: 100,
  breakerCooldownMs: 200,
  deliveryTimeoutMs: 1000,
  retryPollMs: 50,
}
