#!/usr/bin/env node
// `npm stop` (from any terminal): stops the gateway that holds DATA_DIR (SIGTERM, then SIGKILL after
// SHUTDOWN_TIMEOUT_MS + 5 s) and the broker `npm start` started for it. A broker started otherwise
// (`npm run kafka:start`, KAFKA_BROKERS) is left alone.
import fs from 'node:fs'
import { dataDirOf, kafkaDataDirOf, lockModule, ownedMarker, say, stopKafka } from './lib.mjs'

const dataDir = dataDirOf()
const kafkaDataDir = kafkaDataDirOf()
const { readLock, isAlive } = await lockModule()
const sleep = (ms) => new Promise((r) => setTimeout(r, ms))
/** a signal to a process that may have exited since it was last seen alive (ESRCH is that, not an error) */
const signal = (pid, sig) => {
  try {
    process.kill(pid, sig)
  } catch (e) {
    if (e.code !== 'ESRCH') throw e
  }
}

const holder = readLock(dataDir)
if (holder && isAlive(holder)) {
  say(`stopping the gateway pid ${holder.pid} (SIGTERM) …`)
  signal(holder.pid, 'SIGTERM')
  const deadline = Date.now() + Number(process.env.SHUTDOWN_TIMEOUT_MS || 10000) + 5000
  while (isAlive(holder) && Date.now() < deadline) await sleep(100)
  if (isAlive(holder)) {
    say(`pid ${holder.pid} is still running: SIGKILL`)
    signal(holder.pid, 'SIGKILL')
    await sleep(300)
  }
  say('gateway stopped')
} else {
  say(`no gateway is running on ${dataDir}`)
}

if (process.env.KAFKA_BROKERS) {
  say(`KAFKA_BROKERS is set: the cluster ${process.env.KAFKA_BROKERS} is not ours to stop`)
} else if (fs.existsSync(ownedMarker(kafkaDataDir))) {
  stopKafka({ KAFKA_DATA_DIR: kafkaDataDir }) // serialised with start.sh and with `npm start`'s own stop by a flock
  fs.rmSync(ownedMarker(kafkaDataDir), { force: true })
} else if (fs.existsSync(`${kafkaDataDir}/kafka.pid`)) {
  say(`the broker in ${kafkaDataDir} was not started by \`npm start\`; \`npm run kafka:stop\` stops it`)
}
