/**
 * The SOAP surface end to end, through real Kafka, PostgreSQL and HTTP: a real SOAP client (the `soap`
 * package, its client built from the served WSDL) sends a document, the recipient pulls, reads the exact
 * bytes, acks and sends a 03, and the sender fetches the status; errors are Faults (HTTP 500) carrying
 * the catalogue code; curl with a hand-written SOAP 1.2 envelope works too.
 */
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import t from 'tap'
import * as soap from 'soap'
import { eventually, fixture, recordCount, ROOT, startGateway, type TestGateway } from '../helpers/gateway.ts'
import { buildStatusXml, xmlToModel, modelToXml, type EdocPackage } from '../../src/schemas/index.ts'

const COMMUNE = '000.21.30.H41'
const PROVINCE = '000.00.00.H41'
const VPCP = '000.00.00.G22'
const MIC = '000.00.00.G14'
const DOC_ID = '000.21.30.H41,2026/11/23,125/UBND-VP'
const SOAP_FIXTURES = path.join(ROOT, 'test/fixtures/soap')

/** What the soap package gives back for a SendDocument etc.: plain objects of strings (arrays when repeated). */
type Obj = Record<string, unknown>
const many = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v])

async function clientFor(gw: TestGateway, who: string, opts: { soap12?: boolean } = {}): Promise<soap.Client> {
  const client = await soap.createClientAsync(`${gw.url}/soap?wsdl`, opts.soap12 ? { forceSoap12Headers: true } : {})
  client.setSecurity(new soap.BearerSecurity(gw.creds[who] ?? who))
  return client
}

const call = async (client: soap.Client, op: string, args: Obj): Promise<Obj> => {
  const [result] = await (client as unknown as Record<string, (a: Obj) => Promise<[Obj]>>)[`${op}Async`]!(args)
  return result
}

/** The Fault a soap call ends in: HTTP status, faultcode and the catalogue code from detail/error/code. */
async function fault(p: Promise<unknown>): Promise<{ http: number; faultcode: string; code: string }> {
  try {
    await p
  } catch (e) {
    const err = e as { response?: { status: number }; root?: { Envelope: { Body: { Fault: { faultcode: string; detail: { error: { code: string } } } } } } }
    const f = err.root?.Envelope.Body.Fault
    return { http: err.response?.status ?? 0, faultcode: f?.faultcode ?? '', code: f?.detail?.error?.code ?? '' }
  }
  throw new Error('expected a SOAP Fault')
}

function curl(args: string[]): Promise<{ code: number; stdout: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn('curl', ['-sS', ...args])
    let stdout = ''
    let stderr = ''
    p.stdout.on('data', (d) => (stdout += d))
    p.stderr.on('data', (d) => (stderr += d))
    p.on('error', reject)
    p.on('close', (code) => (code === 0 ? resolve({ code, stdout }) : reject(new Error(`curl exited ${code}: ${stderr}`))))
  })
}

const status03 = (from: string) =>
  buildStatusXml({
    from: { organId: from, organName: `Cơ quan ${from}` },
    responseFor: { organId: COMMUNE, documentId: DOC_ID },
    statusCode: '03',
    description: 'Đã xử lý',
    timestamp: new Date('2026-11-23T05:00:00Z'),
  })

