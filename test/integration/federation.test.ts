/**
 * Federation: three gateways on one Kafka (own ports, schemas, topic prefixes). A commune under
 * the H41 gateway sends to a commune under the H53 gateway; the package travels H41 → central → H53 with
 * its bytes untouched, and the recipient's 01 travels back H53 → central → H41 to the sender's timeline.
 * Also: a peer key is bound to its jurisdiction, and a peer may only hand back statuses for legs it got.
 */
import t from 'tap'
import { eventually, fixture } from '../helpers/gateway.ts'
import { edoc, startFederation } from '../helpers/federation.ts'
import { saveClient } from '../../src/store/clients-repo.ts'

const SENDER = '000.21.30.H41' // UBND xã Quỳnh Thạch (Nghệ An)
const RECIPIENT = '000.21.31.H53' // UBND xã An Thạnh (Tây Ninh)

interface View {
  recipients: { organId: string; status: string; timeline: { status: string; detail?: Record<string, unknown> }[] }[]
}

t.test('commune H41 → commune H53 through the central gateway, and 01 back through both', async (t) => {
  const { central, gws } = await startFederation(t, ['H41', 'H53'])
  const h41 = gws.H41!
  const h53 = gws.H53!
  // H53 holds a provincial directory; the central gateway maps the H53 jurisdiction to the H53 gateway
  const tsv = fixture('directory/province-h53.tsv').toString('utf8')
  const imp = await h53.call('operator', 'POST', '/v1/agencies/import', tsv, { 'content-type': 'text/tab-separated-values' })
  t.equal(imp.status, 200)
  t.equal(((await imp.json()) as { imported: number }).imported, 61)
  const map = await central.call('operator', 'PUT', '/v1/agencies/000.00.00.H53', JSON.stringify({ name: 'UBND tỉnh Tây Ninh', tier: 'province', gateway: h53.url }), {
    'content-type': 'application/json',
  })
  t.equal(map.status, 201)
  const recipientKey = await saveClient(h53.rt.db, { id: 'qlvb:an-thanh', name: 'QLVB xã An Thạnh', role: 'client', organIds: [RECIPIENT] })

  const doc = await h41.sign(SENDER, edoc(SENDER, [RECIPIENT], 811))
  const res = await h41.call(SENDER, 'POST', '/v1/documents', doc)
  t.equal(res.status, 202)
  const answer = (await res.json()) as { id: string; recipients: { organId: string; tier: string }[] }
  t.same(
    answer.recipients.map((r) => r.organId),
    [RECIPIENT],
  )

  const items = await eventually(
    async () => {
      const r = (await (await h53.call(recipientKey, 'GET', '/v1/inbox')).json()) as { items: { id: string; from: string; documentId: string }[] }
      return r.items.length ? r.items : null
    },
    30_000,
    'the H53 commune inbox',
  )
  t.equal(items.length, 1)
  t.equal(items[0]!.from, SENDER)
  const bytes = Buffer.from(await (await h53.call(recipientKey, 'GET', `/v1/inbox/${items[0]!.id}`)).arrayBuffer())
  t.ok(bytes.equals(doc), 'the recipient gets the exact bytes the sender signed, across two hops')

  // the path it took: H41 forwarded to central, central to H53
  const centralDoc = (await central.rt.db.query<{ id: string; via_peer: string }>('select id, via_peer from documents')).rows
  t.same(
    centralDoc.map((d) => d.via_peer),
    [h41.url],
    'central: came from H41',
  )
  const h53Doc = (await h53.rt.db.query<{ via_peer: string }>('select via_peer from documents')).rows
  t.same(
    h53Doc.map((d) => d.via_peer),
    [central.url],
    'H53: came from central',
  )

  t.equal((await h53.call(recipientKey, 'POST', `/v1/inbox/${items[0]!.id}/ack`)).status, 202)

  const view = await eventually(
    async () => {
      const v = (await (await h41.call(SENDER, 'GET', `/v1/documents/${answer.id}`)).json()) as View
      return v.recipients[0]!.status === '01' ? v : null
    },
    30_000,
    '01 back at the sender',
  )
  const steps = view.recipients[0]!.timeline.map((e) => e.status).filter((s) => s !== 'ACCEPTED')
  t.same(steps, ['ROUTED', 'FORWARDED', '01'], `sender's timeline: ${steps.join(' → ')}`)
  t.match(view.recipients[0]!.timeline.find((e) => e.status === 'FORWARDED')!.detail, { gateway: central.url })
  const relay = await eventually(
    async () => {
      const v = (await (await central.call('operator', 'GET', `/v1/documents/${centralDoc[0]!.id}`)).json()) as View
      return v.recipients[0]!.status === '01' ? v : null
    },
    10_000,
    '01 on the relay',
  )
  t.match(relay.recipients[0]!.timeline.find((e) => e.status === 'FORWARDED')!.detail, { gateway: h53.url, remoteTier: 'commune' })
  // the status package itself came back: the sender's status inbox view has it (the 01 built at H53)
  const detail = view.recipients[0]!.timeline.find((e) => e.status === '01')!.detail as { statusBlob?: string }
  t.ok(detail?.statusBlob, 'the edXML status package travelled back')
  t.match((await h41.rt.blobs.get(detail.statusBlob!)).toString('utf8'), new RegExp(`<edXML:OrganId>${RECIPIENT.replace(/\./g, '\\.')}</edXML:OrganId>`))
})

