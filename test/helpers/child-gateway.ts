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
import { spawn, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const SELF = fileURLToPath(import.meta.url)
const ROOT = path.resolve(path.dirname(SELF), '../..')

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
