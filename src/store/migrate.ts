/** Applies src/store/migrations/NNN_name.sql in order, each once, each in its own transaction. */
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Db } from './db.ts'

const DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'migrations')

export async function migrate(db: Db): Promise<string[]> {
  await db.exec('create table if not exists schema_migrations (version text primary key, applied_at timestamptz not null default now())')
  const done = new Set((await db.query<{ version: string }>('select version from schema_migrations')).rows.map((r) => r.version))
  const applied: string[] = []
  for (const file of fs
    .readdirSync(DIR)
    .filter((f) => /^\d+_.*\.sql$/.test(f))
    .sort()) {
    if (done.has(file)) continue
    const sql = fs.readFileSync(path.join(DIR, file), 'utf8')
    await db.tx(async (q) => {
      // statements are separated by lines holding only "--;" so they can run through a parameterised API
      for (const stmt of sql
        .split(/^--;\s*$/m)
        .map((s) => s.trim())
        .filter(Boolean))
        await q.query(stmt)
      await q.query('insert into schema_migrations (version) values ($1)', [file])
    })
    applied.push(file)
  }
  return applied
}

/** Migrations not applied yet (read only: the gateway applies them at start-up). */
export async function pendingMigrations(db: Db): Promise<string[]> {
  const has = (await db.query<{ t: string | null }>("select to_regclass('schema_migrations')::text as t")).rows[0]?.t
  const done = new Set(has ? (await db.query<{ version: string }>('select version from schema_migrations')).rows.map((r) => r.version) : [])
  return fs
    .readdirSync(DIR)
    .filter((f) => /^\d+_.*\.sql$/.test(f))
    .sort()
    .filter((f) => !done.has(f))
}
