/**
 * One SQL interface over two engines: PostgreSQL through `pg` (DATABASE_URL) and PGlite, the embedded
 * PostgreSQL compiled to WASM (default for `npm start`). The same SQL runs on both; parameters are $1…$n.
 */
import crypto from 'node:crypto'
import { EventEmitter } from 'node:events'
import fs from 'node:fs'
import path from 'node:path'

export interface Sql {
  query<T = Record<string, unknown>>(text: string, params?: unknown[]): Promise<{ rows: T[]; rowCount: number }>
}

export interface Db extends Sql {
  readonly engine: 'postgres' | 'pglite'
  /** run several statements (migrations); no parameters */
  exec(text: string): Promise<void>
  /** run `fn` in one transaction; rolls back if it throws */
  tx<T>(fn: (q: Sql) => Promise<T>): Promise<T>
  /**
   * Messages among the processes on this database (replicas): PostgreSQL LISTEN/NOTIFY on a connection of
   * its own, re-established after a failure (`onReconnect` then runs: messages may have been missed); with
   * PGlite there is one process, so this process only.
   */
  listen(channel: string, onMessage: (payload: string) => void, onReconnect?: () => void): Promise<{ close(): Promise<void> }>
  /** sends `payload` to every listener of `channel`; inside `tx` it would wait for the commit, here it is at once */
  notify(channel: string, payload: string): Promise<void>
  close(): Promise<void>
}

/**
 * Statements and transactions this process has run on PostgreSQL: a round trip each (and a commit per
 * transaction), which is what a document's cost here was mostly made of (`lgsp_db_*_total` in /metrics;
 * the ingest bench divides them by the documents it sent).
 */
export const dbRoundTrips = { statements: 0, transactions: 0 }

/** The cheapest statement: whether the database answers (readiness). */
export async function ping(q: Sql): Promise<void> {
  await q.query('select 1')
}

export async function openDb(opts: { url: string; schema: string; dataDir: string }): Promise<Db> {
  return opts.url ? openPostgres(opts.url, opts.schema) : openPglite(path.join(opts.dataDir, 'pglite'), opts.schema)
}

const statementNames = new Map<string, string>()
/** Each connection keeps what it prepared: texts built from operator filters must not grow that for ever. */
const MAX_PREPARED = 400
const named = (text: string) => {
  const name = statementName(text)
  return name ? { name } : {}
}
/** A stable name for a statement text (at most 63 bytes: PostgreSQL's NAMEDATALEN); none past the cap. */
function statementName(text: string): string | undefined {
  let name = statementNames.get(text)
  if (!name) {
    if (statementNames.size >= MAX_PREPARED) return undefined
    name = `lgsp_${crypto.createHash('sha256').update(text).digest('hex').slice(0, 24)}`
    statementNames.set(text, name)
  }
  return name
}

