/**
 * Two replicas of one gateway: the same PostgreSQL schema, the same topics and consumer groups, the same
 * payload store. A directory change made through one is routed by the other within 2 s (LISTEN/NOTIFY,
 * src/store/change-feed.ts), and a document accepted by one is delivered and readable through the other.
 */
import t from 'tap'
import { eventually, fixture, privateTrustDir, startGateway } from '../helpers/gateway.ts'

t.test('a directory change through replica A routes on replica B within 2 s', async (t) => {
  const a = await startGateway(t)
  const b = await startGateway(t, { databaseSchema: a.rt.config.databaseSchema, topicPrefix: a.rt.config.topicPrefix, blobDir: a.rt.config.blobDir })
  const NEW = '000.24.30.H41'
  const key = (who: string) => b.creds[who]! // B seeded the shared schema last: its demo keys are the valid ones
  t.notOk(b.rt.directory().has(NEW), 'B does not know the commune yet')

  const put = await a.call(key('operator'), 'PUT', `/v1/agencies/${NEW}`, JSON.stringify({ name: 'UBND xã Quỳnh Lập', tier: 'commune' }), { 'content-type': 'application/json' })
  t.equal(put.status, 201)
  const t0 = Date.now()
  await eventually(async () => b.rt.directory().has(NEW), 2000, 'replica B sees the new agency')
  t.comment(`replica B reloaded its directory ${Date.now() - t0} ms after A's change`)

  // B routes by it: a document to the new commune, sent through B, is read through A
  const doc = await b.sign(
    '000.21.30.H41',
    fixture('demo/commune-to-province.edxml')
      .toString('utf8')
      .replace('<edXML:OrganId>000.00.00.H41</edXML:OrganId>', `<edXML:OrganId>${NEW}</edXML:OrganId>`)
      .replace('125/UBND-VP', '777/UBND-VP'),
  )
  const sent = await b.call(key('000.21.30.H41'), 'POST', '/v1/documents', doc)
  t.equal(sent.status, 202, 'B accepts a document for the agency A added')
  t.match(await sent.json(), { recipients: [{ organId: NEW, tier: 'commune' }, { organId: '000.00.00.G22' }] })

  const { saveClient } = await import('../../src/store/clients-repo.ts')
  const commune = await saveClient(a.rt.db, { id: 'qlvb:quynh-lap', name: 'QLVB xã Quỳnh Lập', role: 'client', organIds: [NEW] })
  const items = await eventually(
    async () => {
      const r = (await (await a.call(commune, 'GET', '/v1/inbox')).json()) as { items: { id: string }[] }
      return r.items.length ? r.items : null
    },
    30_000,
    "the new commune's inbox on A",
  )
  const bytes = Buffer.from(await (await a.call(commune, 'GET', `/v1/inbox/${items[0]!.id}`)).arrayBuffer())
  t.ok(bytes.equals(doc), 'the exact bytes, accepted by B, read through A')

  // and a removal travels the same way
  t.equal((await b.call(key('operator'), 'DELETE', `/v1/agencies/${NEW}`)).status, 204)
  await eventually(async () => !a.rt.directory().has(NEW), 2000, 'replica A sees the removal')
  t.pass('a removal through B reaches A')
})

