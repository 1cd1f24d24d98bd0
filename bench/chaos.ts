/**
 * `npm run chaos`: documents flow through two gateway replicas on a 3-broker Kafka cluster, an object store
 * and PostgreSQL while a broker is killed, a replica is killed, the object store is stopped, the gateways'
 * database sessions are terminated and a broker is frozen — then it counts (bench/chaos/run.ts). Progress
 * and method on stderr; the last stdout line is the RESULT line.
 *
 * Env: CHAOS_DOCS (10000), CHAOS_RATE (documents/s, 15), CHAOS_SENDERS (4, at most 8), CHAOS_INFLIGHT (2 per
 * sender), CHAOS_FAULTS (all, in this order: broker-kill,replica-kill,object-store-stop,db-sessions-killed,
 * broker-freeze), CHAOS_DRAIN_MS (600000), KAFKA_CLUSTER_PORT_BASE (26192: brokers on 26192, 26292, 26392 — below the ephemeral port range, so no outgoing connection holds one),
 * CHAOS_SEND_MS (0 = none: stop issuing after this long and count what was sent, for a time-boxed run),
 * CHAOS_DATABASE_URL (TEST_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/test),
 * CHAOS_LOG_LEVEL (the gateways' pino level, error).
 */
import { TEST_DATABASE_URL } from '../test/helpers/gateway.ts'
import { FAULTS, parseFaults } from './chaos/faults.ts'
import { runChaos } from './chaos/run.ts'
import { resultLine } from './chaos/tally.ts'

const env = process.env
const num = (name: string, def: number) => {
  const v = Number(env[name] ?? def)
  if (!Number.isFinite(v) || v <= 0) throw new Error(`${name} must be a positive number`)
  return v
}

const { result } = await runChaos({
  docs: num('CHAOS_DOCS', 10_000),
  rate: num('CHAOS_RATE', 15),
  senders: Math.min(8, num('CHAOS_SENDERS', 4)),
  inflight: num('CHAOS_INFLIGHT', 2),
  faults: parseFaults(env.CHAOS_FAULTS ?? FAULTS.join(',')),
  kafkaPortBase: num('KAFKA_CLUSTER_PORT_BASE', 26192),
  databaseUrl: env.CHAOS_DATABASE_URL ?? TEST_DATABASE_URL,
  drainMs: num('CHAOS_DRAIN_MS', 600_000),
  sendMs: Number(env.CHAOS_SEND_MS ?? 0),
  gatewayLogLevel: env.CHAOS_LOG_LEVEL ?? 'error',
  log: (line) => process.stderr.write(`${line}\n`),
})
process.stdout.write(`${resultLine(result)}\n`)
process.exit(0)
