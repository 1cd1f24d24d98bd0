/**
 * /vxp is one more surface on the same pipeline, end to end through real HTTP, Kafka and PostgreSQL, with
 * signatures required: a commune's QLVB sends a signed package through /vxp with the SDK-shaped client; the
 * province's QLVB runs the SDK receive loop (list → getEdoc → byte-identical → updateStatus done); the
 * commune sees status 01 in getReceivedEdocList(status) and on GET /v1/documents/{id}; a 03 sent with
 * sendEdoc(messagetype=status) reaches the sender; REST reads the same document, and a REST-sent document
 * is received over /vxp.
 */
import t from 'tap'
import fs from 'node:fs'
import path from 'node:path'
import { eventually, fixture, startGateway, type TestGateway } from '../helpers/gateway.ts'
import { corpusPath, corpusSkip } from '../helpers/corpus.ts'
import { sdkHashFile, vxpClient, type VxpCredentials } from '../helpers/vxp-client.ts'
import { buildStatusXml } from '../../src/schemas/index.ts'

const COMMUNE = '000.21.30.H41'
const PROVINCE = '000.00.00.H41'
const VPCP = '000.00.00.G22'

const demoVxp = (gw: TestGateway) => (JSON.parse(fs.readFileSync(path.join(gw.rt.config.dataDir, 'demo-credentials.json'), 'utf8')) as { vxp: Record<string, VxpCredentials> }).vxp

type Item = { docId: string; from: string; to: string; messageType: string }
type Timeline = { recipients: { organId: string; status: string; timeline: { status: string }[] }[] }

