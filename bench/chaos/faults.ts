/**
 * The faults of the chaos run, each a real event on a real process: a broker killed (kill -9) and started
 * again 15 s later, a replica killed and restarted 15 s later, the object store stopped for 15 s, the
 * gateways' PostgreSQL sessions terminated (only theirs: the server is shared), a broker frozen with
 * SIGSTOP for 20 s (a hung machine that keeps its TCP connections open) and thawed.
 */
import type pg from 'pg'
import type { KafkaCluster, ObjectStore } from './infrastructure.ts'
import type { Replicas } from './replicas.ts'
import { sleep } from './traffic.ts'

export const FAULTS = ['broker-kill', 'replica-kill', 'object-store-stop', 'db-sessions-killed', 'broker-freeze'] as const
export type Fault = (typeof FAULTS)[number]

export interface FaultTargets { cluster: KafkaCluster; store: ObjectStore; replicas: Replicas; admin: pg.Pool; log: (s: string) => void }

const DOWN_MS = 15_000
const FROZEN_MS = 20_000

export async function inject(f: Fault, t: FaultTargets): Promise<void> {
  const t0 = Date.now()
  const since = () => `${((Date.now() - t0) / 1000).toFixed(1)} s`
  switch (f) {
    case 'broker-kill':
      await t.cluster.kill(1)
      t.log('fault: broker 1 killed (kill -9)')
      await sleep(DOWN_MS)
      await t.cluster.restart(1)
      t.log(`fault: broker 1 back and registered after ${since()}`)
      return
    case 'replica-kill':
      await t.replicas.kill(1)
      t.log('fault: replica 2 killed (kill -9)')
      await sleep(DOWN_MS)
      await t.replicas.start(1)
      t.log(`fault: replica 2 restarted and serving after ${since()}`)
      return
    case 'object-store-stop':
      await t.store.stop()
      t.log('fault: object store stopped')
      await sleep(DOWN_MS)
      await t.store.start()
      t.log(`fault: object store back after ${since()}`)
      return
    case 'db-sessions-killed': {
      const n = await t.replicas.terminateDatabaseSessions(t.admin)
      t.log(`fault: ${n} PostgreSQL sessions of the gateways terminated (pg_terminate_backend)`)
      return
    }
    case 'broker-freeze':
      t.cluster.freeze(2)
      t.log('fault: broker 2 frozen (SIGSTOP)')
      await sleep(FROZEN_MS)
      t.cluster.thaw(2)
      t.log(`fault: broker 2 thawed (SIGCONT) after ${since()}`)
      return
  }
}

export function parseFaults(v: string): Fault[] {
  const list = v.split(',').map((s) => s.trim()).filter(Boolean)
  for (const f of list) if (!(FAULTS as readonly string[]).includes(f)) throw new Error(`unknown fault ${f}; known: ${FAULTS.join(', ')}`)
  return list as Fault[]
}
