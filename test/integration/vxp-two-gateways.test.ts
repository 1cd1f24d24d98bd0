/**
 * Two gateways on one machine (own ports, schemas, topic prefixes, one Kafka): the provincial gateway (H41)
 * joins the national axis as a VXP client — its PEERS name the central gateway's /vxp surface with
 * "protocol": "vxp" and a relay system bound to *.H41. A commune's QLVB sends through the provincial /vxp for
 * a ministry; the package crosses to the central gateway by sendEdoc with its signed bytes untouched; the
 * ministry's QLVB receives it over the central /vxp and answers done; the 01 comes back to the commune by the
 * provincial gateway's status polling (getReceivedEdocList(status) → getEdoc → updateStatus). A recall (13)
 * goes down as sendEdoc(messagetype=status). And the other way: the ministry's document for the commune is
 * collected by the provincial gateway from the axis (getReceivedEdocList(edoc)), and the commune's 01 goes up.
 */
import t from 'tap'
import fs from 'node:fs'
import path from 'node:path'
import { eventually, startGateway, type TestGateway } from '../helpers/gateway.ts'
import { edoc, freePort } from '../helpers/federation.ts'
import { vxpClient, type VxpCredentials } from '../helpers/vxp-client.ts'
import { buildStatusXml } from '../../src/schemas/index.ts'

const COMMUNE = '000.21.30.H41'
const MINISTRY = '000.00.00.G14' // Bộ Thông tin và Truyền thông

const demoVxp = (gw: TestGateway) => (JSON.parse(fs.readFileSync(path.join(gw.rt.config.dataDir, 'demo-credentials.json'), 'utf8')) as { vxp: Record<string, VxpCredentials> }).vxp

type Item = { docId: string; from: string; to: string }
type View = { recipients: { organId: string; status: string; timeline: { status: string; detail?: Record<string, unknown> }[] }[] }

