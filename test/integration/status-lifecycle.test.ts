/**
 * The full status lifecycle 01→03→04→05→06 and a recall 13→15 are visible in the sender's
 * timeline and in the status inboxes, in order, with codes and Vietnamese labels. Statuses go in through
 * POST /v1/status (src/receipts/submit-status.ts) as edXML status packages; the 01s are the gateway's own,
 * built by inbox acks. Also: out-of-order statuses are recorded and flagged, the sender's document list
 * (filters, cursor paging), and status-inbox acks. Real Kafka, real PostgreSQL.
 */
import t from 'tap'
import { eventually, fixture, startGateway, type TestGateway } from '../helpers/gateway.ts'
import { buildStatusXml } from '../../src/schemas/envelope.ts'

const COMMUNE = '000.21.30.H41'
const PROVINCE = '000.00.00.H41'
const VPCP = '000.00.00.G22'

type Event = { status: string; kind: string; label: string | null; outOfOrder?: boolean; detail?: { description?: string; reason?: string } }
type View = { recipients: { organId: string; status: string; label: string | null; timeline: Event[] }[] }
type Item = {
  id: string
  seq: number
  documentUuid: string
  recipient: string
  from: string
  to: string
  statusCode: string
  label: string
  description: string | null
  outOfOrder: boolean
  edxml: string
}

const doc = (n: number) => fixture('demo/commune-to-province.edxml').toString('utf8').replaceAll('125/UBND-VP', `${n}/UBND-VP`)
const docId = (n: number) => `000.21.30.H41,2026/11/23,${n}/UBND-VP`

async function send(gw: TestGateway, n: number) {
  const r = await gw.call(COMMUNE, 'POST', '/v1/documents', await gw.sign(COMMUNE, doc(n)))
  if (r.status !== 202) throw new Error(`POST /v1/documents: ${r.status}`)
  return ((await r.json()) as { id: string }).id
}

async function ack(gw: TestGateway, who: string, id: string) {
  const item = await eventually(
    async () => {
      const r = (await (await gw.call(who, 'GET', '/v1/inbox')).json()) as { items: { id: string; documentUuid: string }[] }
      return r.items.find((i) => i.documentUuid === id)
    },
    30_000,
    `${who}'s inbox`,
  )
  const a = await gw.call(who, 'POST', `/v1/inbox/${item.id}/ack`)
  if (a.status !== 202) throw new Error(`ack: ${a.status}`)
}

async function status(gw: TestGateway, who: string, n: number, code: string, description: string) {
  const xml = buildStatusXml({
    from: { organId: who, organName: who },
    responseFor: { organId: COMMUNE, documentId: docId(n) },
    statusCode: code,
    description,
    timestamp: new Date(),
  })
  const r = await gw.call(who, 'POST', '/v1/status', await gw.sign(who, xml))
  if (r.status !== 202) throw new Error(`POST /v1/status ${code}: ${r.status} ${await r.text()}`)
}

const view = async (gw: TestGateway, id: string) => (await (await gw.call(COMMUNE, 'GET', `/v1/documents/${id}`)).json()) as View
const leg = (v: View, o: string) => v.recipients.find((r) => r.organId === o)!
const statuses = (e: Event[]) => e.map((x) => x.status)
const inbox = async (gw: TestGateway, who: string, q = '') => (await (await gw.call(who, 'GET', `/v1/status-inbox${q}`)).json()) as { items: Item[]; nextAfter: number | null }

