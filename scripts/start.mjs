#!/usr/bin/env node
// `npm start`: the whole demo on one machine. Starts Kafka locally (unless KAFKA_BROKERS), then the
// gateway with the embedded database (PGlite under .data, unless DATABASE_URL), the demo directory and
// demo keys, on http://127.0.0.1:8080 (PORT to change). Ctrl-C or `npm stop` (another terminal) stops the
// gateway and the broker it started.
//
// One gateway per data directory: a second `npm start` on the same DATA_DIR refuses and names the first
// one's pid. After a SIGKILL or a closed terminal the next start reclaims the stale lock and reuses the
// broker, which runs in its own session and survives its terminal.
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { ROOT, dataDirOf, ensureKafka, kafkaDataDirOf, lockModule, ownedMarker, say, stopKafka } from './lib.mjs'

const dataDir = dataDirOf()
const kafkaDataDir = kafkaDataDirOf()
const { readLock, isAlive, lockPath } = await lockModule()

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

const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/main.ts'), '--demo'], {
  cwd: ROOT, stdio: 'inherit', // the demo runs on one machine, so a newcomer's webhook receiver is on loopback
  env: {
    ...process.env, DATA_DIR: dataDir, KAFKA_BROKERS: kafka.brokers,
    WEBHOOK_ALLOW_PRIVATE: process.env.WEBHOOK_ALLOW_PRIVATE ?? 'true', KAFKAJS_NO_PARTITIONER_WARNING: '1',
    // the demo's push receivers run on this machine too (a production deployment lists its private hosts)
    OUTBOUND_ALLOW_PRIVATE: process.env.OUTBOUND_ALLOW_PRIVATE ?? '127.0.0.1,localhost,::1',
  },
})
const forward = (sig) => () => child.kill(sig)
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, forward(sig))
child.on('exit', (code, signal) => {
  // never stop a broker another live gateway uses: exit 3 = the data directory was taken by a concurrent start
  const other = readLock(dataDir)
  const inUse = code === 3 || (other && other.pid !== child.pid && isAlive(other))
  if (!process.env.KAFKA_BROKERS && !process.env.KEEP_KAFKA && !inUse && fs.existsSync(ownedMarker(kafkaDataDir))) {
    say('stopping the local Kafka broker')
    stopKafka(kafkaEnv)
    fs.rmSync(ownedMarker(kafkaDataDir), { force: true })
  }
  process.exit(code ?? (signal ? 1 : 0))
})