t.test("province → central over VXP, and the ministry's 01 back to the commune", async (t) => {
  const central = await startGateway(t, { gatewayId: 'central', jurisdiction: ['*.G*'], signaturePolicy: 'required' })
  const relay = (await (
    await central.call('operator', 'POST', '/v1/ops/vxp-systems', JSON.stringify({ systemId: 'lgsp.h41', name: 'LGSP tỉnh Nghệ An', organIds: ['*.H41'] }), {
      'content-type': 'application/json',
    })
  ).json()) as { secret: string }
  const axis = `${central.url}/vxp`
  const province = await startGateway(t, {
    port: await freePort(),
    gatewayId: 'h41',
    jurisdiction: ['*.H41'],
    signaturePolicy: 'required',
    parentGatewayUrl: axis,
    vxpPollMs: 200,
    peers: [{ url: axis, key: '', protocol: 'vxp', systemId: 'lgsp.h41', secret: relay.secret, jurisdiction: ['*.G*'] }],
  })
  // the provincial directory reaches the ministry through the axis (the demo has it as a local agency)
  const put = await province.call('operator', 'PUT', `/v1/agencies/${MINISTRY}`, JSON.stringify({ name: 'Bộ Thông tin và Truyền thông', tier: 'central', gateway: axis }), {
    'content-type': 'application/json',
  })
  t.equal(put.status, 200, 'the ministry is owned by the axis, seen from the province')

  const commune = vxpClient(`${province.url}/vxp`, demoVxp(province)[COMMUNE]!)
  const ministry = vxpClient(axis, demoVxp(central)[MINISTRY]!)
  const signed = await province.sign(COMMUNE, edoc(COMMUNE, [MINISTRY], 7001))
  const sent = await commune('sendEdoc', { servicetype: 'eDoc', messagetype: 'edoc', from: COMMUNE }, { body: signed })
  t.match(sent.json, { status: 'OK', DocId: String }, 'the commune sends through the provincial /vxp')
  const id = sent.json!.DocId as string

  // the ministry's QLVB on the central gateway: list → getEdoc → byte-identical → done
  const item = await eventually(
    async () => {
      const a = await ministry('getReceivedEdocList', { servicetype: 'eDoc', messagetype: 'edoc' }, { body: '' })
      return (a.json?.data as Item[] | undefined)?.[0]
    },
    30_000,
    'the document at the ministry',
  )
  t.match(item, { from: COMMUNE, to: MINISTRY })
  const got = Buffer.from((await ministry('getEdoc', { docId: item.docId })).json!.data as string, 'base64')
  t.ok(got.equals(signed), 'the ministry gets the bytes the commune signed, across the VXP hop')
  const centralDoc = (await central.rt.db.query<{ client_id: string; via_peer: string | null }>('select client_id, via_peer from documents')).rows
  t.same(centralDoc, [{ client_id: 'vxp:lgsp.h41', via_peer: null }], 'central: accepted from the provincial relay system, by the VXP protocol')

  const forwarded = await eventually(
    async () => {
      const v = (await (await province.call(COMMUNE, 'GET', `/v1/documents/${id}`)).json()) as View
      return v.recipients[0]!.timeline.find((e) => e.status === 'FORWARDED')
    },
    30_000,
    'FORWARDED at the province',
  )
  t.match(forwarded.detail, { gateway: axis, protocol: 'vxp', remoteId: String })

  t.equal((await ministry('updateStatus', { docid: item.docId, status: 'done' })).json?.status, 'OK', 'the ministry answers done')

  // the 01 comes back by polling, onto the commune's timeline and into its VXP status list
  const view = await eventually(
    async () => {
      const v = (await (await province.call(COMMUNE, 'GET', `/v1/documents/${id}`)).json()) as View
      return v.recipients[0]!.status === '01' ? v : null
    },
    30_000,
    '01 back at the commune',
  )
  const steps = view.recipients[0]!.timeline.map((e) => e.status).filter((s) => s !== 'ACCEPTED')
  t.same(steps, ['ROUTED', 'FORWARDED', '01'], `commune's timeline: ${steps.join(' → ')}`)
  const st = await eventually(
    async () => {
      const a = await commune('getReceivedEdocList', { servicetype: 'eDoc', messagetype: 'status' }, { body: '' })
      return (a.json?.data as Item[] | undefined)?.[0]
    },
    30_000,
    "the 01 in the commune's VXP status list",
  )
  t.match(st, { from: MINISTRY, to: COMMUNE })
  t.match(
    Buffer.from((await commune('getEdoc', { docId: st.docId })).json!.data as string, 'base64').toString('utf8'),
    /<edXML:StatusCode>01<\/edXML:StatusCode>/,
    "the ministry's 01 package",
  )
  await eventually(
    async () => {
      const left = (await central.rt.db.query('select 1 from status_inbox where acked_at is null')).rowCount
      return left === 0
    },
    10_000,
    'the provincial gateway answered updateStatus(done) on the axis',
  )

  // a recall (13) from the commune goes down to the ministry as sendEdoc(messagetype=status)
  const recall = await province.sign(
    COMMUNE,
    buildStatusXml({
      from: { organId: COMMUNE, organName: 'UBND xã Quỳnh Thạch' },
      responseFor: { organId: COMMUNE, documentId: `${COMMUNE},2026/11/23,7001/UBND-VP`, code: '7001/UBND-VP', promulgationDate: '2026/11/23' },
      statusCode: '13',
      description: 'Đề nghị lấy lại văn bản',
      timestamp: new Date(),
      staff: { department: 'Văn thư', staff: 'Lê Văn C' },
    }),
  )
  t.match((await commune('sendEdoc', { servicetype: 'eDoc', messagetype: 'status', from: COMMUNE }, { body: recall })).json, { status: 'OK' }, 'the commune recalls')
  const down = await eventually(
    async () => {
      const a = await ministry('getReceivedEdocList', { servicetype: 'eDoc', messagetype: 'status' }, { body: '' })
      return (a.json?.data as Item[] | undefined)?.[0]
    },
    30_000,
    'the recall at the ministry',
  )
  t.match(down, { from: COMMUNE, to: MINISTRY })
  t.match(Buffer.from((await ministry('getEdoc', { docId: down.docId })).json!.data as string, 'base64').toString('utf8'), /<edXML:StatusCode>13<\/edXML:StatusCode>/)
  t.equal((await ministry('updateStatus', { docid: down.docId, status: 'done' })).json?.status, 'OK')

  // and down: the ministry sends to the commune through the axis; the provincial gateway collects it
  // (getReceivedEdocList(edoc) as its relay system), the commune receives it over the provincial /vxp, and
  // its 01 goes up as sendEdoc(messagetype=status) to the ministry
  const fromMinistry = await central.sign(MINISTRY, edoc(MINISTRY, [COMMUNE], 7002))
  const sentDown = await ministry('sendEdoc', { servicetype: 'eDoc', messagetype: 'edoc', from: MINISTRY }, { body: fromMinistry })
  t.match(sentDown.json, { status: 'OK', DocId: String }, 'the ministry sends to the commune')
  const atCommune = await eventually(
    async () => {
      const a = await commune('getReceivedEdocList', { servicetype: 'eDoc', messagetype: 'edoc' }, { body: '' })
      return (a.json?.data as Item[] | undefined)?.[0]
    },
    30_000,
    "the ministry's document at the commune, through the provincial gateway",
  )
  t.match(atCommune, { from: MINISTRY, to: COMMUNE })
  t.ok(Buffer.from((await commune('getEdoc', { docId: atCommune.docId })).json!.data as string, 'base64').equals(fromMinistry), 'byte-identical down the VXP hop too')
  t.equal((await commune('updateStatus', { docid: atCommune.docId, status: 'done' })).json?.status, 'OK', 'the commune answers done')
  const back = await eventually(
    async () => {
      const v = (await (await central.call(MINISTRY, 'GET', `/v1/documents/${sentDown.json!.DocId as string}`)).json()) as View
      return v.recipients[0]!.status === '01' ? v : null
    },
    30_000,
    "the commune's 01 at the ministry",
  )
  const path2 = back.recipients[0]!.timeline.map((e) => e.status).filter((s) => s !== 'ACCEPTED')
  t.same(path2, ['ROUTED', 'DELIVERED', 'FORWARDED', '01'], `ministry's timeline: ${path2.join(' → ')} (the relay's done is a hand-over, the 01 is the commune's)`)
  const st01 = await eventually(
    async () => {
      const a = await ministry('getReceivedEdocList', { servicetype: 'eDoc', messagetype: 'status' }, { body: '' })
      return (a.json?.data as Item[] | undefined)?.find((i) => i.from === COMMUNE)
    },
    30_000,
    "the 01 in the ministry's VXP status list",
  )
  t.match(Buffer.from((await ministry('getEdoc', { docId: st01.docId })).json!.data as string, 'base64').toString('utf8'), /<edXML:StatusCode>01<\/edXML:StatusCode>/)
})
