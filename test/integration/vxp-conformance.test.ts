/**
 * The /vxp surface against ../shared/edxml/VXP-WIRE.md, through real HTTP, Kafka and PostgreSQL, with a
 * client written from that page (test/helpers/vxp-client.ts, not the server's code): every operation in
 * the shapes the SDK parses, then every refusal — each one JSON with status "FAIL" and a catalogue code.
 */
import t from 'tap'
import fs from 'node:fs'
import net from 'node:net'
import path from 'node:path'
import { eventually, fixture, signAs, startGateway, type TestGateway } from '../helpers/gateway.ts'
import { sdkHeaders, sdkTimestamp, vxpCall, vxpClient, type VxpCredentials } from '../helpers/vxp-client.ts'
import { samples, scrape, sum } from '../helpers/ops.ts'

const COMMUNE = '000.21.30.H41'
const PROVINCE = '000.00.00.H41'
const VPCP = '000.00.00.G22'

const demoVxp = (gw: TestGateway) => (JSON.parse(fs.readFileSync(path.join(gw.rt.config.dataDir, 'demo-credentials.json'), 'utf8')) as { vxp: Record<string, VxpCredentials> }).vxp

let n = 0
/** The demo package with a fresh DocumentId (dedupe is on From + DocumentId), signed by the commune. */
const freshPackage = () =>
  signAs(
    COMMUNE,
    fixture('demo/commune-to-province.edxml').toString('utf8').replace('000.21.30.H41,2026/11/23,125/UBND-VP', `000.21.30.H41,2026/11/23,${process.pid}${++n}/UBND-VP`),
  )

type Item = { docId: string; from: string; to: string; status: string; serviceType: string; messageType: string; created_time: string }