t.test('a SOAP client built from the WSDL sends a document, the recipient reads and answers, the sender fetches the status', async (t) => {
  const gw = await startGateway(t)
  const wsdlRes = await gw.call(null, 'GET', '/soap?wsdl')
  t.equal(wsdlRes.status, 200, 'WSDL served without a key')
  t.match(wsdlRes.headers.get('content-type'), /text\/xml/)
  t.match(await wsdlRes.text(), /soap12:address location="http:\/\/127\.0\.0\.1:\d+\/soap"/, 'soap:address is the configured address (HOST and the port listened on)')

  const sender = await clientFor(gw, COMMUNE)
  t.same(
    Object.keys(sender.describe().LienThong.LienThongSoap11).sort(),
    ['AcknowledgeDocument', 'GetDocument', 'GetDocumentStatus', 'GetPendingDocuments', 'SendDocument', 'SendStatus'],
    'six operations',
  )

  const doc = await gw.sign(COMMUNE, fixture('demo/commune-to-province.edxml'))
  const sent = await call(sender, 'SendDocument', { package: doc.toString('base64') })
  t.equal(sent.documentId, DOC_ID)
  t.same(
    many(sent.recipient as Obj[]).map((r) => r.organId),
    [PROVINCE, VPCP],
  )
  const id = sent.id as string

  // the same bytes again: the first answer, marked replayed, over SOAP as over REST
  const again = await call(sender, 'SendDocument', { package: doc.toString('base64') })
  t.equal(again.id, id)
  t.equal(String(again.replayed), 'true')

  const recipient = await clientFor(gw, PROVINCE)
  const items = await eventually(
    async () => {
      const r = await call(recipient, 'GetPendingDocuments', {})
      return many(r?.item as Obj[] | undefined).length ? many(r.item as Obj[]) : null
    },
    30_000,
    'the pending document',
  )
  t.equal(items.length, 1)
  t.equal(items[0]!.documentUuid, id)
  const got = await call(recipient, 'GetDocument', { id: items[0]!.id })
  t.ok(Buffer.from(got.package as string, 'base64').equals(doc), 'the exact bytes survive the SOAP round trip')
  t.equal(got.representation, 'original')
  const asJson = await call(recipient, 'GetDocument', { id: items[0]!.id, format: 'json' })
  t.same(JSON.parse(Buffer.from(asJson.package as string, 'base64').toString('utf8')), xmlToModel(doc), 'and its JSON form on request')
  const ack = await call(recipient, 'AcknowledgeDocument', { id: items[0]!.id })
  t.equal(ack.status, '01')
  const st = await call(recipient, 'SendStatus', { package: (await gw.sign(PROVINCE, status03(PROVINCE))).toString('base64') })
  t.match(st, { id, statusCode: '03', role: 'recipient', from: PROVINCE })

  const view = await eventually(
    async () => {
      const v = await call(sender, 'GetDocumentStatus', { id })
      const prov = many(v.recipient as Obj[]).find((r) => r.organId === PROVINCE)
      const events = many(prov?.event as Obj[] | undefined).map((e) => e.status)
      return events.includes('01') && events.includes('03') ? v : null
    },
    30_000,
    'the 01 and 03 in the sender status',
  )
  t.equal(view.documentId, DOC_ID)

  // Faults: HTTP 500, the catalogue code in detail/error/code; nothing reaches Kafka
  const before = await recordCount(gw.rt.topics.all)
  const outsider = await clientFor(gw, MIC)
  t.match(
    await fault(call(outsider, 'SendStatus', { package: (await gw.sign(MIC, status03(MIC))).toString('base64') })),
    { http: 500, faultcode: /Client$/, code: 'STATUS_NOT_ALLOWED' },
    'a 03 from a non-recipient',
  )
  t.match(await fault(call(recipient, 'SendDocument', { package: doc.toString('base64') })), { http: 500, code: 'SENDER_NOT_ALLOWED' })
  t.match(await fault(call(sender, 'GetDocumentStatus', { id: '00000000-0000-4000-8000-000000000000' })), { http: 500, code: 'DOCUMENT_NOT_FOUND' })
  t.match(await fault(call(sender, 'SendDocument', { package: Buffer.from('<edXML').toString('base64') })), { code: 'XML_MALFORMED' })
  const nobody = await clientFor(gw, 'lgsp_not-a-key')
  t.match(await fault(call(nobody, 'GetPendingDocuments', {})), { http: 500, code: 'UNAUTHENTICATED' })
  t.equal(await recordCount(gw.rt.topics.all), before, 'no refused call reached Kafka')

  // the SOAP 1.2 binding through the same client library
  const s12 = await clientFor(gw, PROVINCE, { soap12: true })
  const pending12 = await call(s12, 'GetPendingDocuments', { includeAcked: true })
  t.equal(many(pending12.item as Obj[]).length, 1, 'SOAP 1.2 request answered')
})

