/**
 * A gateway in a child process, for tests that must kill it for real (SIGKILL: no shutdown hook runs).
 *
 * Run as a script (`node test/helpers/child-gateway.ts`), it builds the runtime like
 * startGateway does, but from the environment (DATABASE_URL, DATABASE_SCHEMA, TOPIC_PREFIX, DATA_DIR, …),
 * seeds the demo directory and keys (kept across restarts: DATA_DIR/demo-credentials.json), starts the
 * workers and the HTTP server, and prints `READY <url>` on stdout. Imported, it offers `spawnGateway`, which
 * starts such a child with the given environment and waits for that line; starting it again with the same
 * environment is a restart on the same schema, topics, consumer groups and data directory.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { freePort } from './free-port.ts'

const SELF = fileURLToPath(import.meta.url)
const ROOT = path.resolve(path.dirname(SELF), '../..')

/**
 * The environment of a child test gateway of its own: schema `t_<tag>`, topics `t<tag>.`, the given data
 * directory, any free port, 2 partitions, the demo directory and keys seeded, private webhook targets
 * allowed (receivers run on loopback). Tests add what they are about.
 */
export function childGatewayEnv(tag: string, dataDir: string): Record<string, string> {
  return {
    DATABASE_URL: process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
    DATABASE_SCHEMA: `t_${tag}`,
    TOPIC_PREFIX: `t${tag}.`,
    DATA_DIR: dataDir,
    PORT: '0',
    KAFKA_PARTITIONS: '2',
    GATEWAY_ID: `test-${tag}`,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'warn',
    SEED_DEMO: '1',
    WEBHOOK_ALLOW_PRIVATE: 'true',
  }
}

/** The demo package from the commune 000.21.30.H41, signed by `lgsp sign` with the demo keys of `env`'s DATA_DIR, as a clerk would. */
export function lgspSignDemo(env: NodeJS.ProcessEnv): Buffer {
  const r = spawnSync(process.execPath, [path.join(ROOT, 'bin/lgsp.mjs'), 'sign', path.join(ROOT, 'test/fixtures/demo/commune-to-province.edxml'), '--agency', '000.21.30.H41'], {
    env,
    encoding: 'buffer',
  })
  if (r.status !== 0) throw new Error(`lgsp sign exited ${r.status}: ${r.stderr.toString()}`)
  return r.stdout
}

/** `npm start` as a terminal runs it: its own process group (kill -pid reaches the broker it starts too). */
export interface NpmStart {
  child: ChildProcess
  /** everything it printed so far, stdout and stderr interleaved */
  output(): string
  /** resolves with the exit code */
  exited: Promise<number | null>
}

/**
 * The environment of an `npm start` that brings its own broker, as on a fresh machine: its own data
 * directory and free ports for the gateway and the broker (KAFKA_BROKERS and KAFKA_DATA_DIR of the test
 * run are dropped). `extra` adds to it.
 */
export async function npmStartEnv(dataDir: string, extra: NodeJS.ProcessEnv = {}): Promise<{ env: NodeJS.ProcessEnv; port: number }> {
  const [port, kafkaPort, controllerPort] = [await freePort(), await freePort(), await freePort()]
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATA_DIR: dataDir,
    PORT: String(port),
    KAFKA_PORT: String(kafkaPort),
    KAFKA_CONTROLLER_PORT: String(controllerPort),
    ...extra,
  }
  delete env.KAFKA_BROKERS
  delete env.KAFKA_DATA_DIR
  return { env, port }
}

export function npmStart(env: NodeJS.ProcessEnv): NpmStart {
  const child = spawn('npm', ['start'], { cwd: ROOT, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  const take = (d: Buffer) => {
    out += d
  }
  child.stdout!.on('data', take)
  child.stderr!.on('data', take)
  return { child, output: () => out, exited: new Promise((r) => child.on('exit', (code) => r(code))) }
}

export interface ChildGateway {
  url: string
  proc: ChildProcess
  /** resolves with the exit code or signal */
  exited: Promise<number | string | null>
  kill(signal: NodeJS.Signals): Promise<number | string | null>
}

export async function spawnGateway(env: Record<string, string | undefined>, opts: { readyMs?: number } = {}): Promise<ChildGateway> {
  const all = { ...process.env, ...env }
  // GATEWAY_NODE_ARGS: extra Node flags for the child, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof" to profile
  // the gateway under a bench (Node refuses --cpu-prof in NODE_OPTIONS)
  const nodeArgs = (all.GATEWAY_NODE_ARGS ?? '').split(' ').filter(Boolean)
  const proc = spawn(process.execPath, [...nodeArgs, SELF], { cwd: ROOT, env: all, stdio: ['ignore', 'pipe', 'inherit'] })
  const exited = new Promise<number | string | null>((res) => proc.on('exit', (code, sig) => res(sig ?? code)))
  const url = await new Promise<string>((resolve, reject) => {
    let buf = ''
    const timer = setTimeout(() => {
      proc.kill('SIGKILL')
      reject(new Error('child gateway not ready in time'))
    }, opts.readyMs ?? 60_000)
    proc.stdout!.on('data', (c: Buffer) => {
      buf += c.toString('utf8')
      const m = /^READY (\S+)$/m.exec(buf)
      if (m) {
        clearTimeout(timer)
        resolve(m[1]!)
      }
    })
    void exited.then((x) => {
      clearTimeout(timer)
      reject(new Error(`child gateway exited before ready (${x})`))
    })
  })
  // CHILD_GATEWAY_LOG=<file>: the children's logs appended there (a bench or chaos run to investigate)
  if (all.CHILD_GATEWAY_LOG) proc.stdout!.pipe(fs.createWriteStream(all.CHILD_GATEWAY_LOG, { flags: 'a' }))
  else proc.stdout!.resume() // keep draining so the child never blocks on a full pipe
  return {
    url,
    proc,
    exited,
    async kill(signal) {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal)
      return exited
    },
  }
}

async function main() {
  const { loadConfig } = await import('../../src/config/config.ts')
  const { createRuntime } = await import('../../src/runtime.ts')
  const { buildApp } = await import('../../src/gateway/app.ts')
  const { startWorkers } = await import('../../src/lifecycle/workers.ts')
  const { seedDemo } = await import('../../src/demo/seed.ts')
  const config = loadConfig(process.env)
  const rt = await createRuntime(config)
  if (process.env.SEED_DEMO === '1') await seedDemo(rt)
  const workers = await startWorkers(rt)
  const app = await buildApp(rt)
  await app.listen({ host: '127.0.0.1', port: config.port })
  process.stdout.write(`READY http://127.0.0.1:${(app.server.address() as { port: number }).port}\n`)
  const stop = async () => {
    await app.close()
    await workers.stop()
    await rt.close()
    process.exit(0)
  }
  process.on('SIGTERM', () => void stop())
  process.on('SIGINT', () => void stop())
}

if (process.argv[1] && pathToFileURL(path.resolve(process.argv[1])).href === import.meta.url) {
  main().catch((e) => {
    process.stderr.write(`child gateway failed: ${e instanceof Error ? e.stack : String(e)}\n`)
    process.exit(1)
  })
}
