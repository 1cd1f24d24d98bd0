/**
 * Recall / update / replacement packages (BussinessDocType 1/2/3) go to the original
 * recipients, even when they list fewer, and may reuse the original's DocumentId (as the VPCP samples do).
 */
import t from 'tap'
import { eventually, fixture, startGateway } from '../helpers/gateway.ts'

const COMMUNE = '000.21.30.H41'
const PROVINCE = '000.00.00.H41'
const VPCP = '000.00.00.G22'

t.test('a recall reaches every original recipient', async (t) => {
  const gw = await startGateway(t)
  const original = fixture('demo/commune-to-province.edxml').toString('utf8')
  const first = await gw.call(COMMUNE, 'POST', '/v1/documents', await gw.sign(COMMUNE, original))
  t.equal(first.status, 202)

  // the recall lists only the province, keeps the DocumentId, and says "thu hồi" (type 1)
  const recall = (
    await gw.sign(
      COMMUNE,
      original
        .replace(/<edXML:To>\s*<edXML:OrganId>000\.00\.00\.G22<\/edXML:OrganId>[\s\S]*?<\/edXML:To>\s*/, '')
        .replace('<edXML:BussinessDocType>0</edXML:BussinessDocType>', '<edXML:BussinessDocType>1</edXML:BussinessDocType>')
        .replace('Văn bản điện tử mới', 'Thu hồi văn bản điện tử'),
    )
  ).toString('utf8')
  t.notMatch(recall, /<edXML:OrganId>000\.00\.00\.G22/, 'the recall package names only the province')
  const r = await gw.call(COMMUNE, 'POST', '/v1/documents', recall)
  t.equal(r.status, 202, 'the same DocumentId is accepted for a recall')
  const answer = (await r.json()) as { recipients: { organId: string }[] }
  t.same(answer.recipients.map((x) => x.organId).sort(), [PROVINCE, VPCP].sort(), 'routed to both original recipients')

  for (const who of [PROVINCE, VPCP]) {
    const items = await eventually(
      async () => {
        const items = ((await (await gw.call(who, 'GET', '/v1/inbox?all=true')).json()) as { items: { id: string }[] }).items
        return items.length === 2 ? items : null
      },
      30_000,
      `${who} receives the document and its recall`,
    )
    const bodies = await Promise.all(items.map(async (i) => (await gw.call(who, 'GET', `/v1/inbox/${i.id}`)).text()))
    t.equal(bodies.filter((b) => b.includes('Thu hồi văn bản điện tử')).length, 1, `${who}: one item is the recall, byte for byte as sent`)
    t.ok(bodies.includes(recall), `${who}: the recall's exact bytes, although its package names only the province`)
  }
  // a repeat of the recall is idempotent; the original's statuses still address the original
  t.equal((await gw.call(COMMUNE, 'POST', '/v1/documents', recall)).headers.get('idempotent-replayed'), 'true')
})