t.test('every operation, in the shapes the SDK parses', async (t) => {
  const gw = await startGateway(t)
  const creds = demoVxp(gw)
  t.same(
    Object.keys(creds).sort(),
    gw.rt
      .directory()
      .all()
      .map((a) => a.organId)
      .sort(),
    'the demo made one VXP system per demo agency',
  )
  const endpoint = `${gw.url}/vxp`
  const commune = vxpClient(endpoint, creds[COMMUNE]!)
  const province = vxpClient(endpoint, creds[PROVINCE]!)
  const send = { servicetype: 'eDoc', messagetype: 'edoc', from: COMMUNE }

  const okShape = (a: { json: Record<string, unknown> | null; http: number; contentType: string | null }, what: string) => {
    t.equal(a.http, 200, `${what}: HTTP 200`)
    t.match(a.contentType, /^application\/json/, `${what}: JSON`)
    t.match(a.json, { status: 'OK', ErrorCode: '0', ErrorDesc: String }, `${what}: status OK, ErrorCode 0`)
  }

  // sendEdoc: the raw body of SDK 2.0.1, and the multipart file_doc of 2.0.0 / .NET
  const rawPkg = await freshPackage()
  const raw = await commune('sendEdoc', send, { body: rawPkg })
  okShape(raw, 'sendEdoc (octet-stream)')
  t.match(raw.json, { DocId: /^[0-9a-f-]{36}$/ })
  const multi = await commune('sendEdoc', send, { body: await freshPackage(), upload: 'multipart' })
  okShape(multi, 'sendEdoc (multipart file_doc)')
  t.not(multi.json!.DocId, raw.json!.DocId)
  const again = await commune('sendEdoc', send, { body: rawPkg })
  t.equal(again.json!.DocId, raw.json!.DocId, 'the same package again: the first DocId (dedupe, as on REST)')

  // the receiver's loop: list → getEdoc → updateStatus
  const list = await eventually(
    async () => {
      const a = await province('getReceivedEdocList', { servicetype: 'eDoc', messagetype: 'edoc' }, { body: '' })
      return (a.json?.data as Item[] | undefined)?.length === 2 ? a : null
    },
    30_000,
    'both documents in the province list',
  )
  okShape(list, 'getReceivedEdocList(edoc)')
  const items = list.json!.data as Item[]
  for (const i of items) {
    t.match(i, {
      docId: String,
      from: COMMUNE,
      to: PROVINCE,
      status: 'initial',
      status_desc: String,
      serviceType: 'eDoc',
      messageType: 'edoc',
      created_time: /^\d{2}\/\d{2}\/\d{4} \d{2}:\d{2}:\d{2}$/,
      updated_time: String,
    })
  }
  const count = await province('countReceiveEdoc', { servicetype: 'eDoc', messagetype: 'edoc' })
  okShape(count, 'countReceiveEdoc')
  t.equal(count.json!.count, 2)

  const got = await province('getEdoc', { docId: items[0]!.docId, filePath: '/tmp/ignored' })
  okShape(got, 'getEdoc')
  const bytes = Buffer.from(got.json!.data as string, 'base64')
  t.ok(bytes.equals(rawPkg) || bytes.includes(Buffer.from(`${process.pid}2/UBND-VP`)), 'getEdoc: Base64 of an .edxml that was sent')
  const dl = await province('downloadEdoc', { docId: items[0]!.docId })
  t.equal(dl.http, 200)
  t.ok(dl.bytes.equals(bytes), 'downloadEdoc: the same bytes, raw')

  okShape(await province('updateStatus', { docid: items[0]!.docId, status: 'processing' }), 'updateStatus(processing)')
  const afterProcessing = await province('getReceivedEdocList', { servicetype: 'eDoc', messagetype: 'edoc' }, { body: '' })
  t.equal((afterProcessing.json!.data as Item[]).find((i) => i.docId === items[0]!.docId)?.status, 'processing', 'a processing item stays listed, marked processing')
  okShape(await province('updateStatus', { docid: items[0]!.docId, status: 'done' }), 'updateStatus(done)')
  okShape(await province('updateStatus', { docid: items[1]!.docId, status: 'fail' }), 'updateStatus(fail)')
  const afterAck = await province('getReceivedEdocList', { servicetype: 'eDoc', messagetype: 'edoc' }, { body: '' })
  t.same(afterAck.json!.data, [], 'done and failed items leave the list')
  t.equal((await province('countReceiveEdoc', {})).json!.count, 0)

  // the sender's side: statuses, sent list, timeline events for processing and fail
  const statuses = await eventually(
    async () => {
      const a = await commune('getReceivedEdocList', { servicetype: 'eDoc', messagetype: 'status' }, { body: '' })
      return (a.json?.data as Item[] | undefined)?.length ? a : null
    },
    30_000,
    'the status 01 in the commune status list',
  )
  okShape(statuses, 'getReceivedEdocList(status)')
  const st = (statuses.json!.data as Item[])[0]!
  t.match(st, { from: PROVINCE, to: COMMUNE, messageType: 'status', serviceType: 'eDoc' })
  t.equal((await commune('countReceiveStatus', {})).json!.count, 1, 'countReceiveStatus')
  const stPkg = Buffer.from((await commune('getEdoc', { docId: st.docId })).json!.data as string, 'base64').toString('utf8')
  t.match(stPkg, /<edXML:StatusCode>01<\/edXML:StatusCode>/, 'getEdoc of a status item: the edXML status 01')
  okShape(await commune('updateStatus', { docid: st.docId, status: 'done' }), 'updateStatus(done) of a status item')
  t.equal((await commune('countReceiveStatus', {})).json!.count, 0)

  const failedDocId = (await gw.rt.db.query<{ document_uuid: string }>('select document_uuid from inbox where id = $1', [items[1]!.docId])).rows[0]!.document_uuid
  const timeline = await eventually(
    async () => {
      const v = (await (await gw.call(COMMUNE, 'GET', `/v1/documents/${failedDocId}`)).json()) as {
        recipients: { organId: string; status: string; timeline: { status: string; label: string | null }[] }[]
      }
      const leg = v.recipients.find((r) => r.organId === PROVINCE)!
      return leg.timeline.some((e) => e.status === 'RECEIVE_FAILED') ? leg : null
    },
    30_000,
    'RECEIVE_FAILED on the timeline',
  )
  t.equal(timeline.status, 'RECEIVE_FAILED', 'updateStatus(fail) becomes the leg status RECEIVE_FAILED')
  t.ok(timeline.timeline.find((e) => e.status === 'RECEIVE_FAILED')?.label, 'with its label')
  const processedDocId = (await gw.rt.db.query<{ document_uuid: string }>('select document_uuid from inbox where id = $1', [items[0]!.docId])).rows[0]!.document_uuid
  await eventually(
    async () => {
      const v = (await (await gw.call(COMMUNE, 'GET', `/v1/documents/${processedDocId}`)).json()) as { recipients: { organId: string; timeline: { status: string }[] }[] }
      const s = v.recipients.find((r) => r.organId === PROVINCE)!.timeline.map((e) => e.status)
      return s.includes('RECEIVING') && s.includes('01') && s.indexOf('RECEIVING') < s.indexOf('01')
    },
    30_000,
    'RECEIVING then 01 on the other timeline',
  )

  const sent = await commune('getSentEdocList', { servicetype: 'eDoc', messagetype: 'edoc' })
  okShape(sent, 'getSentEdocList')
  const rows = sent.json!.data as Record<string, string>[]
  t.equal(rows.length, 4, 'two documents × two recipients')
  for (const r of rows) {
    t.match(r, {
      serviceType: 'eDoc',
      messageType: 'edoc',
      senderDocId: String,
      receiverDocId: String,
      fromCode: COMMUNE,
      toCode: String,
      title: /mưa lũ/,
      notation: String,
      sentTime: String,
      receivedTime: String,
      sendStatus: String,
      sendStatusDesc: String,
      receiveStatus: String,
      receiveStatusDesc: String,
    })
  }
  const one = await commune('getSentEdocList', { servicetype: 'eDoc', messagetype: 'edoc', docId: processedDocId })
  const legs = one.json!.data as Record<string, string>[]
  t.same(legs.map((l) => l.toCode).sort(), [VPCP, PROVINCE].sort(), 'with docId: that document, one row per recipient')
  t.match(
    legs.find((l) => l.toCode === PROVINCE),
    { senderDocId: processedDocId, receiverDocId: items[0]!.docId, receiveStatus: '01', receiveStatusDesc: 'Đã đến' },
  )
  t.match(
    legs.find((l) => l.toCode === VPCP),
    { receiveStatus: '', sendStatus: 'DELIVERED' },
  )

  // the directory
  const agencies = await commune('getAgenciesList', {})
  okShape(agencies, 'getAgenciesList')
  t.match(
    (agencies.json!.data as unknown[]).find((a) => (a as { code: string }).code === COMMUNE),
    { id: COMMUNE, code: COMMUNE, name: 'UBND xã Quỳnh Thạch', mail: String, pid: '000.00.30.H41' },
  )
  const qd20 = await commune('getAgenciesListQD20', { level: '1' })
  okShape(qd20, 'getAgenciesListQD20')
  t.same((qd20.json!.data as { code: string }[]).map((a) => a.code).sort(), ['000.00.00.G14', VPCP, PROVINCE].sort(), 'level 1 only')
  t.match((qd20.json!.data as unknown[])[0], { code102: String, oldCode: String })
  const sync = await commune('getSynchronizeUnit', {})
  okShape(sync, 'getSynchronizeUnit')
  t.match((sync.json!.data as unknown[])[0], { version: Number, centerCode: String, deleted: false, modifyDate: String, isAgency: true })

  // registerAgency / deleteAgency: operator systems only
  const added = (await (
    await gw.call('operator', 'POST', '/v1/ops/vxp-systems', JSON.stringify({ systemId: 'vxp.op', name: 'Sở TT&TT (operator)', organIds: ['000.00.13.H41'], operator: true }), {
      'content-type': 'application/json',
    })
  ).json()) as { secret: string }
  const operatorSystem = vxpClient(endpoint, { systemId: 'vxp.op', secret: added.secret })
  const NEW = '000.23.31.H41'
  const reg = await operatorSystem(
    'registerAgency',
    {},
    { body: JSON.stringify({ id: '', pcode: '000.00.31.H41', code: NEW, name: 'UBND xã Mới Thành', mail: 'x@example.vn', mobile: '', fax: '' }) },
  )
  okShape(reg, 'registerAgency')
  t.match(gw.rt.directory().get(NEW), { tier: 'commune', parent: '000.00.31.H41', name: 'UBND xã Mới Thành' }, 'the agency is in the directory the router uses')
  const refusedReg = await commune('registerAgency', {}, { body: JSON.stringify({ code: '000.24.31.H41', name: 'UBND xã Khác' }) })
  t.match(refusedReg.json, { status: 'FAIL', ErrorCode: 'FORBIDDEN' }, 'a client system may not registerAgency')
  t.equal(gw.rt.directory().get('000.24.31.H41'), undefined)
  t.match((await commune('deleteAgency', { AgencyCode: NEW })).json, { status: 'FAIL', ErrorCode: 'FORBIDDEN' }, 'nor deleteAgency')
  okShape(await operatorSystem('deleteAgency', { AgencyCode: NEW }), 'deleteAgency')
  t.equal(gw.rt.directory().get(NEW), undefined, 'gone from the directory')
})