async function openPostgres(url: string, schema: string): Promise<Db> {
  const pg = (await import('pg')).default
  // search_path is set per connection, so every statement lands in this gateway's schema; JIT compilation
  // is off: it pays off for long analytical queries, and the ledger's are short lookups whose estimates
  // on a grown table can still cross jit_above_cost and then cost milliseconds of compiling each time
  const pool = new pg.Pool({ connectionString: url, max: 10, options: `-c search_path=${schema} -c jit=off` })
  pool.on('error', () => {
    /* idle-client errors surface on the next query */
  })
  await pool.query(`create schema if not exists ${schema}`)
  // A statement with parameters is prepared once per connection under a name derived from its text, and
  // later executions skip parsing and planning (the extended protocol's named statements): a document
  // costs some seventy statements, and PostgreSQL's CPU per statement was mostly parse and plan. Texts are
  // fixed strings in store/*.ts, so the names are few; search_path is fixed per connection, so a cached
  // plan always means the same tables (a migration's DDL invalidates it, as PostgreSQL does by itself).
  const wrap = (c: { query: (q: { text: string; values?: unknown[]; name?: string }) => Promise<{ rows: unknown[]; rowCount: number | null }> }): Sql => ({
    async query<T>(text: string, params?: unknown[]) {
      dbRoundTrips.statements++
      const r = await c.query(params === undefined ? { text } : { text, values: params, ...named(text) })
      return { rows: r.rows as T[], rowCount: r.rowCount ?? 0 }
    },
  })
  const base = wrap(pool)
  return {
    engine: 'postgres',
    query: base.query,
    async exec(text) {
      await pool.query(text)
    },
    async tx(fn) {
      const client = await pool.connect()
      // A checked-out client is ours to watch: a backend ended under it (pg_terminate_backend, a failover)
      // emits 'error' on the client, and an 'error' event nobody listens to ends the process. The statement
      // in flight rejects anyway; the broken connection is then destroyed instead of going back to the pool.
      let lost = false
      const onLost = () => {
        lost = true
      }
      client.on('error', onLost)
      dbRoundTrips.transactions++
      try {
        await client.query('begin')
        const out = await fn(wrap(client))
        await client.query('commit')
        return out
      } catch (e) {
        if (!lost) await client.query('rollback').catch(() => {})
        throw e
      } finally {
        client.off('error', onLost)
        client.release(lost)
      }
    },
    listen: (channel, onMessage, onReconnect) => listenPostgres(url, channel, onMessage, onReconnect),
    async notify(channel, payload) {
      await pool.query('select pg_notify($1, $2)', [channel, payload])
    },
    async close() {
      await pool.end()
    },
  }
}

/** One dedicated connection per listener; reconnects with backoff (a terminated backend, a restart). */
async function listenPostgres(url: string, channel: string, onMessage: (payload: string) => void, onReconnect?: () => void) {
  const pg = (await import('pg')).default
  let closed = false
  let client: InstanceType<typeof pg.Client> | null = null
  let delay = 200
  const connect = async (): Promise<void> => {
    const c = new pg.Client({ connectionString: url })
    c.on('notification', (m) => {
      if (m.channel === channel && m.payload !== undefined) onMessage(m.payload)
    })
    c.on('error', () => {
      /* 'end' follows */
    })
    c.on('end', () => {
      if (!closed) setTimeout(() => void retry(), delay).unref()
    })
    await c.connect()
    await c.query(`listen "${channel.replace(/"/g, '')}"`)
    client = c
    delay = 200
  }
  const retry = async () => {
    if (closed) return
    try {
      await connect()
      onReconnect?.()
    } catch {
      delay = Math.min(delay * 2, 5000)
      setTimeout(() => void retry(), delay).unref()
    }
  }
  await connect()
  return {
    async close() {
      closed = true
      await client?.end().catch(() => {})
    },
  }
}

async function openPglite(dir: string, schema: string): Promise<Db> {
  fs.mkdirSync(dir, { recursive: true })
  const { PGlite } = await import('@electric-sql/pglite')
  const db = await PGlite.create(dir)
  await db.exec(`create schema if not exists ${schema}; set search_path to ${schema}`)
  const wrap = (c: { query: (t: string, p?: unknown[]) => Promise<{ rows: unknown[]; affectedRows?: number }> }): Sql => ({
    async query<T>(text: string, params?: unknown[]) {
      const r = await c.query(text, params)
      return { rows: r.rows as T[], rowCount: r.affectedRows ?? r.rows.length }
    },
  })
  const base = wrap(db)
  const local = new EventEmitter() // one process owns a PGlite directory: its listeners are all here
  return {
    engine: 'pglite',
    query: base.query,
    async exec(text) {
      await db.exec(text)
    },
    async tx(fn) {
      return db.transaction(async (t) => fn(wrap(t)))
    },
    async listen(channel, onMessage) {
      const fn = (p: string) => onMessage(p)
      local.on(channel, fn)
      return {
        async close() {
          local.off(channel, fn)
        },
      }
    },
    async notify(channel, payload) {
      local.emit(channel, payload)
    },
    async close() {
      await db.close()
    },
  }
}
