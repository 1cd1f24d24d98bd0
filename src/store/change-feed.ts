/**
 * What one replica changed that the others cache: each process keeps an immutable directory snapshot
 * (routing is a pure function of it) and a trust store in memory, so a change made through one replica
 * must reach the others. API keys and webhook subscriptions are cached too (src/store/generations.ts); their
 * notices come from triggers on their tables (migration 017), so a change made outside any gateway counts.
 * Carried by PostgreSQL LISTEN/NOTIFY rather than a compacted Kafka topic: the change is already a row in
 * PostgreSQL, the notice needs no retention (a process that starts, or reconnects, reads the table anyway),
 * and it arrives in milliseconds without a consumer group per process. One channel per database; the
 * payload names the schema, so gateways sharing a server stay apart.
 */
import crypto from 'node:crypto'
import type { Logger } from 'pino'
import type { Db } from './db.ts'

export type ChangeKind = 'directory' | 'trust' | 'clients' | 'webhooks'

const CHANNEL = 'lgsp_changes'

export interface ChangeFeed {
  /** tells the other replicas to re-read what `kind` names (this process has already) */
  announce(kind: ChangeKind): Promise<void>
  close(): Promise<void>
}

export async function startChangeFeed(db: Db, schema: string, log: Logger, reload: Record<ChangeKind, () => Promise<void>>): Promise<ChangeFeed> {
  const origin = crypto.randomUUID()
  const run = (kind: ChangeKind, why: string) =>
    reload[kind]().then(
      () => log.debug({ kind, why }, 'reloaded after a change elsewhere'),
      (err) => log.error({ err, kind }, 'could not reload after a change elsewhere'),
    )
  const sub = await db.listen(
    CHANNEL,
    (payload) => {
      let m: { schema?: string; kind?: ChangeKind; origin?: string }
      try {
        m = JSON.parse(payload)
      } catch {
        return
      }
      if (m.schema !== schema || m.origin === origin || !m.kind || !(m.kind in reload)) return
      void run(m.kind, 'notified')
    },
    () => {
      // notices sent while the connection was down are lost: re-read everything once
      for (const kind of Object.keys(reload) as ChangeKind[]) void run(kind, 'listener reconnected')
    },
  )
  return {
    async announce(kind) {
      await db.notify(CHANNEL, JSON.stringify({ schema, kind, origin })).catch((err) => log.error({ err, kind }, 'could not announce a change to the other replicas'))
    },
    close: () => sub.close(),
  }
}
