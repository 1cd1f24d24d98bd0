/**
 * `lgsp doctor [--json]`: checks a deployment from the same environment the gateway runs with, reading
 * only: the configuration; PostgreSQL (reachable, migrations applied); Kafka (brokers, every topic of
 * src/bus/topics.ts with its partitions and replicas, every consumer group of the catalogue
 * src/bus/consumers.ts with its members and lag); the trust store (TRUST_DIR plus the operators' journal,
 * certificates expiring, CRLs overdue); the delivery wiring (every directory endpoint has an adapter, every
 * gateway a PEERS entry). One line per finding: ok, warn or FAIL; exit 1 when anything FAILs.
 * The embedded PGlite is single-process: while a gateway holds DATA_DIR it is not opened here.
 */
import { parseArgs } from 'node:util'
import { Kafka, logLevel } from 'kafkajs'
import { loadConfig, type Config } from '../../config/config.ts'
import { openDb, type Db } from '../../store/db.ts'
import { pendingMigrations } from '../../store/migrate.ts'
import { listAgencies } from '../../store/directory-repo.ts'
import { DirectorySnapshot } from '../../routing/directory-snapshot.ts'
import { topicsFor } from '../../bus/topics.ts'
import { allConsumers, groupOf } from '../../bus/consumers.ts'
import { TrustStore } from '../../signing/trust.ts'
import { trustJournalFollower } from '../../signing/trust-journal.ts'
import { wiringProblems } from '../../adapters/index.ts'
import { isAlive, readLock } from '../../lifecycle/data-dir-lock.ts'
import { LagReader } from '../../ops/kafka-lag.ts'
import pino from 'pino'

export const summary = 'check a deployment read-only: config, PostgreSQL, Kafka topics and consumer groups, trust store, delivery wiring'

export const usage = `usage: lgsp doctor [--json]
  Run with the gateway's environment (DATABASE_URL, KAFKA_BROKERS, TOPIC_PREFIX, TRUST_DIR, PEERS, …).
  Prints one line per check (ok | warn | FAIL); exit 1 when a check FAILs.
  --json   the findings as JSON
`

type Level = 'ok' | 'warn' | 'FAIL'
interface Finding {
  area: string
  level: Level
  what: string
}

const DAY = 86_400_000

export async function run(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { json: { type: 'boolean', default: false } } })
  const findings = await diagnose(process.env)
  if (values.json) process.stdout.write(`${JSON.stringify(findings, null, 2)}\n`)
  else for (const f of findings) process.stdout.write(`${f.level.padEnd(4)}  ${f.area.padEnd(8)} ${f.what}\n`)
  return findings.some((f) => f.level === 'FAIL') ? 1 : 0
}

export async function diagnose(env: NodeJS.ProcessEnv): Promise<Finding[]> {
  const out: Finding[] = []
  const say = (area: string, level: Level, what: string) => out.push({ area, level, what })
  let config: Readonly<Config>
  try {
    config = loadConfig(env)
    say(
      'config',
      'ok',
      `gateway ${config.gatewayId}, topic prefix "${config.topicPrefix}", ${config.databaseUrl ? 'PostgreSQL' : 'embedded PGlite'}, payloads in ${config.blobStore === 's3' ? `S3 ${config.s3Endpoint}` : config.blobDir}`,
    )
  } catch (e) {
    say('config', 'FAIL', (e as Error).message)
    return out
  }
  const db = await database(config, say)
  try {
    await kafka(config, say)
    await trust(config, db, say)
    if (db) {
      const problems = wiringProblems({ config }, DirectorySnapshot.build(await listAgencies(db)))
      if (problems.length) for (const p of problems) say('wiring', 'FAIL', p)
      else say('wiring', 'ok', 'every directory endpoint has an adapter and every gateway a PEERS entry')
    } else say('wiring', 'warn', 'not checked: the directory is in the database')
  } finally {
    await db?.close()
  }
  return out
}

async function database(config: Readonly<Config>, say: (a: string, l: Level, w: string) => void): Promise<Db | null> {
  if (!config.databaseUrl) {
    const holder = readLock(config.dataDir)
    if (holder && isAlive(holder)) {
      say('database', 'warn', `embedded PGlite is open in the running gateway (pid ${holder.pid}); its /readyz reports it`)
      return null
    }
  }
  try {
    const db = await openDb({ url: config.databaseUrl, schema: config.databaseSchema, dataDir: config.dataDir })
    const pending = await pendingMigrations(db)
    say(
      'database',
      pending.length ? 'warn' : 'ok',
      pending.length
        ? `${pending.length} migrations not applied yet (the gateway applies them when it starts): ${pending.join(', ')}`
        : `reachable, schema ${config.databaseSchema}, migrations applied`,
    )
    return db
  } catch (e) {
    say('database', 'FAIL', `cannot reach the database: ${(e as Error).message}`)
    return null
  }
}

