/**
 * POST /v1/status end to end, through real Kafka, PostgreSQL and HTTP: a 03 from a recipient
 * shows in the sender's timeline; re-posting it answers the same and adds nothing; a 03 from a
 * non-recipient is 403 STATUS_NOT_ALLOWED and nothing reaches Kafka; a 13 (recall) from the sender goes
 * onto every recipient's timeline; the JSON form of a status is accepted too.
 */
import t from 'tap'
import { eventually, fixture, jwsAs, recordCount, startGateway, type TestGateway } from '../helpers/gateway.ts'
import { buildStatusXml, xmlToModel } from '../../src/schemas/index.ts'

const COMMUNE = '000.21.30.H41'
const PROVINCE = '000.00.00.H41'
const VPCP = '000.00.00.G22'
const MIC = '000.00.00.G14' // in the directory, not a recipient
const DOC_ID = '000.21.30.H41,2026/11/23,125/UBND-VP'

const status = (from: string, code: string, opts: { documentId?: string; responseFor?: string; at?: Date } = {}) =>
  buildStatusXml({
    from: { organId: from, organName: `Cơ quan ${from}` },
    responseFor: { organId: opts.responseFor ?? COMMUNE, documentId: opts.documentId ?? DOC_ID, code: '125/UBND-VP', promulgationDate: '2026/11/23' },
    statusCode: code,
    description: `Trạng thái ${code}`,
    timestamp: opts.at ?? new Date('2026-11-23T03:30:00Z'),
    staff: { department: 'Văn thư', staff: 'Trần Thị B' },
  })

type View = { recipients: { organId: string; timeline: { status: string }[] }[] }
const timelineOf = async (gw: TestGateway, id: string, organId: string) => {
  const v = (await (await gw.call(COMMUNE, 'GET', `/v1/documents/${id}`)).json()) as View
  return v.recipients.find((r) => r.organId === organId)!.timeline.map((e) => e.status)
}

async function sendDemo(gw: TestGateway): Promise<string> {
  const r = await gw.call(COMMUNE, 'POST', '/v1/documents', await gw.sign(COMMUNE, fixture('demo/commune-to-province.edxml')))
  t.equal(r.status, 202, 'document accepted')
  const { id } = (await r.json()) as { id: string }
  for (const who of [PROVINCE, VPCP]) {
    await eventually(async () => ((await (await gw.call(who, 'GET', '/v1/inbox')).json()) as { items: unknown[] }).items.length > 0, 30_000, `${who} inbox`)
  }
  return id
}

