/**
 * Recall across federation: the H41 commune sends to the H53 commune (H41 → central → H53), then
 * recalls it (13). The 13 travels down H41 → central → H53 with the sender's status package and reaches the
 * recipient's status inbox at H53; the recipient answers 15 at its own gateway, and the 15 travels back up
 * to the sender's timeline at H41 (13 → 15). A peer may only pass on recalls for documents it forwarded.
 */
import t from 'tap'
import { eventually } from '../helpers/gateway.ts'
import { edoc, startFederation } from '../helpers/federation.ts'
import { saveClient } from '../../src/store/clients-repo.ts'
import { buildStatusXml } from '../../src/schemas/index.ts'

const SENDER = '000.21.30.H41' // UBND xã Quỳnh Thạch (Nghệ An)
const RECIPIENT = '000.21.31.H53' // UBND xã An Thạnh (Tây Ninh)
const NO = 831
const DOC_ID = `${SENDER},2026/11/23,${NO}/UBND-VP`

const status = (from: string, code: string, at: Date) =>
  buildStatusXml({
    from: { organId: from, organName: `Cơ quan ${from}` },
    responseFor: { organId: SENDER, documentId: DOC_ID, code: `${NO}/UBND-VP`, promulgationDate: '2026/11/23' },
    statusCode: code,
    description: `Trạng thái ${code}`,
    timestamp: at,
    staff: { department: 'Văn thư', staff: 'Trần Thị B' },
  })

interface View {
  recipients: { organId: string; status: string; timeline: { status: string; detail?: Record<string, unknown> }[] }[]
}
interface StatusItem {
  id: string
  documentId: string
  from: string
  statusCode: string
  recipient: string
  edxml: string
}

t.test("a recall (13) travels H41 → central → H53; the recipient's 15 travels back to the sender", async (t) => {
  // the H53 commune has no demo certificate: its 15 goes unsigned, as a legacy sender's does (SIGNATURE_POLICY=optional)
  const { central, gws } = await startFederation(t, ['H41', 'H53'], { signaturePolicy: 'optional' })
  const h41 = gws.H41!
  const h53 = gws.H53!
  const json = { 'content-type': 'application/json' }
  t.equal((await h53.call('operator', 'PUT', `/v1/agencies/${RECIPIENT}`, JSON.stringify({ name: 'UBND xã An Thạnh', tier: 'commune' }), json)).status, 201)
  t.equal(
    (await central.call('operator', 'PUT', '/v1/agencies/000.00.00.H53', JSON.stringify({ name: 'UBND tỉnh Tây Ninh', tier: 'province', gateway: h53.url }), json)).status,
    201,
  )
  const recipientKey = await saveClient(h53.rt.db, { id: 'qlvb:an-thanh', name: 'QLVB xã An Thạnh', role: 'client', organIds: [RECIPIENT] })

  const res = await h41.call(SENDER, 'POST', '/v1/documents', await h41.sign(SENDER, edoc(SENDER, [RECIPIENT], NO)))
  t.equal(res.status, 202)
  const { id } = (await res.json()) as { id: string }
  await eventually(
    async () => {
      const r = (await (await h53.call(recipientKey, 'GET', '/v1/inbox')).json()) as { items: unknown[] }
      return r.items.length > 0
    },
    30_000,
    'the document in the H53 commune inbox',
  )

  // the sender recalls it at its own gateway
  const recall = await h41.sign(SENDER, status(SENDER, '13', new Date('2026-11-23T05:00:00Z')))
  const r13 = await h41.call(SENDER, 'POST', '/v1/status', recall)
  t.equal(r13.status, 202)
  t.match(await r13.json(), { id, statusCode: '13', role: 'sender', recipients: [RECIPIENT] })

  // … and it reaches the recipient's status inbox two gateways down, as the sender's own package
  const inbox = async () => (await (await h53.call(recipientKey, 'GET', '/v1/status-inbox')).json()) as { items: StatusItem[] }
  const got = await eventually(async () => (await inbox()).items.find((i) => i.statusCode === '13'), 30_000, '13 in the H53 status inbox')
  t.match(got, { documentId: DOC_ID, from: SENDER, recipient: RECIPIENT })
  t.equal(got.edxml, recall.toString('utf8'), "the sender's status package, byte for byte")
  const relay = (await central.rt.db.query<{ id: string }>('select id from documents')).rows[0]!
  const relayed = (await (await central.call('operator', 'GET', `/v1/documents/${relay.id}`)).json()) as View
  t.ok(
    relayed.recipients[0]!.timeline.some((e) => e.status === '13'),
    '13 on the relay timeline too',
  )

  // the recipient agrees (15) at its gateway; it travels H53 → central → H41
  const r15 = await h53.call(recipientKey, 'POST', '/v1/status', status(RECIPIENT, '15', new Date('2026-11-23T05:10:00Z')))
  t.equal(r15.status, 202)
  const view = await eventually(
    async () => {
      const v = (await (await h41.call(SENDER, 'GET', `/v1/documents/${id}`)).json()) as View
      return v.recipients[0]!.status === '15' ? v : null
    },
    30_000,
    '15 back at the sender',
  )
  const codes = view.recipients[0]!.timeline.map((e) => e.status).filter((s) => /^\d{2}$/.test(s))
  t.same(codes, ['13', '15'], `sender's timeline for ${RECIPIENT}: ${codes.join(' → ')}`)
  t.notOk(
    view.recipients[0]!.timeline.some((e) => e.detail?.outOfOrder),
    'in order',
  )
  const senderInbox = (await (await h41.call(SENDER, 'GET', '/v1/status-inbox')).json()) as { items: StatusItem[] }
  t.match(
    senderInbox.items.find((i) => i.statusCode === '15'),
    { from: RECIPIENT, recipient: RECIPIENT },
    "15 in the sender's status inbox",
  )

  // one 13 at H53: nothing duplicated on the way down
  const h53Doc = (await h53.rt.db.query<{ id: string }>('select id from documents')).rows[0]!
  const count13 = async () => (await h53.rt.db.query(`select 1 from delivery_events where document_uuid = $1 and status = '13'`, [h53Doc.id])).rowCount
  t.equal(await count13(), 1, 'one 13 at H53')
})