t.test('curl with a hand-written SOAP 1.2 envelope', async (t) => {
  const gw = await startGateway(t)
  const m = xmlToModel(fixture('demo/commune-to-province.edxml')) as EdocPackage
  m.messageHeader.code.codeNumber = '301'
  m.messageHeader.documentId = `${COMMUNE},2026/11/23,301/UBND-VP`
  const pkg = await gw.sign(COMMUNE, modelToXml(m))
  const envelope = fs.readFileSync(path.join(SOAP_FIXTURES, 'send-document-soap12.xml'), 'utf8').replace('{{PACKAGE_BASE64}}', pkg.toString('base64'))
  const dir = t.testdir({ 'send.xml': envelope, 'status.xml': fs.readFileSync(path.join(SOAP_FIXTURES, 'get-document-status-soap12.xml'), 'utf8') })

  const out = await curl([
    '-X',
    'POST',
    `${gw.url}/soap`,
    '-H',
    'Content-Type: application/soap+xml; charset=utf-8; action="urn:lien-thong:soap:v1/SendDocument"',
    '-H',
    `Authorization: Bearer ${gw.creds[COMMUNE]}`,
    '--data-binary',
    `@${path.join(dir, 'send.xml')}`,
    '-w',
    '\n%{http_code} %{content_type}',
  ])
  const [body, meta] = [out.stdout.slice(0, out.stdout.lastIndexOf('\n')), out.stdout.slice(out.stdout.lastIndexOf('\n') + 1)]
  t.match(meta, /^200 application\/soap\+xml/, 'SOAP 1.2 answer', { body })
  t.match(body, /<soap:Envelope xmlns:soap="http:\/\/www\.w3\.org\/2003\/05\/soap-envelope">/)
  const id = /<l:id>([^<]+)<\/l:id>/.exec(body)?.[1]
  t.ok(id, 'SendDocumentResponse carries the id')
  t.match(body, /<l:documentId>000\.21\.30\.H41,2026\/11\/23,301\/UBND-VP<\/l:documentId>/)

  const statusEnv = path.join(dir, 'status.xml')
  fs.writeFileSync(statusEnv, fs.readFileSync(statusEnv, 'utf8').replace('{{ID}}', id!))
  const st = await curl([
    '-X',
    'POST',
    `${gw.url}/soap`,
    '-H',
    'Content-Type: application/soap+xml; charset=utf-8',
    '-H',
    `Authorization: Bearer ${gw.creds[COMMUNE]}`,
    '--data-binary',
    `@${statusEnv}`,
  ])
  t.match(st.stdout, /<l:GetDocumentStatusResponse/)
  t.match(st.stdout, /<l:organId>000\.00\.00\.H41<\/l:organId>/)

  // a 1.2 Fault: HTTP 500, env:Sender, the code in Detail
  const f = await curl([
    '-X',
    'POST',
    `${gw.url}/soap`,
    '-H',
    'Content-Type: application/soap+xml; charset=utf-8',
    '-H',
    `Authorization: Bearer ${gw.creds[VPCP]}`,
    '--data-binary',
    `@${statusEnv}`,
    '-w',
    '\n%{http_code}',
  ])
  t.match(f.stdout, /<soap:Value>soap:Sender<\/soap:Value>/)
  t.match(f.stdout, /<soap:Detail><l:error xmlns:l="urn:lien-thong:soap:v1"><l:code>DOCUMENT_NOT_FOUND<\/l:code>/)
  t.match(f.stdout, /\n500$/, 'HTTP 500')
})

t.test('the SOAP surface has the same safety gate and refuses what is not SOAP', async (t) => {
  const gw = await startGateway(t)
  const post = (body: string, type: string, extra: Record<string, string> = {}) => gw.call(COMMUNE, 'POST', '/soap', body, { 'content-type': type, ...extra })
  const codeOf = async (r: Response) => {
    const text = await r.text()
    return {
      status: r.status,
      type: r.headers.get('content-type'),
      code: /<l:code>([A-Z_]+)<\/l:code>/.exec(text)?.[1],
      faultcode: /<faultcode>([^<]+)<\/faultcode>/.exec(text)?.[1],
    }
  }
  const env11 = (inner: string) => `<?xml version="1.0"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>${inner}</soap:Body></soap:Envelope>`
  const xxe =
    `<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>` +
    env11('<l:GetPendingDocuments xmlns:l="urn:lien-thong:soap:v1"/>').slice('<?xml version="1.0"?>'.length)
  t.match(await codeOf(await post(xxe, 'text/xml')), { status: 500, code: 'XML_FORBIDDEN_CONSTRUCT', faultcode: 'soap:Client' }, 'DOCTYPE refused')
  const deep = env11(`<l:GetPendingDocuments xmlns:l="urn:lien-thong:soap:v1">${'<a>'.repeat(100)}${'</a>'.repeat(100)}</l:GetPendingDocuments>`)
  t.match(await codeOf(await post(deep, 'text/xml')), { status: 500, code: 'XML_TOO_DEEP' })
  t.match(await codeOf(await post(env11('<l:Nope xmlns:l="urn:lien-thong:soap:v1"/>'), 'text/xml')), { status: 500, code: 'BAD_REQUEST' }, 'unknown operation')
  t.match(
    await codeOf(await post(env11('<l:GetPendingDocuments xmlns:l="urn:lien-thong:soap:v1"/>'), 'text/xml', { soapaction: '"urn:lien-thong:soap:v1/SendDocument"' })),
    { status: 500, code: 'BAD_REQUEST' },
    'SOAPAction that does not match the Body',
  )
  t.match(
    await codeOf(await post(env11('<l:GetPendingDocuments xmlns:l="urn:lien-thong:soap:v1"/>'), 'application/soap+xml')),
    { status: 500, faultcode: undefined, type: /application\/soap\+xml/ },
    'a 1.1 envelope as 1.2 is a VersionMismatch',
  )
  const ok = await post(env11('<l:GetPendingDocuments xmlns:l="urn:lien-thong:soap:v1"/>'), 'text/xml', { soapaction: '"urn:lien-thong:soap:v1/GetPendingDocuments"' })
  t.equal(ok.status, 200, 'a well-formed 1.1 request with the matching SOAPAction')
  t.match(ok.headers.get('content-type'), /^text\/xml/)
})