async function kafka(config: Readonly<Config>, say: (a: string, l: Level, w: string) => void): Promise<void> {
  const admin = new Kafka({
    clientId: `${config.gatewayId}-doctor`,
    brokers: config.kafkaBrokers,
    logLevel: logLevel.NOTHING,
    retry: { retries: 1 },
    connectionTimeout: 3000,
    requestTimeout: 5000,
  }).admin()
  try {
    await admin.connect()
  } catch (e) {
    say('kafka', 'FAIL', `cannot reach ${config.kafkaBrokers.join(', ')}: ${(e as Error).message}`)
    return
  }
  try {
    const cluster = await admin.describeCluster()
    say('kafka', 'ok', `${cluster.brokers.length} broker(s) at ${config.kafkaBrokers.join(', ')}`)
    const topics = topicsFor(config.topicPrefix)
    const existing = new Set(await admin.listTopics())
    const wanted = [...topics.all, topics.webhooksDlq]
    const meta = await admin.fetchTopicMetadata({ topics: wanted.filter((t) => existing.has(t)) })
    const expect = config.kafkaReplication || Math.min(3, cluster.brokers.length)
    for (const name of wanted) {
      const m = meta.topics.find((x) => x.name === name)
      if (!m) {
        say('topics', name === topics.webhooksDlq ? 'warn' : 'FAIL', `${name} is missing (the gateway creates it when it starts)`)
        continue
      }
      const rf = Math.min(...m.partitions.map((p) => p.replicas.length))
      const leaderless = m.partitions.filter((p) => p.leader < 0).length
      const level: Level = leaderless ? 'FAIL' : rf < expect ? 'warn' : 'ok'
      say(
        'topics',
        level,
        `${name}: ${m.partitions.length} partitions, ${rf} replica(s)${rf < expect ? ` (expected ${expect})` : ''}${leaderless ? `, ${leaderless} without a leader` : ''}`,
      )
    }
    const groups = allConsumers().map((c) => groupOf(config.topicPrefix, c))
    const described = await admin.describeGroups(groups)
    const lag = new LagReader({
      brokers: config.kafkaBrokers,
      clientId: `${config.gatewayId}-doctor`,
      prefix: config.topicPrefix,
      cacheMs: 0,
      log: pino({ level: 'silent' }),
      knownGroups: () => new Map(allConsumers().map((c) => [groupOf(config.topicPrefix, c), c.topics(topics)])),
    })
    const rows = await lag.read().catch(() => [])
    await lag.close()
    for (const c of allConsumers()) {
      const g = groupOf(config.topicPrefix, c)
      const d = described.groups.find((x) => x.groupId === g)
      const behind = rows.filter((r) => r.group === g).reduce((s, r) => s + r.lag, 0)
      const members = d?.members.length ?? 0
      say('groups', members ? 'ok' : 'warn', `${g}: ${members ? `${members} member(s), ${d?.state}` : 'no members (is a gateway running?)'}, lag ${behind} — ${c.role}`)
    }
  } catch (e) {
    say('kafka', 'FAIL', (e as Error).message)
  } finally {
    await admin.disconnect().catch(() => {})
  }
}

async function trust(config: Readonly<Config>, db: Db | null, say: (a: string, l: Level, w: string) => void): Promise<void> {
  let store: TrustStore
  try {
    store = await TrustStore.fromDirectory(config.trustDir)
  } catch (e) {
    say('trust', 'FAIL', `cannot load ${config.trustDir}: ${(e as Error).message}`)
    return
  }
  try {
    if (db) await trustJournalFollower(db, store, pino({ level: 'silent' }))()
    const all = [...store.roots.values(), ...store.intermediates.values(), ...store.agencies.values()]
    say(
      'trust',
      store.roots.size ? 'ok' : config.signaturePolicy === 'required' ? 'FAIL' : 'warn',
      `${store.roots.size} root(s), ${store.intermediates.size} intermediate(s), ${store.agencies.size} agency certificate(s) in ${config.trustDir}${db ? ' and the journal' : ''}`,
    )
    const now = Date.now()
    for (const e of all) {
      const left = new Date(e.cert.validTo).getTime() - now
      if (left < 0) say('trust', 'warn', `${e.cert.subject.replace(/\n/g, ', ')} expired on ${new Date(e.cert.validTo).toISOString().slice(0, 10)}`)
      else if (left < 30 * DAY) say('trust', 'warn', `${e.cert.subject.replace(/\n/g, ', ')} expires in ${Math.ceil(left / DAY)} days`)
    }
    for (const c of store.crlStatus()) {
      if (c.nextUpdate && Date.parse(c.nextUpdate) < now) say('trust', 'warn', `CRL ${c.source} of ${c.issuer} is overdue since ${c.nextUpdate}`)
    }
  } finally {
    store.close()
  }
}