t.test('lifecycle 01→03→04→05→06 and recall 13→15 in the timeline and the status inboxes, in order', async (t) => {
  const gw = await startGateway(t)
  const a = await send(gw, 701)
  await ack(gw, PROVINCE, a)
  await ack(gw, VPCP, a)
  await eventually(async () => leg(await view(gw, a), PROVINCE).status === '01' && leg(await view(gw, a), VPCP).status === '01', 30_000, '01 on both legs')
  const steps: [string, string][] = [
    ['03', 'Vào sổ văn bản đến'],
    ['04', 'Lãnh đạo: Phân công xử lý'],
    ['05', 'Đang xử lý văn bản đến'],
    ['06', 'Hoàn thành xử lý'],
  ]
  for (const [code, d] of steps) await status(gw, PROVINCE, 701, code, d)

  const v = await eventually(
    async () => {
      const x = await view(gw, a)
      return leg(x, PROVINCE).status === '06' ? x : null
    },
    30_000,
    '06 on the province leg',
  )
  const p = leg(v, PROVINCE)
  t.same(statuses(p.timeline), ['ACCEPTED', 'ROUTED', 'DELIVERED', '01', '03', '04', '05', '06'], 'the timeline in order')
  t.same(
    p.timeline.filter((e) => e.kind === 'business').map((e) => e.label),
    ['Đã đến', 'Đã tiếp nhận', 'Phân công xử lý', 'Đang xử lý', 'Hoàn thành'],
    'each with its label',
  )
  t.equal(p.timeline.find((e) => e.status === 'DELIVERED')!.label, 'Đã chuyển đến đơn vị nhận', 'gateway states are labelled too')
  t.equal(p.label, 'Hoàn thành')
  t.equal(p.timeline.at(-1)!.detail?.description, 'Hoàn thành xử lý', 'the package Description is kept')
  t.notOk(
    p.timeline.some((e) => e.outOfOrder),
    'nothing flagged',
  )

  // the sender's status inbox: every package about its document, in arrival order, with the package itself
  const si = (await inbox(gw, COMMUNE, `?document=${a}`)).items
  t.same(
    si.filter((i) => i.recipient === PROVINCE).map((i) => i.statusCode),
    ['01', '03', '04', '05', '06'],
  )
  t.same(
    si.map((i) => i.seq),
    [...si.map((i) => i.seq)].sort((x, y) => x - y),
    'in arrival order',
  )
  t.ok(
    si.every((i) => i.to === COMMUNE && i.edxml.includes(`<edXML:StatusCode>${i.statusCode}</edXML:StatusCode>`)),
    'each item carries its edXML package',
  )
  t.equal(si.find((i) => i.statusCode === '05')!.label, 'Đang xử lý')
  t.equal(si.find((i) => i.statusCode === '01' && i.recipient === VPCP)!.from, VPCP, "the gateway's own 01 (inbox ack) is there too")
  const raw = await gw.call(COMMUNE, 'GET', `/v1/status-inbox/${si[0]!.id}`)
  t.match(raw.headers.get('content-type'), /application\/xml/)
  t.equal(await raw.text(), si[0]!.edxml)
  t.equal((await gw.call(VPCP, 'GET', `/v1/status-inbox/${si[0]!.id}`)).status, 404, "another agency cannot read the sender's status inbox")

  // recall: the sender asks for document B back; the central government agrees (15), the province refuses (16)
  const b = await send(gw, 702)
  await ack(gw, PROVINCE, b)
  await ack(gw, VPCP, b)
  await eventually(async () => (await view(gw, b)).recipients.every((r) => r.status === '01'), 30_000, '01s on document B')
  await status(gw, COMMUNE, 702, '13', 'Văn thư yêu cầu lấy lại văn bản điện tử: sai số ký hiệu')
  // the recall reaches each recipient's status inbox; each answers it
  for (const who of [VPCP, PROVINCE]) {
    const r = await eventually(async () => (await inbox(gw, who, `?document=${b}`)).items.find((i) => i.statusCode === '13'), 30_000, `13 in ${who}'s status inbox`)
    t.match(r, { from: COMMUNE, to: who, recipient: who, label: 'Yêu cầu lấy lại' })
  }
  await status(gw, VPCP, 702, '15', 'Văn thư đồng ý yêu cầu cập nhật, lấy lại')
  await status(gw, PROVINCE, 702, '16', 'Văn thư từ chối yêu cầu cập nhật, lấy lại')
  const vb = await eventually(
    async () => {
      const x = await view(gw, b)
      return leg(x, VPCP).status === '15' && leg(x, PROVINCE).status === '16' ? x : null
    },
    30_000,
    '15 and 16',
  )
  t.same(statuses(leg(vb, VPCP).timeline), ['ACCEPTED', 'ROUTED', 'DELIVERED', '01', '13', '15'], 'recall 13→15 on the timeline, in order')
  t.same(statuses(leg(vb, PROVINCE).timeline), ['ACCEPTED', 'ROUTED', 'DELIVERED', '01', '13', '16'])
  t.equal(leg(vb, VPCP).label, 'Đồng ý cập nhật, lấy lại')
  const sb = (await inbox(gw, COMMUNE, `?document=${b}`)).items
  t.same(
    sb.filter((i) => i.recipient === VPCP).map((i) => i.statusCode),
    ['01', '15'],
    "the sender's status inbox: the recipient's answers (the 13 went to the recipients)",
  )
  t.ok(
    sb.every((i) => i.statusCode !== '13'),
    'the sender does not get its own recall back',
  )

  // ack: the item leaves the default view, stays in ?all=true
  const first = si[0]!
  const ackd = await gw.call(COMMUNE, 'POST', `/v1/status-inbox/${first.id}/ack`)
  t.equal(ackd.status, 200)
  const again = (await (await gw.call(COMMUNE, 'POST', `/v1/status-inbox/${first.id}/ack`)).json()) as { ackedAt: string }
  t.equal(again.ackedAt, ((await ackd.json()) as { ackedAt: string }).ackedAt, 'acking twice answers the same')
  t.notOk((await inbox(gw, COMMUNE)).items.some((i) => i.id === first.id))
  t.ok((await inbox(gw, COMMUNE, '?all=true')).items.some((i) => i.id === first.id))
  // cursor paging over the status inbox
  const page1 = await inbox(gw, COMMUNE, '?all=true&limit=3')
  t.equal(page1.items.length, 3)
  const page2 = await inbox(gw, COMMUNE, `?all=true&limit=3&after=${page1.nextAfter}`)
  t.ok(page2.items[0]!.seq > page1.items[2]!.seq, 'the next page starts after the cursor')
})

