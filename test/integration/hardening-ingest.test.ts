/**
 * Nothing half-stored, and one answer for identical concurrent submissions, through real Kafka, PostgreSQL
 * and HTTP:
 *  - identifiers and text the ledger indexes are length-checked at validation (422 FIELD_TOO_LONG): no row,
 *    no blob, no Kafka record (a 3,000-character DocumentId used to reach the btree index and fail there,
 *    leaving the payload in the blob store);
 *  - a real failure injected after each step (ledger reservation, blob write, Kafka produce, acceptance)
 *    leaves no blob without its row, and a retry with the same bytes is accepted;
 *  - 20 identical POSTs at once produce exactly one Kafka record and 20 byte-identical answers.
 */
import t from 'tap'
import fs from 'node:fs'
import path from 'node:path'
import crypto from 'node:crypto'
import kafkajs from 'kafkajs'
import { eventually, fixture, kafkaAdmin, recordCount, startGateway, type TestGateway } from '../helpers/gateway.ts'

const COMMUNE = '000.21.30.H41'
const DOC_ID = '000.21.30.H41,2026/11/23,125/UBND-VP'
const base = fixture('demo/commune-to-province.edxml').toString('utf8')
const withDocumentId = (id: string) => base.replace(DOC_ID, id)

function blobFiles(gw: TestGateway): string[] {
  const out: string[] = []
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) e.isDirectory() ? walk(path.join(d, e.name)) : out.push(e.name)
  }
  walk(gw.rt.config.blobDir)
  return out.filter((f) => /^[0-9a-f]{64}$/.test(f))
}
const rows = async (gw: TestGateway, documentId: string) =>
  Number((await gw.rt.db.query<{ n: string }>('select count(*) as n from documents where document_id = $1', [documentId])).rows[0]!.n)
const sha = (s: string) => crypto.createHash('sha256').update(s).digest('hex')

t.test('over-long identifiers and text are refused at validation, nothing stored', async (t) => {
  const gw = await startGateway(t)
  const before = await recordCount(gw.rt.topics.all)
  const cases: [string, string, string][] = [
    ['a 3,000-character DocumentId', withDocumentId(`${COMMUNE},2026/11/23,1/${'9'.repeat(3000)}`), 'DocumentId'],
    ['a 300-character DocumentId of 4-byte characters', withDocumentId(`${COMMUNE},2026/11/23,1/${'𝔸'.repeat(300)}`), 'DocumentId'],
    ['a 5,000-character Subject', base.replace(/<edXML:Subject>[^<]*</, `<edXML:Subject>${'Đ'.repeat(5000)}<`), 'Subject'],
    ['a 1,000-character CodeNotation', base.replace('<edXML:CodeNotation>UBND-VP<', `<edXML:CodeNotation>${'X'.repeat(1000)}<`), 'Code/CodeNotation'],
  ]
  for (const [name, body, field] of cases) {
    const r = await gw.call(COMMUNE, 'POST', '/v1/documents', body)
    const p = (await r.json()) as { code: string; errors?: { path: string }[] }
    t.equal(r.status, 422, `${name}: 422`)
    t.equal(p.code, 'FIELD_TOO_LONG', `${name}: FIELD_TOO_LONG`)
    t.ok(
      p.errors?.some((e) => e.path === field),
      `${name}: names ${field}`,
    )
    t.notOk(blobFiles(gw).includes(sha(body)), `${name}: no blob`)
  }
  const n = Number((await gw.rt.db.query<{ n: string }>('select count(*) as n from documents')).rows[0]!.n)
  t.equal(n, 0, 'no document row')
  t.same(blobFiles(gw), [], 'the blob store is empty')
  t.equal(await recordCount(gw.rt.topics.all), before, 'nothing reached Kafka')
  // the JSON form goes through the same check
  const { modelToJson, xmlToModel } = await import('../../src/schemas/index.ts')
  const json = JSON.stringify(modelToJson(xmlToModel(base)))
  const r = await gw.call(COMMUNE, 'POST', '/v1/documents', json.replace(DOC_ID, `${COMMUNE},2026/11/23,1/${'1'.repeat(3000)}`), { 'content-type': 'application/json' })
  t.equal(((await r.json()) as { code: string }).code, 'FIELD_TOO_LONG', 'JSON form: FIELD_TOO_LONG')
})

