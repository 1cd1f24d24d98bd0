/**
 * The chaos run's own infrastructure: a 3-broker Kafka cluster (deploy/kafka/cluster.sh) and an S3Proxy
 * object store (deploy/s3proxy), each with its own ports and data directory, driven through the project's
 * scripts. Every script runs asynchronously: a spawnSync would freeze the senders' event loop and show up
 * as a gateway hang that never happened.
 */
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { ROOT } from '../../test/helpers/gateway.ts'

export interface ScriptResult {
  code: number
  stdout: string
  stderr: string
}

/** Runs a bash script of the project with extra environment; never throws (the caller reads `code`). */
export function runScript(script: string, args: string[], env: Record<string, string>, timeoutMs = 300_000): Promise<ScriptResult> {
  return new Promise((resolve) => {
    const p = spawn('bash', [path.join(ROOT, script), ...args], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    p.stdout.on('data', (c: Buffer) => {
      stdout += c
    })
    p.stderr.on('data', (c: Buffer) => {
      stderr += c
    })
    const timer = setTimeout(() => p.kill('SIGKILL'), timeoutMs)
    p.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code: code ?? 1, stdout, stderr })
    })
  })
}

async function mustRun(script: string, args: string[], env: Record<string, string>): Promise<string> {
  const r = await runScript(script, args, env)
  if (r.code !== 0) throw new Error(`${script} ${args.join(' ')} failed (${r.code}):\n${r.stderr.slice(-3000)}`)
  return r.stdout
}

export class KafkaCluster {
  readonly env: Record<string, string>
  brokers: string[] = []

  readonly dir: string

  constructor(dir: string, portBase: number) {
    this.dir = dir
    this.env = { KAFKA_CLUSTER_DIR: dir, KAFKA_CLUSTER_PORT_BASE: String(portBase) }
  }

  async start(): Promise<string[]> {
    const out = await mustRun('deploy/kafka/cluster.sh', ['start'], this.env)
    this.brokers = /KAFKA_BROKERS=(\S+)/.exec(out)?.[1]?.split(',') ?? []
    if (this.brokers.length !== 3) throw new Error(`cluster.sh start printed no 3 brokers: ${out}`)
    return this.brokers
  }

  /** kill -9 node n, as a crashed machine */
  async kill(n: number): Promise<void> {
    await mustRun('deploy/kafka/cluster.sh', ['kill', String(n)], this.env)
  }
  /** node n back; cluster.sh waits until it is registered again */
  async restart(n: number): Promise<void> {
    await mustRun('deploy/kafka/cluster.sh', ['start', String(n)], this.env)
  }

  pid(n: number): number {
    const pid = Number(fs.readFileSync(path.join(this.dir, `broker-${n}`, 'kafka.pid'), 'utf8').replace(/\D/g, ''))
    if (!pid) throw new Error(`no pid for broker ${n}`)
    return pid
  }

  /** SIGSTOP: the broker keeps its sockets open and answers nothing — a hung machine, not a dead one */
  freeze(n: number): void {
    process.kill(this.pid(n), 'SIGSTOP')
  }
  thaw(n: number): void {
    process.kill(this.pid(n), 'SIGCONT')
  }

  /**
   * Every node killed (kill -9; a frozen one dies too): the run deletes the cluster's folder next, and a
   * controlled shutdown, each node handing its partitions to the others, took ≈ 28 s for nothing kept.
   */
  async stop(): Promise<void> {
    await runScript('deploy/kafka/cluster.sh', ['kill'], this.env)
  }
}

export class ObjectStore {
  readonly env: Record<string, string>
  endpoint = ''

  readonly dir: string
  readonly port: number

  constructor(dir: string, port: number) {
    this.dir = dir
    this.port = port
    this.env = { S3PROXY_DATA_DIR: dir, S3PROXY_PORT: String(port) }
  }

  async start(): Promise<string> {
    const out = await mustRun('deploy/s3proxy/start.sh', [], this.env)
    this.endpoint = /S3_ENDPOINT=(\S+)/.exec(out)?.[1] ?? ''
    if (!this.endpoint) throw new Error(`s3proxy start.sh printed no endpoint: ${out}`)
    return this.endpoint
  }

  async stop(): Promise<void> {
    await runScript('deploy/s3proxy/stop.sh', [], this.env)
  }
}

/** Cleanups run in reverse order of registration, each at most once, whatever failed before. */
export class Cleanup {
  private steps: { what: string; fn: () => Promise<unknown> | unknown }[] = []
  private done: Promise<void> | null = null

  add(what: string, fn: () => Promise<unknown> | unknown): void {
    this.steps.push({ what, fn })
  }

  run(log: (s: string) => void): Promise<void> {
    this.done ??= (async () => {
      const t0 = Date.now()
      for (const s of this.steps.reverse()) {
        const t1 = Date.now()
        try {
          await s.fn()
        } catch (e) {
          log(`cleanup ${s.what} failed: ${(e as Error).message}`)
        }
        // a slow step is named: the run's end is its own figure (a broker's controlled shutdown, a drop schema)
        if (Date.now() - t1 > 1000) log(`cleanup: ${s.what} took ${((Date.now() - t1) / 1000).toFixed(1)} s`)
      }
      log(`cleanup: everything the run started is stopped (${((Date.now() - t0) / 1000).toFixed(1)} s)`)
    })()
    return this.done
  }
}