t.test('a 03 from a recipient reaches the sender; a non-recipient is refused and nothing reaches Kafka', async (t) => {
  const gw = await startGateway(t)
  const id = await sendDemo(gw)

  // refusals first: none of them may produce a Kafka record
  const before = await recordCount(gw.rt.topics.all)
  const problem = async (who: string, body: string | Buffer, status: number, code: string, type = 'application/xml') => {
    const r = await gw.call(who, 'POST', '/v1/status', body, { 'content-type': type })
    t.equal(r.status, status, `${code}: HTTP ${status}`)
    t.match(r.headers.get('content-type'), /application\/problem\+json/)
    t.equal(((await r.json()) as { code: string }).code, code)
  }
  await problem(MIC, await gw.sign(MIC, status(MIC, '03')), 403, 'STATUS_NOT_ALLOWED') // a 03 from a non-recipient
  await problem(PROVINCE, await gw.sign(PROVINCE, status(PROVINCE, '13')), 403, 'STATUS_NOT_ALLOWED') // only the sender recalls
  await problem(COMMUNE, await gw.sign(COMMUNE, status(COMMUNE, '03')), 403, 'STATUS_NOT_ALLOWED') // the sender does not "process" its own document
  await problem(PROVINCE, await gw.sign(PROVINCE, status(PROVINCE, '09')), 403, 'STATUS_NOT_ALLOWED') // not a code a recipient may send
  await problem(PROVINCE, await gw.sign(VPCP, status(VPCP, '03')), 403, 'SENDER_NOT_ALLOWED') // From is not one of the caller's OrganIds
  await problem(PROVINCE, await gw.sign(PROVINCE, status(PROVINCE, '03', { documentId: `${COMMUNE},2026/11/23,999/UBND-VP` })), 404, 'DOCUMENT_NOT_FOUND')
  await problem(PROVINCE, await gw.sign(PROVINCE, status(PROVINCE, '03', { responseFor: VPCP })), 404, 'DOCUMENT_NOT_FOUND')
  await problem(PROVINCE, fixture('demo/commune-to-province.edxml').toString(), 400, 'BAD_REQUEST') // a document, not a status
  await problem(PROVINCE, status(PROVINCE, '03').replace('<edXML:StatusCode>03', '<edXML:StatusCode>3'), 422, 'EDXML_SCHEMA_INVALID')
  await problem(PROVINCE, 'status=03', 415, 'UNSUPPORTED_MEDIA_TYPE', 'application/x-www-form-urlencoded')
  t.equal((await gw.call(null, 'POST', '/v1/status', status(PROVINCE, '03'))).status, 401)
  t.equal(await recordCount(gw.rt.topics.all), before, 'no refused status reached Kafka')

  // the 03 from a recipient
  const pkg = await gw.sign(PROVINCE, status(PROVINCE, '03'))
  const r = await gw.call(PROVINCE, 'POST', '/v1/status', pkg)
  t.equal(r.status, 202, 'accepted once Kafka confirmed')
  const answer = (await r.json()) as Record<string, unknown>
  t.match(answer, { id, documentId: DOC_ID, documentFrom: COMMUNE, from: PROVINCE, statusCode: '03', role: 'recipient', recipients: [PROVINCE], at: '2026-11-23T03:30:00.000Z' })
  t.match(answer.sha256, /^[0-9a-f]{64}$/)
  t.equal(await recordCount(gw.rt.topics.all), before + 1, 'one record on receipts')
  await eventually(async () => (await timelineOf(gw, id, PROVINCE)).includes('03'), 30_000, "03 in the sender's timeline")
  t.notOk((await timelineOf(gw, id, VPCP)).includes('03'), "not in the other recipient's")

  // re-posting the identical package: same answer, nothing new in the timeline
  const again = await gw.call(PROVINCE, 'POST', '/v1/status', pkg)
  t.equal(again.status, 202)
  t.same(await again.json(), answer, 'the same answer')
  await new Promise((res) => setTimeout(res, 1500))
  t.equal((await timelineOf(gw, id, PROVINCE)).filter((s) => s === '03').length, 1, 'one 03 event, not two')

  // the JSON form of a status
  const json = { ...xmlToModel(status(VPCP, '05', { at: new Date('2026-11-23T04:00:00Z') })) }
  const rj = await gw.call(VPCP, 'POST', '/v1/status', JSON.stringify(await jwsAs(VPCP, JSON.stringify(json))), { 'content-type': 'application/json' })
  t.equal(rj.status, 202, 'JSON-form status accepted')
  t.match(await rj.json(), { statusCode: '05', from: VPCP, recipients: [VPCP] })
  await eventually(async () => (await timelineOf(gw, id, VPCP)).includes('05'), 30_000, '05 from the JSON form in the timeline')
})

t.test("a 13 (recall) from the sender goes onto every recipient's timeline", async (t) => {
  const gw = await startGateway(t)
  const id = await sendDemo(gw)
  const r = await gw.call(COMMUNE, 'POST', '/v1/status', await gw.sign(COMMUNE, status(COMMUNE, '13')))
  t.equal(r.status, 202)
  t.match(await r.json(), { id, statusCode: '13', role: 'sender', from: COMMUNE, recipients: [PROVINCE, VPCP] })
  for (const who of [PROVINCE, VPCP]) {
    await eventually(async () => (await timelineOf(gw, id, who)).includes('13'), 30_000, `13 on ${who}'s timeline`)
  }
  t.pass('recall recorded for both recipients')
})
