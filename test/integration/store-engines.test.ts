// The same migrations and the same SQL run on both engines: PGlite (embedded, `npm start`) and
// PostgreSQL (DATABASE_URL). Each engine gets the same ledger round-trip, including idempotent replays.
import t, { type Test } from 'tap'
import crypto from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import pg from 'pg'
import { openDb, type Db } from '../../src/store/db.ts'
import { migrate } from '../../src/store/migrate.ts'
import { upsertAgencies, listAgencies } from '../../src/store/directory-repo.ts'
import { findPrincipal, saveClient } from '../../src/store/clients-repo.ts'
import {
  claimOrphan,
  markAccepted,
  recordEvent,
  recordEvents,
  recordEventsWith,
  ReservationDroppedError,
  reserveDocument,
  timelines,
  dropPending,
  getDocument,
} from '../../src/store/ledger-repo.ts'
import { inboxRow, listInbox } from '../../src/store/inbox-repo.ts'
import { statusRow } from '../../src/store/status-inbox-repo.ts'
import { demoAgencies } from '../../src/demo/directory.ts'
import { TEST_DATABASE_URL } from '../helpers/gateway.ts'

async function roundTrip(t: Test, db: Db) {
  const applied = await migrate(db)
  t.ok(applied.length >= 1, `migrations applied: ${applied.join(', ')}`)
  t.same(await migrate(db), [], 'a second run applies nothing')

  await upsertAgencies(db, demoAgencies())
  await upsertAgencies(db, demoAgencies()) // upsert twice: still 8
  t.equal((await listAgencies(db)).length, 8)

  const key = await saveClient(db, { id: 'c1', name: 'QLVB xã', role: 'client', organIds: ['000.21.30.H41'] })
  const who = await findPrincipal(db, key)
  t.same(who && [...who.principal.organIds], ['000.21.30.H41'])
  t.equal(who?.until, null, 'a current key has no overlap end')
  t.equal(await findPrincipal(db, key + 'x'), null, 'a wrong key finds nobody')

  const id = crypto.randomUUID()
  const d = {
    id,
    from: '000.21.30.H41',
    documentId: 'D-1',
    sha256: 'a'.repeat(64),
    size: 10,
    contentType: 'application/xml',
    blobKey: 'a'.repeat(64),
    subject: 'Báo cáo',
    recipients: [{ organId: '000.00.00.H41', tier: 'province' as const }],
    clientId: 'c1',
  }
  const r1 = await db.tx((q) => reserveDocument(q, d))
  t.match(r1, { reserved: true, lease: /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+/ }, 'the lease with its microseconds')
  const twin = await db.tx((q) => reserveDocument(q, { ...d, id: crypto.randomUUID() }))
  t.equal(twin.reserved, false, 'the same (From, DocumentId) cannot be reserved twice')
  t.equal(!twin.reserved && twin.existing.id, id)

  const at = new Date().toISOString()
  await db.tx((q) =>
    markAccepted(q, id, { id, documentId: 'D-1', sha256: d.sha256, acceptedAt: at, recipients: [{ organId: '000.00.00.H41', tier: 'province', status: 'ACCEPTED' }] }),
  )
  t.equal(await recordEvent(db, { eventKey: `${id}:x:ROUTED`, id, recipient: '000.00.00.H41', status: 'ROUTED', at }), true)
  t.equal(await recordEvent(db, { eventKey: `${id}:x:ROUTED`, id, recipient: '000.00.00.H41', status: 'ROUTED', at }), false, 'a replayed event is ignored')
  t.equal(await recordEvent(db, { eventKey: `${id}:y`, id, recipient: '000.00.00.G22', status: 'ROUTED', at }), false, 'no event for a non-recipient')
  // what the inbox adapter writes: the row and DELIVERED in one statement
  const delivered = { eventKey: `${id}:x:DELIVERED`, id, recipient: '000.00.00.H41', status: 'DELIVERED', at }
  t.same(await recordEventsWith(db, [delivered], inboxRow(id, '000.00.00.H41')), { fresh: [true], alongside: 1 })
  t.same(await recordEventsWith(db, [delivered], inboxRow(id, '000.00.00.H41')), { fresh: [false], alongside: 0 }, 'a replayed delivery adds nothing')
  t.equal((await listInbox(db, ['000.00.00.H41'], { includeAcked: false, limit: 10 })).length, 1)
  const tl = await timelines(db, id)
  t.same(
    tl.map((r) => [r.organId, r.status, r.timeline.map((e) => e.status)]),
    [['000.00.00.H41', 'DELIVERED', ['ACCEPTED', 'ROUTED', 'DELIVERED']]],
  )
  // what the receipts projection writes for a status with a package: the event and the status-inbox row in
  // one statement; a status about no leg of the document writes neither
  const status = (recipient: string) => ({ eventKey: `${id}:${recipient}:01`, id, recipient, status: '01', at, moveStatus: false })
  const row = (recipient: string) =>
    statusRow({
      eventKey: `${id}:${recipient}:01`,
      documentUuid: id,
      addressee: 'D-1-sender',
      recipient,
      from: recipient,
      statusCode: '01',
      description: null,
      at,
      statusBlob: 'b'.repeat(64),
      contentType: 'application/xml',
      outOfOrder: false,
      signature: null,
    })
  t.same(await recordEventsWith(db, [status('000.00.00.H41')], row('000.00.00.H41')), { fresh: [true], alongside: 1 })
  t.same(await recordEventsWith(db, [status('000.00.00.H41')], row('000.00.00.H41')), { fresh: [false], alongside: 0 }, 'a replayed status adds no second row')
  t.same(await recordEventsWith(db, [status('000.00.00.G22')], row('000.00.00.G22')), { fresh: [false], alongside: 0 }, 'no row for a status about no leg')
  t.equal(Number((await db.query<{ n: string }>('select count(*) as n from status_inbox where document_uuid = $1', [id])).rows[0]!.n), 1)

  // several events in one statement: each new one moves its own leg, unless it says not to
  const id2 = crypto.randomUUID()
  const legs = [
    { organId: '000.00.00.H41', tier: 'province' as const },
    { organId: '000.00.00.G22', tier: 'central' as const },
  ]
  t.match(await db.tx((q) => reserveDocument(q, { ...d, id: id2, documentId: 'D-2', recipients: legs, viaPeer: 'https://peer.example', promulgated: '2026/12/01' })), {
    reserved: true,
  })
  t.match(
    await getDocument(db, id2),
    { via_peer: 'https://peer.example', promulgated: '2026/12/01', recipients: ['000.00.00.H41', '000.00.00.G22'] },
    'provenance is written with the reservation',
  )
  const two = [
    { eventKey: `${id2}:a`, id: id2, recipient: '000.00.00.H41', status: 'ROUTED', at, detail: { topic: 't "quoted", {braced}' } },
    { eventKey: `${id2}:b`, id: id2, recipient: '000.00.00.G22', status: '05', at, moveStatus: false },
  ]
  t.same(await recordEvents(db, two), [true, true])
  t.same(
    await recordEvents(db, [...two, { eventKey: `${id2}:c`, id: id2, recipient: '000.00.00.X99', status: 'ROUTED', at }]),
    [false, false, false],
    'replays and a non-recipient add nothing',
  )
  const tl2 = await timelines(db, id2)
  t.same(
    tl2.map((r) => [r.organId, r.status, r.timeline.map((e) => e.status)]),
    [
      ['000.00.00.H41', 'ROUTED', ['ROUTED']],
      ['000.00.00.G22', 'PENDING', ['05']],
    ],
  )
  t.same(tl2[0]!.timeline[0]!.detail, { topic: 't "quoted", {braced}' }, 'a detail survives the array round trip')
  await t.rejects(recordEvents(db, [two[0]!, { ...two[0]!, eventKey: `${id2}:d` }]), /same leg/, 'two events may not both move one leg')

  await dropPending(db, id, r1.reserved ? r1.lease : '')
  t.ok(await getDocument(db, id), 'an accepted document is never dropped')

  // a reservation is dropped only by the holder of its current lease: a request whose Kafka write was
  // refused after a resend had claimed the row and published it again leaves the row to the resend
  const id3 = crypto.randomUUID()
  const r3 = await reserveDocument(db, { ...d, id: id3, documentId: 'D-3' })
  if (!r3.reserved) throw new Error('D-3 not reserved')
  t.equal(await claimOrphan(db, id3), null, 'a current lease cannot be claimed')
  await db.query(`update documents set claimed_until = now() - interval '1 second' where id = $1`, [id3])
  const taken = await claimOrphan(db, id3)
  t.ok(taken, 'a lease that ran out is claimed')
  t.not(taken, r3.lease)
  await dropPending(db, id3, r3.lease)
  t.ok(await getDocument(db, id3), 'the first holder, whose lease was taken over, cannot drop the row')
  await dropPending(db, id3, taken!)
  t.equal(await getDocument(db, id3), null, 'the current holder can')
  await t.rejects(
    markAccepted(db, id3, { id: id3, documentId: 'D-3', sha256: d.sha256, acceptedAt: at, recipients: [] }),
    ReservationDroppedError,
    'accepting a dropped reservation fails: no answer is given for a row that is gone',
  )
  await t.rejects(
    db.tx(async (q) => {
      await q.query(`insert into clients (id, name, key_hash, role) values ('c2', 'x', 'h', 'client')`)
      throw new Error('boom')
    }),
    /boom/,
  )
  t.equal((await db.query(`select 1 from clients where id = 'c2'`)).rows.length, 0, 'a failed transaction leaves nothing')
}

t.test('PGlite (embedded)', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lgsp-pglite-'))
  const db = await openDb({ url: '', schema: 'public', dataDir: dir })
  t.teardown(async () => {
    await db.close()
    fs.rmSync(dir, { recursive: true, force: true })
  })
  t.equal(db.engine, 'pglite')
  await roundTrip(t, db)
})

t.test('PostgreSQL', async (t) => {
  const schema = `t_store_${crypto.randomBytes(3).toString('hex')}`
  const db = await openDb({ url: TEST_DATABASE_URL, schema, dataDir: '' })
  t.teardown(async () => {
    await db.close()
    const c = new pg.Client({ connectionString: TEST_DATABASE_URL })
    await c.connect()
    await c.query(`drop schema ${schema} cascade`)
    await c.end()
  })
  t.equal(db.engine, 'postgres')
  await roundTrip(t, db)
})
