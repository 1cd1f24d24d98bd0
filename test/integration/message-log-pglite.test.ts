/**
 * Migration 006 and the message log on the embedded engine (PGlite), as `npm start` runs it: the same SQL,
 * the head-row lock, the chain and its verification.
 */
import t from 'tap'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { openDb } from '../../src/store/db.ts'
import { migrate } from '../../src/store/migrate.ts'
import { appendLog, listLog, logHead, logOperatorAction, verifyChain } from '../../src/store/message-log-repo.ts'

t.test('message log on PGlite: append, idempotent keys, verify, tamper', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lgsp-pglite-log-'))
  const db = await openDb({ url: '', schema: 'public', dataDir: dir })
  t.teardown(async () => {
    await db.close()
    fs.rmSync(dir, { recursive: true, force: true })
  })
  await migrate(db)
  for (let i = 0; i < 5; i++) {
    await db.tx((q) =>
      appendLog(q, {
        entryKey: `accept:${i}`,
        kind: 'document.accepted',
        at: new Date().toISOString(),
        sender: '000.21.30.H41',
        sha256: 'ab'.repeat(32),
        detail: { n: i, nested: { b: 1, a: [1, 2] } },
      }),
    )
  }
  t.equal(await db.tx((q) => appendLog(q, { entryKey: 'accept:2', kind: 'document.accepted', at: new Date().toISOString() })), null, 'a repeated entry key appends nothing')
  await db.tx((q) => logOperatorAction(q, { actor: 'demo:operator', action: 'dlq.replay', detail: { dlqItem: 'x' } }))
  const rows = await listLog(db, { limit: 100 })
  t.same(
    rows.map((r) => r.seq),
    [1, 2, 3, 4, 5, 6],
  )
  t.equal((await verifyChain(rows, await logHead(db))).ok, true)
  await db.query(`update message_log set at = at + interval '1 second' where seq = 3`)
  const bad = await verifyChain(await listLog(db, { limit: 100 }), await logHead(db))
  t.same(
    bad.problems.map((p) => [p.seq, p.problem]),
    [[3, 'altered']],
  )
})