t.test('peer keys are bound to their jurisdiction and to the legs forwarded to them', async (t) => {
  const { central, gws } = await startFederation(t, ['H41', 'H53'])
  const peerKeyOf = (gw: typeof central, url: string) => gw.rt.config.peers.find((p) => p.url === url)!.key
  // the H53 link key may not forward a document From an H41 agency
  const h53Key = peerKeyOf(central, gws.H53!.url)
  const forged = await central.call(h53Key, 'POST', '/v1/documents', await central.sign(SENDER, edoc(SENDER, ['000.00.00.G14'], 821)), { 'lgsp-forward-for': '000.00.00.G14' })
  t.equal(forged.status, 403)
  t.equal(((await forged.json()) as { code: string }).code, 'SENDER_NOT_ALLOWED')
  // the H41 link key may, and the forward-for list must name recipients of the package
  const h41Key = peerKeyOf(central, gws.H41!.url)
  const stray = await central.call(h41Key, 'POST', '/v1/documents', await central.sign(SENDER, edoc(SENDER, ['000.00.00.G14'], 822)), { 'lgsp-forward-for': '000.00.00.G22' })
  t.equal(((await stray.json()) as { code: string }).code, 'BAD_REQUEST')
  const ok = await central.call(h41Key, 'POST', '/v1/documents', await central.sign(SENDER, edoc(SENDER, ['000.00.00.G14', '000.00.00.G22'], 823)), {
    'lgsp-forward-for': '000.00.00.G14',
  })
  t.equal(ok.status, 202)
  t.same(
    ((await ok.json()) as { recipients: { organId: string }[] }).recipients.map((r) => r.organId),
    ['000.00.00.G14'],
    'only the recipients asked for are routed',
  )
  // a peer may not hand back a status for a leg never forwarded to it
  const bogus = await central.call(
    h41Key,
    'POST',
    '/v1/federation/receipts',
    JSON.stringify({
      from: SENDER,
      documentId: `${SENDER},2026/11/23,823/UBND-VP`,
      recipient: '000.00.00.G14',
      status: '01',
      at: new Date().toISOString(),
      eventKey: 'x',
    }),
    { 'content-type': 'application/json' },
  )
  t.equal(bogus.status, 403)
  t.equal(((await bogus.json()) as { code: string }).code, 'STATUS_NOT_ALLOWED')
  // and a client key may not use the federation surface at all
  const client = await central.call(
    '000.00.00.G22',
    'POST',
    '/v1/federation/receipts',
    JSON.stringify({
      from: SENDER,
      documentId: 'x',
      recipient: '000.00.00.G14',
      status: '01',
      at: new Date().toISOString(),
      eventKey: 'x',
    }),
    { 'content-type': 'application/json' },
  )
  t.equal(((await client.json()) as { code: string }).code, 'FORBIDDEN')
})
