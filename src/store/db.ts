/**
 * One SQL interface over two engines: PostgreSQL through `pg` (DATABASE_URL) and PGlite, the embedded
 * PostgreSQL compiled to WASM (default for `npm start`). The same SQL runs on both; parameters are $1…$n.
 */
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
  close(): Promise<void>
}

export async function openDb(opts: { url: string; schema: string; dataDir: string }): Promise<Db> {
  return opts.url ? openPostgres(opts.url, opts.schema) : openPglite(path.join(opts.dataDir, 'pglite'), opts.schema)
}

async function openPostgres(url: string, schema: string): Promise<Db> {
  const pg = (await import('pg')).default
  // search_path is set per connection, so every statement lands in this gateway's schema
  const pool = new pg.Pool({ connectionString: url, max: 10, options: `-c search_path=${schema}` })
  pool.on('error', () => { /* idle-client errors surface on the next query */ })
  await pool.query(`create schema if not exists ${schema}`)
  const wrap = (c: { query: (t: string, p?: unknown[]) => Promise<{ rows: unknown[]; rowCount: number | null }> }): Sql => ({
    async query<T>(text: string, params?: unknown[]) {
      const r = await c.query(text, params)
      return { rows: r.rows as T[], rowCount: r.rowCount ?? 0 }
    },
  })
  const base = wrap(pool)
  return {
    engine: 'postgres',
    query: base.query,
    async exec(text) { await pool.query(text) },
    async tx(fn) {
      const client = await pool.connect()
      try {
        await client.query('begin')
        const out = await fn(wrap(client))
        await client.query('commit')
        return out
      } catch (e) {
        await client.query('rollback').catch(() => {})
        throw e
      } finally {
        client.release()
      }
    },
    async close() { await pool.end() },
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
  return {
    engine: 'pglite',
    query: base.query,
    async exec(text) { await db.exec(text) },
    async tx(fn) { return db.transaction(async (t) => fn(wrap(t))) },
    async close() { await db.close() },
  }
}
