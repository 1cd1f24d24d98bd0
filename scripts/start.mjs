#!/usr/bin/env node
// `npm start`: the whole demo on one machine. Starts Kafka locally (unless KAFKA_BROKERS), then the
// gateway with the embedded database (PGlite under .data, unless DATABASE_URL), the demo directory and
// demo keys, on http://127.0.0.1:8080 (PORT to change). Ctrl-C stops the gateway and the broker it started.
import { spawn } from 'node:child_process'
import path from 'node:path'
import { ROOT, ensureKafka, say, stopKafka } from './lib.mjs'

const kafka = ensureKafka()
const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/main.ts'), '--demo'], {
  cwd: ROOT, stdio: 'inherit', // the demo runs on one machine, so a newcomer's webhook receiver is on loopback (#6)
  env: { ...process.env, KAFKA_BROKERS: kafka.brokers, WEBHOOK_ALLOW_PRIVATE: process.env.WEBHOOK_ALLOW_PRIVATE ?? 'true' },
})
const forward = (sig) => () => child.kill(sig)
process.on('SIGINT', forward('SIGINT'))
process.on('SIGTERM', forward('SIGTERM'))
child.on('exit', (code) => {
  if (kafka.started && !process.env.KEEP_KAFKA) { say('stopping the local Kafka broker'); stopKafka() }
  process.exit(code ?? 0)
})
