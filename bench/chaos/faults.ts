/**
 * The faults of the chaos run, each a real event on a real process: a broker killed (kill -9) and started
 * again 15 s later, a replica killed and restarted 15 s later, the object store stopped for 15 s, the
 * gateways' PostgreSQL sessions terminated (only theirs: the server is shared), a broker frozen with
 * SIGSTOP for 20 s (a hung machine that keeps its TCP connections open) and thawed. 15 s is OUTAGE_MS, the
 * outage of `npm run chaos`; the suite's short run passes a shorter one.
 */
import type pg from 'pg'
import type { KafkaCluster, ObjectStore } from './infrastructure.ts'
import type { Replicas } from './replicas.ts'
import { sleep } from './traffic.ts'

export const FAULTS = ['broker-kill', 'replica-kill', 'object-store-stop', 'db-sessions-killed', 'broker-freeze'] as const
export type Fault = (typeof FAULTS)[number]

export interface FaultTargets {
  cluster: KafkaCluster
  store: ObjectStore
  replicas: Replicas
  admin: pg.Pool
  log: (s: string) => void
  /** how long a broker, a replica or the object store stays down (a frozen broker: a third longer) */
  outageMs: number
}

/** the outage of `npm run chaos`: long enough for clients' timeouts and Kafka's session timeouts to fire */
export const OUTAGE_MS = 15_000

/** One outage: `down`, then `up` after `ms`, each step logged with how long the whole took. */
async function outage(log: (s: string) => void, what: string, ms: number, down: () => unknown, up: () => unknown): Promise<void> {
  const t0 = Date.now()
  await down()
  log(`fault: ${what} down`)
  await sleep(ms)
  await up()
  log(`fault: ${what} back after ${((Date.now() - t0) / 1000).toFixed(1)} s`)
}

export async function inject(f: Fault, t: FaultTargets): Promise<void> {
  switch (f) {
    case 'broker-kill':
      return outage(
        t.log,
        'broker 1 (kill -9; back = registered again)',
        t.outageMs,
        () => t.cluster.kill(1),
        () => t.cluster.restart(1),
      )
    case 'replica-kill':
      return outage(
        t.log,
        'replica 2 (kill -9; back = serving HTTP)',
        t.outageMs,
        () => t.replicas.kill(1),
        () => t.replicas.start(1),
      )
    case 'object-store-stop':
      return outage(
        t.log,
        'object store (stopped)',
        t.outageMs,
        () => t.store.stop(),
        () => t.store.start(),
      )
    case 'broker-freeze':
      return outage(
        t.log,
        'broker 2 (SIGSTOP, then SIGCONT)',
        Math.round((t.outageMs * 4) / 3),
        () => t.cluster.freeze(2),
        () => t.cluster.thaw(2),
      )
    case 'db-sessions-killed': {
      const n = await t.replicas.terminateDatabaseSessions(t.admin)
      t.log(`fault: ${n} PostgreSQL sessions of the gateways terminated (pg_terminate_backend)`)
    }
  }
}

export function parseFaults(v: string): Fault[] {
  const list = v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
  for (const f of list) if (!(FAULTS as readonly string[]).includes(f)) throw new Error(`unknown fault ${f}; known: ${FAULTS.join(', ')}`)
  return list as Fault[]
}