t.test('a trust change through replica A is applied by replica B within 2 s, and back', async (t) => {
  // the trust journal reaches a replica through the change feed, not a consumer group: B, C and D serve
  // HTTP without workers
  // trust changes rewrite TRUST_DIR: each replica gets its own copy of the test PKI's (as each host of a
  // deployment has its own disk), and the shared one stays as every other test file expects it
  const a = await startGateway(t, { trustDir: await privateTrustDir(t) })
  const replica = async () =>
    startGateway(
      t,
      { databaseSchema: a.rt.config.databaseSchema, topicPrefix: a.rt.config.topicPrefix, blobDir: a.rt.config.blobDir, trustDir: await privateTrustDir(t) },
      { workers: false },
    )
  const b = await replica()
  const op = b.creds.operator!
  type Listing = { agencies: { fingerprint256: string; organId: string | null }[] }
  const agencies = async (g: typeof a) => ((await (await g.call(op, 'GET', '/v1/ops/trust')).json()) as Listing).agencies
  const cert = (await agencies(a)).find((x) => x.organId === '000.00.00.G22')
  if (!cert) throw new Error('the test PKI has no agency certificate for 000.00.00.G22')
  const pem = b.rt.signing.trust.agencies.get(cert.fingerprint256)!.cert.toString()

  t.equal((await a.call(op, 'DELETE', `/v1/ops/trust/agencies/${cert.fingerprint256}`)).status, 204, 'removed through A')
  const t0 = Date.now()
  await eventually(async () => !(await agencies(b)).some((x) => x.fingerprint256 === cert.fingerprint256), 2000, 'replica B no longer trusts it')
  t.comment(`replica B applied the removal ${Date.now() - t0} ms after A's change`)

  const added = await b.call(op, 'POST', '/v1/ops/trust/agencies?organId=000.00.00.G22', pem, { 'content-type': 'application/x-pem-file' })
  t.equal(added.status, 201, 'added again through B')
  await eventually(
    async () => (await agencies(a)).some((x) => x.fingerprint256 === cert.fingerprint256 && x.organId === '000.00.00.G22'),
    2000,
    'replica A trusts it again, bound to its agency',
  )
  t.pass('an addition through B reaches A')

  // a replica started later applies the journal on top of its TRUST_DIR
  const c = await replica()
  t.equal((await a.call(c.creds.operator!, 'DELETE', `/v1/ops/trust/agencies/${cert.fingerprint256}`)).status, 204) // C seeded the demo keys last
  await eventually(async () => !c.rt.signing.trust.agencies.has(cert.fingerprint256), 2000, 'replica C applies it too')
  const d = await replica()
  t.notOk(d.rt.signing.trust.agencies.has(cert.fingerprint256), 'a replica started after the removal does not trust the certificate its TRUST_DIR still holds')
})

t.test('a key revoked through replica A is refused by replica B, which had it cached', async (t) => {
  const a = await startGateway(t)
  // keys are forgotten through the change feed: B needs no consumers
  const b = await startGateway(t, { databaseSchema: a.rt.config.databaseSchema, topicPrefix: a.rt.config.topicPrefix, blobDir: a.rt.config.blobDir }, { workers: false })
  const { saveClient } = await import('../../src/store/clients-repo.ts')
  const key = await saveClient(a.rt.db, { id: 'qlvb:revoked-elsewhere', name: 'QLVB to revoke', role: 'client', organIds: ['000.21.30.H41'] })
  t.equal((await b.call(key, 'GET', '/v1/inbox')).status, 200, 'B knows the key (and now remembers it)')
  t.equal((await b.call(key, 'GET', '/v1/inbox')).status, 200, 'and serves it again')

  t.equal((await a.call(b.creds.operator!, 'POST', '/v1/ops/keys/qlvb:revoked-elsewhere/revoke')).status, 200, 'revoked through A')
  t.equal((await a.call(key, 'GET', '/v1/inbox')).status, 401, 'A refuses it with the very next request')
  const t0 = Date.now()
  await eventually(async () => (await b.call(key, 'GET', '/v1/inbox')).status === 401, 2000, 'B refuses it too')
  t.comment(`replica B refused the revoked key ${Date.now() - t0} ms after A's change`)

  // both replicas run in this test's process, so the revocation above also moved B's generation in memory;
  // a change made outside any gateway (psql, a script) reaches B only by the table's trigger and its notice
  const again = await saveClient(a.rt.db, { id: 'qlvb:revoked-elsewhere', name: 'QLVB to revoke', role: 'client', organIds: ['000.21.30.H41'] })
  t.equal((await b.call(again, 'GET', '/v1/inbox')).status, 200, 'B takes the new key')
  await a.rt.db.query(`update clients set disabled = true where id = 'qlvb:revoked-elsewhere'`)
  await eventually(async () => (await b.call(again, 'GET', '/v1/inbox')).status === 401, 2000, 'B refuses a key disabled by hand in the database')
})
