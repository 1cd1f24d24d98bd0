#!/usr/bin/env node
// `npm start`: the whole demo on one machine. Starts Kafka locally (unless KAFKA_BROKERS), then the
// gateway with the embedded database (PGlite under .data, unless DATABASE_URL), the demo directory and
// demo keys, on http://127.0.0.1:8080 (PORT to change). Ctrl-C or `npm stop` (another terminal) stops the
// gateway and the broker it started.
//
// One gateway per data directory: a second `npm start` on the same DATA_DIR refuses and names the first
// one's pid. After a SIGKILL or a closed terminal the next start reclaims the stale lock and reuses the
// broker, which runs in its own session and survives its terminal.
//
// REPLICAS=N (with DATABASE_URL: the embedded PGlite is one process) starts N gateway processes on
// consecutive ports (PORT, PORT+1, …) — two ports rather than one behind a balancer, so each replica can be
// called, watched and killed on its own. They share the database schema, topics and consumer groups, the
// payload directory (DATA_DIR/blobs), the trust directory and the keys that must agree (push HMAC, the VXP
// secret box); each has its own DATA_DIR/replica-<n> for its lock. The first seeds the demo.
import { spawn } from 'node:child_process'
import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { ROOT, dataDirOf, ensureKafka, kafkaDataDirOf, lockModule, ownedMarker, say, stopKafka } from './lib.mjs'

const dataDir = dataDirOf()
const kafkaDataDir = kafkaDataDirOf()
const { readLock, isAlive, lockPath } = await lockModule()

const replicas = Number(process.env.REPLICAS || 1)
if (!Number.isInteger(replicas) || replicas < 1 || replicas > 8) {
  say('REPLICAS must be a whole number from 1 to 8')
  process.exit(2)
}
if (replicas > 1 && !process.env.DATABASE_URL) {
  say('REPLICAS needs DATABASE_URL (PostgreSQL): the embedded PGlite belongs to one process')
  process.exit(2)
}

const holder = readLock(dataDir)
if (holder && isAlive(holder)) {
  say(`a gateway is already running on ${dataDir}: pid ${holder.pid}${holder.port ? `, http://127.0.0.1:${holder.port}` : ''}, since ${holder.startedAt}`)
  say(`stop it with \`npm stop\` (or \`kill ${holder.pid}\`), or start this one with another DATA_DIR and PORT`)
  process.exit(3)
}
if (holder) say(`found the lock of a gateway that did not stop cleanly (pid ${holder.pid}, since ${holder.startedAt}, no longer running): reclaiming ${lockPath(dataDir)}`)

const kafkaEnv = { KAFKA_DATA_DIR: kafkaDataDir }
const kafka = ensureKafka(kafkaEnv)
if (kafka.started) {
  fs.writeFileSync(ownedMarker(kafkaDataDir), `${process.pid} ${new Date().toISOString()}\n`)
} else if (!process.env.KAFKA_BROKERS && fs.existsSync(ownedMarker(kafkaDataDir))) {
  say(`reusing the broker an earlier \`npm start\` left running (${kafkaDataDir})`)
}

const basePort = Number(process.env.PORT || 8080)

/** A key file as the gateway writes it on first use; created here first so every replica reads the same key. */
function sharedKey(file) {
  if (!fs.existsSync(file)) {
    fs.mkdirSync(path.dirname(file), { recursive: true })
    try {
      fs.writeFileSync(file, `${crypto.randomBytes(32).toString('base64url')}\n`, { mode: 0o600, flag: 'wx' })
    } catch (e) {
      if (e.code !== 'EEXIST') throw e
    }
  }
  return fs.readFileSync(file, 'utf8').trim()
}

const common = {
  ...process.env,
  KAFKA_BROKERS: kafka.brokers,
  WEBHOOK_ALLOW_PRIVATE: process.env.WEBHOOK_ALLOW_PRIVATE ?? 'true',
  KAFKAJS_NO_PARTITIONER_WARNING: '1',
  // the demo's push receivers run on this machine too (a production deployment lists its private hosts)
  OUTBOUND_ALLOW_PRIVATE: process.env.OUTBOUND_ALLOW_PRIVATE ?? '127.0.0.1,localhost,::1',
}
const shared =
  replicas > 1
    ? {
        BLOB_DIR: process.env.BLOB_DIR || path.join(dataDir, 'blobs'),
        TRUST_DIR: process.env.TRUST_DIR || path.join(dataDir, 'pki'),
        PUSH_HMAC_KEY: process.env.PUSH_HMAC_KEY || sharedKey(path.join(dataDir, 'push-hmac.key')),
        VXP_SECRET_KEY: process.env.VXP_SECRET_KEY || sharedKey(path.join(dataDir, 'vxp-secret.key')),
      }
    : {}

const children = []
let exitCode = null
function startReplica(n) {
  const env =
    n === 1
      ? { ...common, ...shared, DATA_DIR: dataDir }
      : { ...common, ...shared, DATA_DIR: path.join(dataDir, `replica-${n}`), PORT: String(basePort + n - 1), GATEWAY_ID: `${process.env.GATEWAY_ID || 'lgsp-local'}-${n}` }
  // the demo runs on one machine, so a newcomer's webhook receiver is on loopback
  const child = spawn(process.execPath, [path.join(ROOT, 'src/main.ts'), ...(n === 1 ? ['--demo'] : [])], { cwd: ROOT, stdio: 'inherit', env })
  children.push(child)
  child.on('exit', (code, signal) => {
    if (n === 1 && exitCode === null) exitCode = code ?? (signal ? 1 : 0)
    // one replica gone (npm stop signals the first): the others follow, then the broker
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGTERM')
    if (children.every((c) => c.exitCode !== null || c.signalCode !== null)) finish()
  })
  return child
}

async function ready(port) {
  for (let i = 0; i < 600; i++) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/healthz`)).ok) return true
    } catch {
      /* not yet */
    }
    if (children.every((c) => c.exitCode !== null || c.signalCode !== null)) return false
    await new Promise((r) => setTimeout(r, 200))
  }
  return false
}

function finish() {
  // never stop a broker another live gateway uses: exit 3 = the data directory was taken by a concurrent start
  const other = readLock(dataDir)
  const inUse = exitCode === 3 || (other && !children.some((c) => c.pid === other.pid) && isAlive(other))
  if (!process.env.KAFKA_BROKERS && !process.env.KEEP_KAFKA && !inUse && fs.existsSync(ownedMarker(kafkaDataDir))) {
    say('stopping the local Kafka broker')
    stopKafka(kafkaEnv)
    fs.rmSync(ownedMarker(kafkaDataDir), { force: true })
  }
  process.exit(exitCode ?? 0)
}

for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'])
  process.on(sig, () => {
    for (const c of children) c.kill(sig)
  })
startReplica(1)
if (replicas > 1) {
  // the first seeds the demo and creates the PKI the others read: they start once it serves
  if (await ready(basePort)) {
    for (let n = 2; n <= replicas; n++) startReplica(n)
    say(
      `${replicas} replicas: http://127.0.0.1:${basePort} … http://127.0.0.1:${basePort + replicas - 1} (one database, one set of topics and consumer groups, one payload directory)`,
    )
  }
}
