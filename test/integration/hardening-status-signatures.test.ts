/**
 * Status packages are signed evidence like documents: with SIGNATURE_POLICY=required every surface
 * (REST edXML, REST JSON/JWS, SOAP SendStatus) refuses an unsigned, mis-signed, altered or revoked status
 * with the same codes as a document, nothing of it reaches Kafka, and an accepted status carries its
 * verdict in the answer, on the timeline and in the addressee's status inbox. Requests go through
 * Fastify's inject (same hooks and routes, no socket).
 */
import t from 'tap'
import { fixture as pkiFixture } from '../fixtures/signing/pki-fixture.ts'
import { fingerprintHex, certsFromPem } from '../../src/signing/certs.ts'
import { signEdxml } from '../../src/signing/sign-edxml.ts'
import { signJws } from '../../src/signing/jws.ts'
import { upsertAgencies } from '../../src/store/directory-repo.ts'
import { buildStatusXml, modelToJson, xmlToModel } from '../../src/schemas/index.ts'
import { eventually, fixture, recordCount, startGateway } from '../helpers/gateway.ts'

const COMMUNE = '000.21.30.H41'
const PROVINCE = '000.00.00.H41'
const VPCP = '000.00.00.G22'
const DOC_ID = '000.21.30.H41,2026/11/23,125/UBND-VP'

const status = (from: string, code: string) =>
  buildStatusXml({
    from: { organId: from, organName: `Cơ quan ${from}` },
    responseFor: { organId: COMMUNE, documentId: DOC_ID, code: '125/UBND-VP', promulgationDate: '2026/11/23' },
    statusCode: code,
    description: `Trạng thái ${code}`,
    timestamp: new Date('2026-11-23T03:30:00Z'),
  })