t.test('refusals: each JSON, status FAIL, a catalogue code; nothing accepted', async (t) => {
  const gw = await startGateway(t, { bodyLimit: 16 * 1024 })
  const creds = demoVxp(gw)
  const endpoint = `${gw.url}/vxp`
  const commune = creds[COMMUNE]!
  const send = { servicetype: 'eDoc', messagetype: 'edoc', from: COMMUNE }
  const documents = async () => Number((await gw.rt.db.query<{ n: string }>('select count(*) as n from documents')).rows[0]!.n)

  const refused = async (what: string, code: string, call: Promise<{ http: number; contentType: string | null; json: Record<string, unknown> | null; text: string }>) => {
    const a = await call
    t.equal(a.http, 200, `${what}: HTTP 200 (the SDK reads the JSON)`)
    t.match(a.contentType, /^application\/json/, `${what}: JSON, never HTML or text`)
    t.ok(a.json, `${what}: parses as JSON`)
    t.match(a.json, { status: 'FAIL', ErrorCode: code, ErrorDesc: String }, `${what}: FAIL ${code}`)
    t.ok(String(a.json?.ErrorDesc ?? '').length > 10, `${what}: ErrorDesc says what is wrong`)
    t.notMatch(a.text, commune.secret, `${what}: the secret is never echoed`)
    return a
  }

  await refused(
    'bad HMAC (wrong secret)',
    'VXP_SIGNATURE_INVALID',
    vxpCall(endpoint, { systemId: commune.systemId, secret: 'not-the-secret' }, 'sendEdoc', send, { body: await freshPackage() }),
  )
  await refused(
    'hash-header altered',
    'VXP_SIGNATURE_INVALID',
    vxpCall(
      endpoint,
      commune,
      'getReceivedEdocList',
      { servicetype: 'eDoc', messagetype: 'edoc' },
      {
        tamper: (h) => {
          h['XroadVnpt-hash-header'] = h['XroadVnpt-hash-header']!.replace(/^./, (c) => (c === '0' ? '1' : '0'))
        },
      },
    ),
  )
  await refused(
    'a signed header altered after signing (from)',
    'VXP_SIGNATURE_INVALID',
    vxpCall(endpoint, commune, 'sendEdoc', send, {
      body: await freshPackage(),
      tamper: (h) => {
        h['XroadVnpt-from'] = PROVINCE
      },
    }),
  )
  await refused(
    'a signed header dropped (messagetype)',
    'VXP_SIGNATURE_INVALID',
    vxpCall(
      endpoint,
      commune,
      'getReceivedEdocList',
      { servicetype: 'eDoc', messagetype: 'status' },
      {
        tamper: (h) => {
          delete h['XroadVnpt-messagetype']
        },
      },
    ),
  )
  await refused(
    'sign-header-key not matching the signed JSON',
    'VXP_SIGNATURE_INVALID',
    vxpCall(
      endpoint,
      commune,
      'getAgenciesList',
      {},
      {
        tamper: (h) => {
          h['XroadVnpt-sign-header-key'] += ';docId'
        },
      },
    ),
  )
  await refused(
    'no signature headers at all',
    'VXP_SIGNATURE_INVALID',
    vxpCall(
      endpoint,
      commune,
      'getAgenciesList',
      {},
      {
        tamper: (h) => {
          delete h['XroadVnpt-sign-header']
          delete h['XroadVnpt-hash-header']
        },
      },
    ),
  )

  await refused('stale timestamp (6 min old)', 'VXP_TIMESTAMP_REFUSED', vxpCall(endpoint, commune, 'getAgenciesList', {}, { at: new Date(Date.now() - 6 * 60_000) }))
  await refused('timestamp from the future (6 min ahead)', 'VXP_TIMESTAMP_REFUSED', vxpCall(endpoint, commune, 'getAgenciesList', {}, { at: new Date(Date.now() + 6 * 60_000) }))
  await refused('timestamp written in UTC instead of local time', 'VXP_TIMESTAMP_REFUSED', vxpCall(endpoint, commune, 'getAgenciesList', {}, { offsetMinutes: 0 }))
  const fresh = await vxpCall(endpoint, commune, 'getAgenciesList', {}, { at: new Date(Date.now() - 4 * 60_000) })
  t.equal(fresh.json?.status, 'OK', 'a timestamp 4 min old is inside the ±5 min window')

  // the SDK's captured vector (VXP-WIRE.md): secret s3cr3t, system vxp.test — the HMAC passes, the 2026-12-01
  // 19:59:55 timestamp does not (unless the test runs within 5 minutes of it)
  const { saveVxpSystem, secretBoxKey } = await import('../../src/store/vxp-systems-repo.ts')
  await saveVxpSystem(gw.rt.db, secretBoxKey(gw.rt.config), { systemId: 'vxp.test', name: 'captured SDK vector', organIds: [COMMUNE], secret: 's3cr3t' })
  const vector = {
    'XroadVnpt-systemid': 'vxp.test',
    'XroadVnpt-servicetype': 'eDoc',
    'XroadVnpt-messagetype': 'edoc',
    'XroadVnpt-timestamp': '01122026T195955+0059',
    'XroadVnpt-Content-Type': 'application/json',
    'Content-Type': 'application/json',
    'XroadVnpt-sign-header-key': 'systemid;servicetype;messagetype;timestamp;Content-Type',
    'XroadVnpt-sign-header':
      '{"XroadVnpt-systemid":"vxp.test","XroadVnpt-servicetype":"eDoc","XroadVnpt-messagetype":"edoc","XroadVnpt-timestamp":"01122026T195955+0059","XroadVnpt-Content-Type":"application/json"}',
    'XroadVnpt-hash-header': 'c7182b56dcb2b581a8ea5b349967f0ce71988e87bf3dc6694b9f03808d5c549c',
  }
  const captured = (await (await fetch(`${endpoint}/getReceivedEdocList`, { method: 'POST', headers: vector })).json()) as { ErrorCode: string }
  t.not(captured.ErrorCode, 'VXP_SIGNATURE_INVALID', "the captured SDK request verifies (its HMAC is the SDK's own)")

  // replay: the exact same signed request a second time
  const headers = sdkHeaders(commune, { servicetype: 'eDoc', messagetype: 'edoc', 'Content-Type': 'application/json' })
  const first = (await (await fetch(`${endpoint}/getReceivedEdocList`, { method: 'POST', headers, body: '' })).json()) as { status: string }
  t.equal(first.status, 'OK', 'the first use of a signature is accepted')
  const replay = fetch(`${endpoint}/getReceivedEdocList`, { method: 'POST', headers, body: '' }).then(async (r) => {
    const text = await r.text()
    return { http: r.status, contentType: r.headers.get('content-type'), json: JSON.parse(text) as Record<string, unknown>, text }
  })
  await refused('replayed signature', 'VXP_REPLAYED', replay)

  const pkg = await freshPackage()
  await refused('wrong hash-file', 'VXP_HASH_FILE_MISMATCH', vxpCall(endpoint, commune, 'sendEdoc', { ...send, 'hash-file': '0'.repeat(64) }, { body: pkg }))
  await refused(
    'hash-file of other bytes (multipart)',
    'VXP_HASH_FILE_MISMATCH',
    vxpCall(endpoint, commune, 'sendEdoc', { ...send, 'hash-file': 'ab'.repeat(32) }, { body: pkg, upload: 'multipart' }),
  )
  const padded = await vxpCall(endpoint, commune, 'sendEdoc', send, { body: pkg, paddedHashFile: true })
  t.equal(padded.json?.status, 'OK', 'the padded hash-file rendering is accepted too')

  await refused('unknown system', 'UNAUTHENTICATED', vxpCall(endpoint, { systemId: 'vxp.nobody', secret: 'x' }, 'getAgenciesList'))
  const province = creds[PROVINCE]!
  t.equal(((await (await gw.call('operator', 'POST', `/v1/ops/vxp-systems/${province.systemId}/disable`)).json()) as { system: { disabled: boolean } }).system.disabled, true)
  await refused('disabled system', 'UNAUTHENTICATED', vxpCall(endpoint, province, 'getAgenciesList'))
  await gw.call('operator', 'POST', `/v1/ops/vxp-systems/${province.systemId}/enable`)
  t.equal((await vxpCall(endpoint, province, 'getAgenciesList')).json?.status, 'OK', 'enabled again')
  const rotated = (await (await gw.call('operator', 'POST', `/v1/ops/vxp-systems/${province.systemId}/rotate`)).json()) as { secret: string }
  await refused('the secret before rotation', 'VXP_SIGNATURE_INVALID', vxpCall(endpoint, province, 'getAgenciesList'))
  t.equal((await vxpCall(endpoint, { systemId: province.systemId, secret: rotated.secret }, 'getAgenciesList')).json?.status, 'OK', 'the rotated secret works')

  const before = await documents()
  await refused(
    "header from outside the system's OrganIds",
    'SENDER_NOT_ALLOWED',
    vxpCall(endpoint, commune, 'sendEdoc', { ...send, from: PROVINCE }, { body: await freshPackage() }),
  )
  const other = Buffer.from((await freshPackage()).toString('utf8').replaceAll('000.21.30.H41', '000.22.31.H41'), 'utf8')
  await refused(
    "package From outside the system's OrganIds",
    'SENDER_NOT_ALLOWED',
    vxpCall(endpoint, commune, 'sendEdoc', { servicetype: 'eDoc', messagetype: 'edoc' }, { body: other }),
  )
  await refused('a body over BODY_LIMIT', 'PAYLOAD_TOO_LARGE', vxpCall(endpoint, commune, 'sendEdoc', send, { body: Buffer.alloc(20 * 1024, 0x20) }))
  await refused('not XML', 'XML_MALFORMED', vxpCall(endpoint, commune, 'sendEdoc', send, { body: Buffer.from('this is not edXML') }))
  await refused('a status package sent as messagetype=edoc', 'BAD_REQUEST', vxpCall(endpoint, commune, 'sendEdoc', send, { body: fixture('edxml/status-01-h41.edxml') }))
  t.equal(await documents(), before, 'no refused sendEdoc stored anything')

  await refused("getEdoc of another agency's item", 'DOCUMENT_NOT_FOUND', vxpCall(endpoint, commune, 'getEdoc', { docId: '00000000-0000-4000-8000-000000000000' }))
  await refused('updateStatus with an unknown status', 'BAD_REQUEST', vxpCall(endpoint, commune, 'updateStatus', { docid: '00000000-0000-4000-8000-000000000000', status: 'read' }))
  await refused('unknown operation', 'NOT_FOUND', vxpCall(endpoint, commune, 'sendDocument'))
  const get = await fetch(`${endpoint}/getEdoc`)
  const getText = await get.text()
  t.match(get.headers.get('content-type'), /^application\/json/, 'GET without any header: JSON too')
  t.match(JSON.parse(getText), { status: 'FAIL', ErrorCode: 'UNAUTHENTICATED' })

  // /metrics reads the outcome from the JSON answer (HTTP is 200 either way)
  const { families } = await scrape(gw.url)
  t.equal(sum(samples(families, 'lgsp_documents_accepted_total', { surface: 'vxp' })), 1, 'one sendEdoc accepted (the padded hash-file one)')
  t.equal(sum(samples(families, 'lgsp_documents_refused_total', { surface: 'vxp', code: 'VXP_HASH_FILE_MISMATCH' })), 2, 'refusals counted by their code')
  t.equal(sum(samples(families, 'lgsp_documents_refused_total', { surface: 'vxp', code: 'SENDER_NOT_ALLOWED' })), 2)
})

