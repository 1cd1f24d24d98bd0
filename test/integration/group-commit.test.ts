/**
 * Group commit on real PostgreSQL: concurrent writes share transactions, every caller hears about its own
 * write only after it committed, and a write that fails is retried alone, so it fails only its own caller.
 */
import t from 'tap'
import crypto from 'node:crypto'
import pg from 'pg'
import { openDb } from '../../src/store/db.ts'
import { groupCommit } from '../../src/store/group-commit.ts'
import { TEST_DATABASE_URL } from '../helpers/gateway.ts'

t.test('writes share transactions; a bad one fails alone', async (t) => {
  const schema = `gc_${crypto.randomBytes(4).toString('hex')}`
  const db = await openDb({ url: TEST_DATABASE_URL, schema, dataDir: '' })
  t.teardown(async () => {
    await db.close()
    const c = new pg.Client({ connectionString: TEST_DATABASE_URL })
    await c.connect()
    await c.query(`drop schema if exists ${schema} cascade`)
    await c.end()
  })
  await db.exec('create table t (n int primary key check (n <> 13), txid bigint not null)')
  let calls = 0
  const write = groupCommit(db, async (q, n: number) => {
    calls++
    await q.query('insert into t (n, txid) values ($1, txid_current())', [n])
    return n * 2
  })
  // forty good writes at once: they share transactions
  const good = Array.from({ length: 40 }, (_, i) => 100 + i)
  t.same(
    await Promise.all(good.map((n) => write(n))),
    good.map((n) => n * 2),
    'each caller gets its own answer',
  )
  const rows = (await db.query<{ n: number; txid: string }>('select n, txid from t order by n')).rows
  t.same(
    rows.map((r) => r.n),
    good,
    'all committed',
  )
  const txs = new Set(rows.map((r) => r.txid)).size
  t.ok(txs < rows.length / 2, `writes shared transactions (${rows.length} writes in ${txs})`)

  // a round with one write the table refuses
  calls = 0
  const ns = Array.from({ length: 20 }, (_, i) => i)
  const results = await Promise.allSettled(ns.map((n) => write(n)))
  t.same(
    results.filter((r) => r.status === 'fulfilled').map((r) => (r as PromiseFulfilledResult<number>).value),
    ns.filter((n) => n !== 13).map((n) => n * 2),
    'the others get their answers',
  )
  const bad = results[13]
  t.equal(bad.status, 'rejected', 'the refused write fails')
  t.match(String((bad as PromiseRejectedResult).reason), /check constraint/, 'with its own error')
  const after = (await db.query<{ n: number }>('select n from t where n < 100 order by n')).rows
  t.same(
    after.map((r) => r.n),
    ns.filter((n) => n !== 13),
    'every other write of that round committed',
  )
  t.ok(calls > ns.length, 'the batch with the bad write was retried write by write')
})