t.test('a failure after each step leaves nothing half-stored, and a retry is accepted', async (t) => {
  const gw = await startGateway(t, { smallPayloadBytes: 0 }) // every payload a file: the filesystem store's failures
  const schema = gw.rt.config.databaseSchema
  const post = (body: string) => gw.call(COMMUNE, 'POST', '/v1/documents', body)
  const signed = async (documentId: string) => (await gw.sign(COMMUNE, withDocumentId(documentId))).toString('utf8')
  const failWith = async (sql: string) => gw.rt.db.exec(sql)
  const trigger = (table: string, when: string) => `
    create or replace function ${schema}.inject_failure() returns trigger language plpgsql as $$ begin raise exception 'injected failure'; end $$;
    create trigger inject_failure before ${when} on ${schema}.${table} for each row execute function ${schema}.inject_failure();`
  const untrigger = (table: string) => `drop trigger inject_failure on ${schema}.${table}`

  // 1 the ledger reservation fails (a deliveries row cannot be written)
  const b1 = await signed(`${COMMUNE},2026/11/23,1/FAIL-RESERVE`)
  await failWith(trigger('deliveries', 'insert'))
  const r1 = await post(b1)
  t.ok(r1.status >= 500, `reservation failure: ${r1.status}`)
  t.equal(await rows(gw, `${COMMUNE},2026/11/23,1/FAIL-RESERVE`), 0, 'reservation failure: no row')
  t.notOk(blobFiles(gw).includes(sha(b1)), 'reservation failure: no blob')
  await failWith(untrigger('deliveries'))

  // 2 the blob write fails (the shard directory cannot be created: a file sits where it belongs)
  const b2 = await signed(`${COMMUNE},2026/11/23,2/FAIL-BLOB`)
  const shard = path.join(gw.rt.config.blobDir, sha(b2).slice(0, 2))
  fs.rmSync(shard, { recursive: true, force: true })
  fs.writeFileSync(shard, 'in the way')
  const r2 = await post(b2)
  t.equal(r2.status, 503, 'blob failure: 503')
  t.equal(((await r2.json()) as { code: string }).code, 'STORE_UNAVAILABLE')
  t.equal(await rows(gw, `${COMMUNE},2026/11/23,2/FAIL-BLOB`), 0, 'blob failure: no row')
  fs.rmSync(shard)

  // 3 Kafka refuses the record (the documents topic accepts no record this large)
  const b3 = await signed(`${COMMUNE},2026/11/23,3/FAIL-KAFKA`)
  const admin = kafkaAdmin()
  await admin.connect()
  // a topic's config change reaches the partition's log asynchronously: wait until the broker reports it
  const topicConfig = async (value: string) => {
    const resource = { type: kafkajs.ConfigResourceTypes.TOPIC, name: gw.rt.topics.documents }
    await admin.alterConfigs({ validateOnly: false, resources: [{ ...resource, configEntries: [{ name: 'max.message.bytes', value }] }] })
    await eventually(
      async () => {
        const d = await admin.describeConfigs({ includeSynonyms: false, resources: [{ ...resource, configNames: ['max.message.bytes'] }] })
        return d.resources[0]?.configEntries.find((e) => e.configName === 'max.message.bytes')?.configValue === value
      },
      10_000,
      `max.message.bytes=${value} on the documents topic`,
    )
  }
  await topicConfig('64')
  const before3 = await recordCount([gw.rt.topics.documents])
  const r3 = await post(b3)
  t.equal(r3.status, 503, 'Kafka failure: 503')
  t.equal(((await r3.json()) as { code: string }).code, 'BUS_UNAVAILABLE')
  t.equal(await rows(gw, `${COMMUNE},2026/11/23,3/FAIL-KAFKA`), 0, 'Kafka failure: no row')
  t.notOk(blobFiles(gw).includes(sha(b3)), 'Kafka failure: the blob was removed with the reservation')
  t.equal(await recordCount([gw.rt.topics.documents]), before3, 'Kafka failure: no record')
  await topicConfig('1048588')
  await admin.disconnect()

  // 4 the acceptance (markAccepted) fails after Kafka confirmed: the blob stays (the record refers to it)
  const b4 = await signed(`${COMMUNE},2026/11/23,4/FAIL-ACCEPT`)
  await failWith(trigger('delivery_events', 'insert'))
  const r4 = await post(b4)
  t.ok(r4.status >= 500, `acceptance failure: ${r4.status}`)
  await failWith(untrigger('delivery_events'))
  t.ok(blobFiles(gw).includes(sha(b4)), 'acceptance failure: the blob the Kafka record refers to is kept')

  // every blob has its row
  const keys = new Set((await gw.rt.db.query<{ blob_key: string }>('select blob_key from documents')).rows.map((r) => r.blob_key))
  t.same(
    blobFiles(gw).filter((f) => !keys.has(f)),
    [],
    'no blob without a row',
  )

  // retries with the same bytes are accepted (4: the released lease lets the retry publish again at once)
  for (const [name, body] of [
    ['reserve', b1],
    ['blob', b2],
    ['kafka', b3],
    ['accept', b4],
  ]) {
    const r = await post(body)
    t.equal(r.status, 202, `retry after the ${name} failure: 202`)
  }
})