t.test('recalls: only the peer a document came from, for its recipients there, with a matching package', async (t) => {
  const { central, gws } = await startFederation(t, ['H41', 'H53'])
  const h41 = gws.H41!
  const h53 = gws.H53!
  const json = { 'content-type': 'application/json' }
  t.equal((await h53.call('operator', 'PUT', `/v1/agencies/${RECIPIENT}`, JSON.stringify({ name: 'UBND xã An Thạnh', tier: 'commune' }), json)).status, 201)
  t.equal(
    (await central.call('operator', 'PUT', '/v1/agencies/000.00.00.H53', JSON.stringify({ name: 'UBND tỉnh Tây Ninh', tier: 'province', gateway: h53.url }), json)).status,
    201,
  )
  t.equal((await h41.call(SENDER, 'POST', '/v1/documents', await h41.sign(SENDER, edoc(SENDER, [RECIPIENT], NO)))).status, 202)
  await eventually(async () => (await h53.rt.db.query(`select 1 from documents where state = 'accepted'`)).rowCount > 0, 30_000, 'the document at H53')

  const peerKey = (gw: typeof central, url: string) => gw.rt.config.peers.find((p) => p.url === url)!.key
  const centralKeyAtH53 = peerKey(h53, central.url)
  const recall = await h41.sign(SENDER, status(SENDER, '13', new Date('2026-11-23T05:00:00Z')))
  const body = (o: Record<string, unknown> = {}) =>
    JSON.stringify({
      from: SENDER,
      documentId: DOC_ID,
      recipient: RECIPIENT,
      status: '13',
      at: new Date().toISOString(),
      eventKey: 'k1',
      statusPackage: recall.toString('base64'),
      ...o,
    })
  const code = async (r: Response) => ((await r.json()) as { code: string }).code
  // a client key may not use it
  t.equal(await code(await h53.call('operator', 'POST', '/v1/federation/recalls', body(), json)), 'FORBIDDEN')
  // only 13 travels down
  t.equal(await code(await h53.call(centralKeyAtH53, 'POST', '/v1/federation/recalls', body({ status: '01' }), json)), 'BAD_REQUEST')
  // the package must be the sender's 13 for this document
  const forged = Buffer.from(status(RECIPIENT, '13', new Date())).toString('base64')
  t.equal(await code(await h53.call(centralKeyAtH53, 'POST', '/v1/federation/recalls', body({ statusPackage: forged }), json)), 'STATUS_NOT_ALLOWED')
  // not a recipient routed here
  t.equal(await code(await h53.call(centralKeyAtH53, 'POST', '/v1/federation/recalls', body({ recipient: '000.22.31.H53' }), json)), 'STATUS_NOT_ALLOWED')
  // the document did not come to central from H53: H53's key at central may not recall it there
  const h53KeyAtCentral = peerKey(central, h53.url)
  t.equal(await code(await central.call(h53KeyAtCentral, 'POST', '/v1/federation/recalls', body(), json)), 'STATUS_NOT_ALLOWED')
  // the real relay may; twice is once
  const ok = await h53.call(centralKeyAtH53, 'POST', '/v1/federation/recalls', body(), json)
  t.equal(ok.status, 202)
  const again = await h53.call(centralKeyAtH53, 'POST', '/v1/federation/recalls', body(), json)
  t.same(await again.json(), await ok.json(), 'same event key')
})
