#!/usr/bin/env node
// Wait until a Kafka broker answers admin requests (connect + describeCluster + listTopics).
//
//   node deploy/kafka/wait-ready.mjs [--brokers 127.0.0.1:9092] [--timeout 90] [--pid 1234] [--quiet]
//
// Env: KAFKA_BROKERS (comma separated; default 127.0.0.1:$KAFKA_PORT or 127.0.0.1:9092),
//      KAFKA_READY_TIMEOUT (seconds, default 90). Arguments win over env.
// --pid: give up at once if that process exits (the broker died while starting).
// --cluster-id: only a broker with this cluster id counts; any other one answering on the port
//   means a foreign broker owns it, and we give up at once.
// --min-brokers: for a cluster, wait until that many brokers are registered (default 1).
// Exit 0 when ready, 1 on timeout / dead pid / bad arguments.
import { Kafka, logLevel } from 'kafkajs'

function parseArgs(argv) {
  const out = {}
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(a)
    if (!m) {
      out._ = a
      continue
    }
    const [, key, inline] = m
    if (key === 'quiet') {
      out.quiet = true
      continue
    }
    out[key] = inline ?? argv[++i]
  }
  return out
}

const args = parseArgs(process.argv.slice(2))
const brokers = (args.brokers ?? process.env.KAFKA_BROKERS ?? `127.0.0.1:${process.env.KAFKA_PORT || 9092}`)
  .split(',')
  .map((s) => s.trim())
  .filter(Boolean)
const timeoutSec = Number(args.timeout ?? args._ ?? process.env.KAFKA_READY_TIMEOUT ?? 90)
const pid = args.pid ? Number(args.pid) : undefined
const quiet = Boolean(args.quiet)
const expectedClusterId = args['cluster-id'] || undefined
const minBrokers = Number(args['min-brokers'] ?? 1) // a cluster is ready when this many brokers are registered

if (!brokers.length || !Number.isFinite(timeoutSec) || timeoutSec <= 0 || (pid !== undefined && !Number.isInteger(pid))) {
  console.error('wait-ready: bad arguments (need --brokers host:port, --timeout seconds > 0, --pid integer)')
  process.exit(1)
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms))
const alive = (p) => {
  try {
    process.kill(p, 0)
    return true
  } catch (e) {
    return e.code === 'EPERM'
  }
}
const withTimeout = (promise, ms) => {
  let timer
  return Promise.race([
    promise,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`attempt timed out after ${ms} ms`)), ms)
    }),
  ]).finally(() => clearTimeout(timer))
}

const kafka = new Kafka({
  clientId: 'wait-ready',
  brokers,
  logLevel: logLevel.NOTHING,
  connectionTimeout: 1000,
  requestTimeout: 3000,
  retry: { retries: 0 },
})

const started = Date.now()
const deadline = started + timeoutSec * 1000
let lastError = 'no attempt made'
let attempts = 0

while (Date.now() < deadline) {
  if (pid !== undefined && !alive(pid)) {
    console.error(`wait-ready: process ${pid} exited before the broker became ready (last error: ${lastError})`)
    process.exit(1)
  }
  attempts++
  const admin = kafka.admin({ retry: { retries: 0 } })
  try {
    await withTimeout(
      (async () => {
        await admin.connect()
        const cluster = await admin.describeCluster()
        if (cluster.brokers.length < minBrokers)
          throw new Error(
            `${cluster.brokers.length} of ${minBrokers} brokers registered (node ids: ${
              cluster.brokers
                .map((b) => b.nodeId)
                .sort((a, b) => a - b)
                .join(',') || 'none'
            })`,
          )
        if (expectedClusterId && cluster.clusterId !== expectedClusterId) {
          const err = new Error(`the broker at ${brokers.join(',')} has cluster id ${cluster.clusterId}, not ${expectedClusterId}: another broker owns the port`)
          err.foreign = true
          throw err
        }
        await admin.listTopics()
      })(),
      Math.max(500, Math.min(5000, deadline - Date.now())),
    )
    await admin.disconnect().catch(() => {})
    if (!quiet) console.log(`wait-ready: ${brokers.join(',')} ready after ${((Date.now() - started) / 1000).toFixed(1)} s (${attempts} attempt(s))`)
    process.exit(0)
  } catch (err) {
    lastError = err?.message ?? String(err)
    await admin.disconnect().catch(() => {})
    if (err?.foreign) {
      console.error(`wait-ready: ${lastError}`)
      process.exit(1)
    }
  }
  await sleep(250)
}

console.error(`wait-ready: ${brokers.join(',')} not ready within ${timeoutSec} s (${attempts} attempt(s); last error: ${lastError})`)
process.exit(1)