t.test('out-of-order statuses are recorded, flagged, and do not move the current status', async (t) => {
  const gw = await startGateway(t)
  const c = await send(gw, 801)
  await eventually(async () => (await view(gw, c)).recipients.every((r) => r.status === 'DELIVERED'), 30_000, 'delivered')
  await status(gw, PROVINCE, 801, '05', 'Đang xử lý văn bản đến')
  await status(gw, PROVINCE, 801, '03', 'Tiếp nhận (gửi muộn)') // 03 after 05
  await status(gw, PROVINCE, 801, '06', 'Hoàn thành')
  await status(gw, PROVINCE, 801, '04', 'Phân công (sau khi đã hoàn thành)') // anything after 06
  const v = await eventually(
    async () => {
      const x = await view(gw, c)
      return leg(x, PROVINCE).timeline.length >= 7 ? x : null
    },
    30_000,
    'four statuses',
  )
  const p = leg(v, PROVINCE)
  t.same(statuses(p.timeline), ['ACCEPTED', 'ROUTED', 'DELIVERED', '05', '03', '06', '04'], 'every status recorded, in arrival order, none lost')
  t.same(
    p.timeline.filter((e) => e.outOfOrder).map((e) => e.status),
    ['03', '04'],
    'the late 03 and the 04 after 06 are flagged',
  )
  t.match(p.timeline.find((e) => e.status === '03')!.detail?.reason, /03 after 05/)
  t.equal(p.status, '06', 'the current status stays the last in-order one')
  const si = (await inbox(gw, COMMUNE, `?document=${c}`)).items
  t.same(
    si.map((i) => [i.statusCode, i.outOfOrder]),
    [
      ['05', false],
      ['03', true],
      ['06', false],
      ['04', true],
    ],
    'flagged in the status inbox too',
  )
  // a status nobody may send for this document is refused before it reaches Kafka
  const xml = buildStatusXml({ from: { organId: VPCP }, responseFor: { organId: COMMUNE, documentId: docId(801) }, statusCode: '13', description: 'x', timestamp: new Date() })
  const r = await gw.call(VPCP, 'POST', '/v1/status', await gw.sign(VPCP, xml))
  t.equal(r.status, 403)
  t.equal(((await r.json()) as { code: string }).code, 'STATUS_NOT_ALLOWED')
})

t.test("the sender's document list: filters and cursor paging", async (t) => {
  const gw = await startGateway(t)
  const ids: string[] = []
  for (const n of [901, 902, 903, 904, 905]) ids.push(await send(gw, n))
  await ack(gw, PROVINCE, ids[1]!)
  await eventually(async () => leg(await view(gw, ids[1]!), PROVINCE).status === '01', 30_000, '01')
  type Page = { items: { id: string; recipients: { organId: string; status: string; label: string | null }[] }[]; nextCursor: string | null }
  const list = async (who: string, q: string) => (await (await gw.call(who, 'GET', `/v1/documents${q}`)).json()) as Page

  const all = await list(COMMUNE, '')
  t.same(
    all.items.map((d) => d.id),
    [...ids].reverse(),
    'newest first',
  )
  t.equal(all.nextCursor, null)
  const seen: string[] = []
  let cursor: string | null = ''
  let pages = 0
  while (cursor !== null) {
    const p: Page = await list(COMMUNE, `?limit=2${cursor ? `&cursor=${cursor}` : ''}`)
    seen.push(...p.items.map((d) => d.id))
    cursor = p.nextCursor
    pages++
  }
  t.equal(pages, 3)
  t.same(seen, [...ids].reverse(), 'paging visits each document once, in order')
  const with01 = await list(COMMUNE, '?status=01')
  t.same(
    with01.items.map((d) => d.id),
    [ids[1]],
    'status filter',
  )
  t.equal(with01.items[0]!.recipients.find((r) => r.organId === PROVINCE)!.label, 'Đã đến')
  t.same((await list(COMMUNE, `?status=01&recipient=${VPCP}`)).items, [], "status applies to the named recipient's leg")
  t.equal((await list(COMMUNE, `?recipient=${VPCP}`)).items.length, 5, 'recipient filter')
  t.same((await list(COMMUNE, `?since=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`)).items, [], 'since filter')
  t.same((await list(PROVINCE, '')).items, [], 'only documents the caller sent')
  t.equal((await gw.call(COMMUNE, 'GET', '/v1/documents?cursor=bogus')).status, 400)
})
