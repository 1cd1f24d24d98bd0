/**
 * The edXML status lifecycle is checked (QCVN 102:2016 status codes, SPEC-NOTES §2.2): by default a 15/16
 * with no recall (13) pending and a status whose Timestamp is before the document reached the gateway are
 * refused with 409 STATUS_OUT_OF_ORDER, and nothing reaches Kafka; with STATUS_ORDER_POLICY=flag they are
 * recorded, flagged with the reason on the timeline, and never become the current status; with
 * STATUS_ORDER_POLICY=refuse any out-of-order step is refused.
 */
import t from 'tap'
import { eventually, fixture, recordCount, startGateway, type TestGateway } from '../helpers/gateway.ts'
import { buildStatusXml } from '../../src/schemas/index.ts'

const COMMUNE = '000.21.30.H41'
const PROVINCE = '000.00.00.H41'
const DOC_ID = '000.21.30.H41,2026/11/23,125/UBND-VP'

const status = (from: string, code: string, at = new Date()) =>
  buildStatusXml({
    from: { organId: from, organName: from },
    responseFor: { organId: COMMUNE, documentId: DOC_ID },
    statusCode: code,
    description: `Trạng thái ${code}`,
    timestamp: at,
  })
type Leg = { organId: string; status: string; timeline: { status: string; outOfOrder?: boolean; detail?: { reason?: string } }[] }
const leg = async (gw: TestGateway, id: string) =>
  ((await (await gw.call(COMMUNE, 'GET', `/v1/documents/${id}`)).json()) as { recipients: Leg[] }).recipients.find((r) => r.organId === PROVINCE)!

async function sendDoc(gw: TestGateway) {
  const r = await gw.call(COMMUNE, 'POST', '/v1/documents', await gw.sign(COMMUNE, fixture('demo/commune-to-province.edxml')))
  const { id } = (await r.json()) as { id: string }
  await eventually(async () => (await leg(gw, id)).status === 'DELIVERED', 30_000, 'delivered')
  return id
}
const post = async (gw: TestGateway, who: string, body: string) => {
  const r = await gw.call(who, 'POST', '/v1/status', await gw.sign(who, body))
  return { status: r.status, code: ((await r.json()) as { code?: string }).code }
}
const YEARS_AGO = new Date('2019-03-01T02:00:00Z')

t.test('default: impossible statuses are refused, late ones flagged', async (t) => {
  const gw = await startGateway(t)
  const id = await sendDoc(gw)
  const before = await recordCount(gw.rt.topics.all)
  t.same(await post(gw, PROVINCE, status(PROVINCE, '15')), { status: 409, code: 'STATUS_OUT_OF_ORDER' }, 'a 15 with no recall')
  t.same(await post(gw, PROVINCE, status(PROVINCE, '16')), { status: 409, code: 'STATUS_OUT_OF_ORDER' }, 'a 16 with no recall')
  t.same(await post(gw, PROVINCE, status(PROVINCE, '06', YEARS_AGO)), { status: 409, code: 'STATUS_OUT_OF_ORDER' }, 'a 06 dated years before the document')
  t.equal(await recordCount(gw.rt.topics.all), before, 'nothing reached Kafka')
  t.equal((await post(gw, PROVINCE, status(PROVINCE, '06'))).status, 202, 'a 06 now')
  await eventually(async () => (await leg(gw, id)).status === '06', 30_000, '06 current')
  t.equal((await post(gw, PROVINCE, status(PROVINCE, '04'))).status, 202, 'a 04 after 06: a late arrival, accepted')
  const l = await eventually(
    async () => {
      const x = await leg(gw, id)
      return x.timeline.some((e) => e.status === '04') ? x : null
    },
    30_000,
    '04 recorded',
  )
  t.equal(l.status, '06', 'the 04 does not become the current status')
  t.ok(l.timeline.find((e) => e.status === '04')?.outOfOrder, 'the 04 is flagged')
  t.equal((await post(gw, COMMUNE, status(COMMUNE, '13'))).status, 202, 'a recall')
  await eventually(async () => (await leg(gw, id)).timeline.some((e) => e.status === '13'), 30_000, '13 recorded')
})

t.test('STATUS_ORDER_POLICY=flag: recorded, flagged with the reason, never current', async (t) => {
  const gw = await startGateway(t, { statusOrderPolicy: 'flag' })
  const id = await sendDoc(gw)
  t.equal((await post(gw, PROVINCE, status(PROVINCE, '03'))).status, 202)
  t.equal((await post(gw, PROVINCE, status(PROVINCE, '15'))).status, 202, 'a 15 with no recall: accepted under flag')
  t.equal((await post(gw, PROVINCE, status(PROVINCE, '06', YEARS_AGO))).status, 202, 'a 06 from years ago: accepted under flag')
  const l = await eventually(
    async () => {
      const x = await leg(gw, id)
      return x.timeline.filter((e) => /^(15|06)$/.test(e.status)).length === 2 ? x : null
    },
    30_000,
    'both recorded',
  )
  t.equal(l.status, '03', 'neither becomes the current status')
  t.match(
    l.timeline.find((e) => e.status === '15'),
    { outOfOrder: true, detail: { reason: /no recall/ } },
    '15 flagged: no recall',
  )
  t.match(
    l.timeline.find((e) => e.status === '06'),
    { outOfOrder: true, detail: { reason: /before the document existed/ } },
    '06 flagged: before the document',
  )
})

t.test('STATUS_ORDER_POLICY=refuse: any out-of-order step is refused', async (t) => {
  const gw = await startGateway(t, { statusOrderPolicy: 'refuse' })
  const id = await sendDoc(gw)
  t.equal((await post(gw, PROVINCE, status(PROVINCE, '06'))).status, 202)
  await eventually(async () => (await leg(gw, id)).status === '06', 30_000, '06 current')
  t.same(await post(gw, PROVINCE, status(PROVINCE, '04')), { status: 409, code: 'STATUS_OUT_OF_ORDER' }, 'a 04 after 06')
  const again = await gw.call(PROVINCE, 'POST', '/v1/status', await gw.sign(PROVINCE, status(PROVINCE, '06').replace('Trạng thái 06', 'Hoàn thành lần hai')))
  t.equal(again.status, 409, 'a second, different 06 after 06 is out of order too')
})