t.test('20 identical POSTs at once: one Kafka record, 20 byte-identical answers', async (t) => {
  const gw = await startGateway(t)
  const body = await gw.sign(COMMUNE, withDocumentId(`${COMMUNE},2026/11/23,20/CONCURRENT`))
  const before = await recordCount([gw.rt.topics.documents])
  const answers = await Promise.all(
    Array.from({ length: 20 }, async () => {
      const r = await gw.call(COMMUNE, 'POST', '/v1/documents', body)
      return { status: r.status, text: await r.text() }
    }),
  )
  t.same([...new Set(answers.map((a) => a.status))], [202], 'all 202')
  t.equal(new Set(answers.map((a) => a.text)).size, 1, 'byte-identical answers')
  t.equal(await recordCount([gw.rt.topics.documents]), before + 1, 'exactly one Kafka record')
  const list = (await (await gw.call(COMMUNE, 'GET', '/v1/documents')).json()) as { items: { acceptedAt: string }[] }
  t.equal(list.items[0]?.acceptedAt, (JSON.parse(answers[0]!.text) as { acceptedAt: string }).acceptedAt, 'the list shows the same acceptedAt')
})

t.test('a payload kept in the database: a failed write leaves no document, a retry is accepted', async (t) => {
  const gw = await startGateway(t) // SMALL_PAYLOAD_BYTES' default: this package is a row
  const schema = gw.rt.config.databaseSchema
  const body = (await gw.sign(COMMUNE, withDocumentId(`${COMMUNE},2026/11/23,5/FAIL-ROW`))).toString('utf8')
  await gw.rt.db.exec(`
    create or replace function ${schema}.inject_failure() returns trigger language plpgsql as $$ begin raise exception 'injected failure'; end $$;
    create trigger inject_failure before insert on ${schema}.payloads for each row execute function ${schema}.inject_failure();`)
  const r = await gw.call(COMMUNE, 'POST', '/v1/documents', body)
  t.equal(r.status, 503, 'the payload row cannot be written: 503')
  t.equal(((await r.json()) as { code: string }).code, 'STORE_UNAVAILABLE')
  t.equal(await rows(gw, `${COMMUNE},2026/11/23,5/FAIL-ROW`), 0, 'and no document row')
  await gw.rt.db.exec(`drop trigger inject_failure on ${schema}.payloads`)
  t.equal((await gw.call(COMMUNE, 'POST', '/v1/documents', body)).status, 202, 'the retry is accepted')
  const stored = await gw.rt.db.query<{ n: number }>('select count(*)::int as n from payloads where key = $1', [sha(body)])
  t.equal(stored.rows[0]?.n, 1, 'its payload is a row, named by its SHA-256')
  t.notOk(blobFiles(gw).includes(sha(body)), 'not a file')
})