t.test('status packages are signature-checked on every surface, with the codes documents get', async (t) => {
  const fx = await pkiFixture()
  const gw = await startGateway(t, { signaturePolicy: 'required', trustDir: fx.dir })
  const signer = async (organId: string) => fx.agency(organId)
  const sign = async (organId: string, xml: string) => signEdxml(xml, (await signer(organId)).key, (await signer(organId)).chain)
  // the revoked certificate is bound to the commune, so its refusal is about revocation, not binding
  const commune = gw.rt.directory().get(COMMUNE)!
  await upsertAgencies(gw.rt.db, [{ ...commune, certificates: [fingerprintHex(certsFromPem(fx.revoked.cert)[0]), fingerprintHex(certsFromPem((await signer(COMMUNE)).cert)[0])] }])
  await gw.rt.reloadDirectory()

  const doc = await sign(COMMUNE, fixture('demo/commune-to-province.edxml').toString('utf8'))
  const sent = await gw.inject(COMMUNE, 'POST', '/v1/documents', doc)
  t.equal(sent.status, 202, 'the signed document is accepted')
  const { id } = (await sent.json()) as { id: string }

  const code = async (r: Response) => ({ status: r.status, code: ((await r.json()) as { code?: string }).code })
  const post = (who: string, body: string, type = 'application/xml') => gw.inject(who, 'POST', '/v1/status', body, { 'content-type': type })
  const soap = async (who: string, pkg: string) => {
    const env = `<?xml version="1.0"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><l:SendStatus xmlns:l="urn:lien-thong:soap:v1"><l:package>${Buffer.from(pkg).toString('base64')}</l:package></l:SendStatus></soap:Body></soap:Envelope>`
    const r = await gw.inject(who, 'POST', '/soap', env, { 'content-type': 'text/xml', soapaction: '"urn:lien-thong:soap:v1/SendStatus"' })
    return /<l:code>([A-Z_]+)<\/l:code>/.exec(await r.text())?.[1]
  }

  // the document's own records (routing, deliveries, DELIVERED) first, so only the statuses below are counted
  await eventually(
    async () => {
      const v = (await (await gw.inject(COMMUNE, 'GET', `/v1/documents/${id}`)).json()) as { recipients: { status: string }[] }
      return v.recipients.every((r) => r.status === 'DELIVERED')
    },
    30_000,
    'the document delivered to every recipient',
  )
  let before = await recordCount(gw.rt.topics.all)
  for (let settled = 0; settled < 3;) {
    // three equal counts 300 ms apart: the projections have caught up
    await new Promise((r) => setTimeout(r, 300))
    const now = await recordCount(gw.rt.topics.all)
    settled = now === before ? settled + 1 : 0
    before = now
  }
  const signed05 = await sign(PROVINCE, status(PROVINCE, '05'))
  const json03 = JSON.stringify(modelToJson(xmlToModel(status(PROVINCE, '03'))))
  const jws03 = signJws(json03, (await signer(PROVINCE)).key, (await signer(PROVINCE)).chain, { format: 'flattened' })
  t.same(await code(await post(PROVINCE, status(PROVINCE, '03'))), { status: 422, code: 'SIGNATURE_REQUIRED' }, 'an unsigned 03')
  t.same(
    await code(await post(PROVINCE, await sign(VPCP, status(PROVINCE, '04')))),
    { status: 422, code: 'SIGNER_NOT_SENDER' },
    "a 04 signed with VPCP's certificate, From = the province",
  )
  t.same(await code(await post(PROVINCE, signed05.replace('Trạng thái 05', 'Trạng thái 06'))), { status: 422, code: 'SIGNATURE_INVALID' }, 'a signed 05 altered afterwards')
  t.same(
    await code(await post(COMMUNE, signEdxml(status(COMMUNE, '13'), fx.revoked.key, fx.revoked.chain))),
    { status: 422, code: 'CERT_REVOKED' },
    'a recall signed with a revoked certificate',
  )
  t.same(
    await code(await post(PROVINCE, JSON.stringify({ ...jws03, signature: 'garbage' }), 'application/json')),
    { status: 422, code: 'SIGNATURE_INVALID' },
    'a JWS status with signature "garbage"',
  )
  t.same(await code(await post(PROVINCE, json03, 'application/json')), { status: 422, code: 'SIGNATURE_REQUIRED' }, 'an unsigned JSON status')
  t.equal(await soap(PROVINCE, status(PROVINCE, '03')), 'SIGNATURE_REQUIRED', 'SOAP SendStatus: unsigned')
  t.equal(await soap(PROVINCE, await sign(VPCP, status(PROVINCE, '04'))), 'SIGNER_NOT_SENDER', 'SOAP SendStatus: signed by another agency')
  t.equal(await recordCount(gw.rt.topics.all), before, 'no refused status reached Kafka')

  // accepted: the verdict is in the answer, on the timeline and in the sender's status inbox
  const ok = await post(PROVINCE, signed05)
  t.equal(ok.status, 202, 'a correctly signed 05')
  const answer = (await ok.json()) as { signature: { signed: boolean; from: string; signer: { subject: string } } }
  t.match(answer.signature, { signed: true, from: PROVINCE, signer: { subject: /./ } })
  const again = await post(PROVINCE, signed05)
  t.same(await again.json(), answer, 're-posting answers byte for byte the same')
  const okJson = await post(
    VPCP,
    JSON.stringify(signJws(JSON.stringify(modelToJson(xmlToModel(status(VPCP, '03')))), (await signer(VPCP)).key, (await signer(VPCP)).chain, { format: 'flattened' })),
    'application/json',
  )
  t.equal(okJson.status, 202, 'a JWS-signed JSON status')
  t.equal(await soap(PROVINCE, await sign(PROVINCE, status(PROVINCE, '06'))), undefined, 'SOAP SendStatus: a signed 06 is accepted')

  type Item = { statusCode: string; from: string; signature: { signed: boolean; from: string } | null }
  const inbox = await eventually(
    async () => {
      const items = ((await (await gw.inject(COMMUNE, 'GET', '/v1/status-inbox')).json()) as { items: Item[] }).items
      return items.length >= 3 ? items : null
    },
    30_000,
    "the statuses in the sender's status inbox",
  )
  for (const i of inbox) t.match(i.signature, { signed: true, from: i.from }, `status inbox: ${i.statusCode} from ${i.from} shows its verdict`)
  type View = { recipients: { organId: string; timeline: { status: string; detail?: { signature?: { signed: boolean } } }[] }[] }
  const view = (await (await gw.inject(COMMUNE, 'GET', `/v1/documents/${id}`)).json()) as View
  const ev = view.recipients.find((r) => r.organId === PROVINCE)!.timeline.find((e) => e.status === '05')
  t.match(ev?.detail?.signature, { signed: true }, 'the timeline event shows the verdict')
})