t.test('authentication happens before the body is read', async (t) => {
  const gw = await startGateway(t)
  const { port } = new URL(gw.url)
  // a 5 GB Content-Length and no body: an unauthenticated request is answered at once, from its headers
  const answer = await new Promise<string>((resolve, reject) => {
    const s = net.connect(Number(port), '127.0.0.1', () => {
      s.write(
        `POST /vxp/sendEdoc HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\nContent-Length: 5000000000\r\nXroadVnpt-systemid: vxp.nobody\r\nXroadVnpt-timestamp: ${sdkTimestamp(new Date())}\r\nXroadVnpt-sign-header: {}\r\nXroadVnpt-sign-header-key: \r\nXroadVnpt-hash-header: 00\r\n\r\n`,
      )
    })
    let buf = ''
    const timer = setTimeout(() => {
      s.destroy()
      reject(new Error(`no answer within 3 s: ${buf}`))
    }, 3000)
    s.on('data', (d) => {
      buf += d.toString('utf8')
      if (buf.includes('}')) {
        clearTimeout(timer)
        s.destroy()
        resolve(buf)
      }
    })
    s.on('error', reject)
  })
  t.match(answer, /^HTTP\/1\.1 200/, 'answered without waiting for 5 GB')
  t.match(answer, /"status":"FAIL"/)
  t.match(answer, /"ErrorCode":"UNAUTHENTICATED"/)
})