t.test('commune → province through /vxp, status 01 and 03 back, REST reads the same', async (t) => {
  const gw = await startGateway(t, { signaturePolicy: 'required' })
  const creds = demoVxp(gw)
  const commune = vxpClient(`${gw.url}/vxp`, creds[COMMUNE]!)
  const province = vxpClient(`${gw.url}/vxp`, creds[PROVINCE]!)
  const signed = await gw.sign(COMMUNE, fixture('demo/commune-to-province.edxml'))

  const sent = await commune('sendEdoc', { servicetype: 'eDoc', messagetype: 'edoc', from: COMMUNE }, { body: signed })
  t.match(sent.json, { status: 'OK', ErrorCode: '0', DocId: String }, 'sendEdoc accepted')
  const id = sent.json!.DocId as string

  // the province's SDK receive loop
  const listed = await eventually(
    async () => {
      const a = await province('getReceivedEdocList', { servicetype: 'eDoc', messagetype: 'edoc' }, { body: '' })
      return (a.json?.data as Item[] | undefined)?.[0]
    },
    30_000,
    'the document in the province list',
  )
  t.match(listed, { from: COMMUNE, to: PROVINCE, messageType: 'edoc' })
  const got = await province('getEdoc', { docId: listed.docId, filePath: 'store' })
  t.ok(Buffer.from(got.json!.data as string, 'base64').equals(signed), 'getEdoc: byte-identical to what the commune signed and sent')
  t.equal((await province('updateStatus', { docid: listed.docId, status: 'done' })).json?.status, 'OK', 'updateStatus(done)')

  // the commune sees 01 over /vxp and over REST
  const st = await eventually(
    async () => {
      const a = await commune('getReceivedEdocList', { servicetype: 'eDoc', messagetype: 'status' }, { body: '' })
      return (a.json?.data as Item[] | undefined)?.find((i) => i.from === PROVINCE)
    },
    30_000,
    'status 01 in the commune status list',
  )
  const pkg01 = Buffer.from((await commune('getEdoc', { docId: st.docId })).json!.data as string, 'base64').toString('utf8')
  t.match(pkg01, /<edXML:StatusCode>01<\/edXML:StatusCode>/, 'the status package is a 01')
  t.match(pkg01, new RegExp('000\\.21\\.30\\.H41,2026/11/23,125/UBND-VP'), "about the commune's document")
  const view = (await (await gw.call(COMMUNE, 'GET', `/v1/documents/${id}`)).json()) as Timeline
  const leg = view.recipients.find((r) => r.organId === PROVINCE)!
  t.equal(leg.status, '01', 'GET /v1/documents/{id}: the province leg is at 01')
  t.ok(leg.timeline.map((e) => e.status).includes('DELIVERED'), 'after DELIVERED, as for an inbox ack')
  t.equal((await commune('updateStatus', { docid: st.docId, status: 'done' })).json?.status, 'OK')

  // REST sees the same: the inbox item is acked, the bytes are the same
  const restInbox = (await (await gw.call(PROVINCE, 'GET', '/v1/inbox?all=true')).json()) as { items: { id: string; ackedAt: string | null }[] }
  const restItem = restInbox.items.find((i) => i.id === listed.docId)
  t.ok(restItem?.ackedAt, 'REST inbox: the item the VXP system fetched is acknowledged')
  t.ok(Buffer.from(await (await gw.call(PROVINCE, 'GET', `/v1/inbox/${listed.docId}`)).arrayBuffer()).equals(signed), 'REST inbox: the same bytes')

  // a 03 from the province's QLVB, sent as sendEdoc(messagetype=status), reaches the commune
  // statuses are signed evidence too (the sender's key, as for documents)
  const s03 = await gw.sign(
    PROVINCE,
    buildStatusXml({
      from: { organId: PROVINCE, organName: 'UBND tỉnh Nghệ An' },
      responseFor: { organId: COMMUNE, documentId: '000.21.30.H41,2026/11/23,125/UBND-VP', code: '125/UBND-VP', promulgationDate: '2026/11/23' },
      statusCode: '03',
      description: 'Đã tiếp nhận',
      timestamp: new Date(),
      staff: { department: 'Văn thư', staff: 'Nguyễn Văn A' },
    }),
  )
  const sentStatus = await province('sendEdoc', { servicetype: 'eDoc', messagetype: 'status', from: PROVINCE }, { body: s03, upload: 'multipart' })
  t.match(sentStatus.json, { status: 'OK', ErrorCode: '0', DocId: id }, 'sendEdoc(status): accepted, about the document')
  const st03 = await eventually(
    async () => {
      const a = await commune('getReceivedEdocList', { servicetype: 'eDoc', messagetype: 'status' }, { body: '' })
      return (a.json?.data as Item[] | undefined)?.find((i) => i.from === PROVINCE)
    },
    30_000,
    'status 03 in the commune status list',
  )
  t.ok(Buffer.from((await commune('getEdoc', { docId: st03.docId })).json!.data as string, 'base64').equals(s03), 'the 03 package as the province sent it')
  const after = (await (await gw.call(COMMUNE, 'GET', `/v1/documents/${id}`)).json()) as Timeline
  t.equal(after.recipients.find((r) => r.organId === PROVINCE)!.status, '03', 'GET /v1/documents/{id}: the province leg is at 03')
  const restStatuses = (await (await gw.call(COMMUNE, 'GET', '/v1/status-inbox')).json()) as { items: { id: string; statusCode: string }[] }
  t.match(restStatuses.items, [{ id: st03.docId, statusCode: '03' }], 'the REST status inbox holds the same item')

  // and the other way round: a document sent over REST is received over /vxp (VPCP's QLVB)
  const vpcp = vxpClient(`${gw.url}/vxp`, creds[VPCP]!)
  const vpcpList = await eventually(
    async () => {
      const a = await vpcp('getReceivedEdocList', { servicetype: 'eDoc', messagetype: 'edoc' }, { body: '' })
      return (a.json?.data as Item[] | undefined)?.[0]
    },
    30_000,
    'the same document in the VPCP list',
  )
  t.ok(Buffer.from((await vpcp('getEdoc', { docId: vpcpList.docId })).json!.data as string, 'base64').equals(signed), 'VPCP receives it byte-identical too')
  const restSent = await gw.call(
    COMMUNE,
    'POST',
    '/v1/documents',
    await gw.sign(COMMUNE, fixture('demo/commune-to-province.edxml').toString('utf8').replace('125/UBND-VP', '126/UBND-VP')),
  )
  t.equal(restSent.status, 202, 'a document sent over REST')
  const restId = ((await restSent.json()) as { id: string }).id
  const fromRest = await eventually(
    async () => {
      const a = await province('getReceivedEdocList', { servicetype: 'eDoc', messagetype: 'edoc' }, { body: '' })
      return (a.json?.data as Item[] | undefined)?.[0]
    },
    30_000,
    'the REST-sent document in the province VXP list',
  )
  const sentList = await commune('getSentEdocList', { servicetype: 'eDoc', messagetype: 'edoc', docId: restId })
  t.equal((sentList.json!.data as unknown[]).length, 2, 'getSentEdocList(docId) knows the REST-sent document')
  t.ok(fromRest.docId, 'received over /vxp')
})

t.test("a national sample with the SDK's unpadded 63-character hash-file passes the hash check", { skip: corpusSkip('samples/edoc_new.edxml') }, async (t) => {
  const sample = corpusPath('samples/edoc_new.edxml')
  const gw = await startGateway(t)
  const creds = demoVxp(gw)
  const bytes = fs.readFileSync(sample)
  t.equal(sdkHashFile(bytes).length, 63, 'its SHA-256 has a byte below 0x10: the SDK sends 63 hex characters')
  const vpcp = vxpClient(`${gw.url}/vxp`, creds[VPCP]!)
  const a = await vpcp('sendEdoc', { servicetype: 'eDoc', messagetype: 'edoc', from: VPCP }, { body: bytes })
  t.not(a.json?.ErrorCode, 'VXP_HASH_FILE_MISMATCH', `the SDK's rendering is accepted (answer: ${a.json?.ErrorCode})`)
  t.match(a.json, { status: String, ErrorCode: String }, 'JSON either way')
})
