// Shared by scripts/start.mjs and scripts/test.mjs: bring up what the gateway needs on a fresh machine.
import { execFileSync, spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
export const say = (m) => process.stderr.write(`» ${m}\n`)

/** DATA_DIR as the gateway resolves it (src/config/config.ts), from the project root where npm runs. */
export const dataDirOf = (env = process.env) => path.resolve(ROOT, env.DATA_DIR || '.data')

/** The broker `npm start` runs for a data directory lives inside it, so two data directories never share one. */
export const kafkaDataDirOf = (env = process.env) => env.KAFKA_DATA_DIR || path.join(dataDirOf(env), 'kafka')

/** Marks a broker as started by `npm start`: only such a broker is stopped by `npm start`'s exit or `npm stop`. */
export const ownedMarker = (kafkaDataDir) => path.join(kafkaDataDir, 'started-by-npm-start')

/** The data-directory lock the gateway holds (src/lifecycle/data-dir-lock.ts; Node runs the TypeScript itself). */
export const lockModule = () => import('../src/lifecycle/data-dir-lock.ts')

/** Starts the project's own Kafka broker (deploy/kafka) unless KAFKA_BROKERS names a cluster. */
export function ensureKafka(env = {}) {
  if (process.env.KAFKA_BROKERS) {
    say(`using the Kafka cluster in KAFKA_BROKERS=${process.env.KAFKA_BROKERS}`)
    return { brokers: process.env.KAFKA_BROKERS, started: false }
  }
  say('starting the local Kafka broker (deploy/kafka/start.sh) …')
  const r = spawnSync('bash', [path.join(ROOT, 'deploy/kafka/start.sh')], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' })
  if (r.status !== 0) throw new Error('Kafka did not start (see the messages above)')
  const lines = r.stdout.trim().split('\n')
  const line = [...lines].reverse().find((l) => l.startsWith('KAFKA_BROKERS='))
  if (!line) throw new Error('deploy/kafka/start.sh did not print KAFKA_BROKERS=…')
  // `started` only when this call launched the broker: a reused one may serve another gateway
  return { brokers: line.slice('KAFKA_BROKERS='.length), started: lines.some((l) => l.startsWith('KAFKA_LAUNCHED=')) }
}

export function stopKafka(env = {}) {
  spawnSync('bash', [path.join(ROOT, 'deploy/kafka/stop.sh')], { env: { ...process.env, ...env }, stdio: 'inherit' })
}

/** Installs the Debian packages listed in scripts/system-deps.txt that are missing (root only). */
export function ensureSystemDeps() {
  const wanted = fs
    .readFileSync(path.join(ROOT, 'scripts/system-deps.txt'), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
  const missing = wanted.filter((p) => spawnSync('dpkg-query', ['-W', '-f=${Status}', p], { encoding: 'utf8' }).stdout?.includes('install ok installed') !== true)
  if (missing.length === 0) return
  if (process.getuid?.() !== 0) {
    say(`missing Debian packages ${missing.join(' ')}: install them with apt-get (tests that need them will fail)`)
    return
  }
  say(`installing Debian packages: ${missing.join(' ')}`)
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit' })
  execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } })
}

/** Makes sure the PostgreSQL used by the tests answers; starts the machine's cluster if it is down. */
export async function ensurePostgres(url) {
  const pg = (await import('pg')).default
  const ping = async () => {
    const c = new pg.Client({ connectionString: url })
    await c.connect()
    await c.query('select 1')
    await c.end()
  }
  try {
    await ping()
    return
  } catch (e) {
    say(`PostgreSQL at ${url} does not answer (${e.message}); trying to start it`)
  }
  const versions = fs.existsSync('/etc/postgresql') ? fs.readdirSync('/etc/postgresql') : []
  for (const v of versions) spawnSync('pg_ctlcluster', ['--skip-systemctl-redirect', v, 'main', 'start'], { stdio: 'inherit' })
  for (let i = 0; i < 30; i++) {
    try {
      await ping()
      return
    } catch {
      await new Promise((r) => setTimeout(r, 500))
    }
  }
  throw new Error(`PostgreSQL at ${url} is not reachable`)
}
