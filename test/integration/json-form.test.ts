/**
 * REST format bridging and attachments end to end, through real Kafka, PostgreSQL and HTTP:
 * a document sent in JSON form is read as edXML by its recipient and that edXML validates against the
 * national XSD; an edXML document is read as JSON by another recipient; attachments download decoded,
 * named by their AttachmentName (Vietnamese names in RFC 5987 form).
 */
import crypto from 'node:crypto'
import t from 'tap'
import { eventually, fixture, jwsAs, recordCount, startGateway, type TestGateway } from '../helpers/gateway.ts'
import { EDXML_JSON_EXAMPLE, makeAttachment, modelToJson, modelToXml, validateJson, validateXml, xmlToModel, type EdocPackage } from '../../src/schemas/index.ts'
import { EDOC_JSON_EXAMPLE } from '../../src/gateway/package-body.ts'

const COMMUNE = '000.21.30.H41'
const PROVINCE = '000.00.00.H41'
const VPCP = '000.00.00.G22'

/** The demo document as a model, with its own number so every test sends a distinct DocumentId. */
function demoModel(number: string): EdocPackage {
  const m = xmlToModel(fixture('demo/commune-to-province.edxml')) as EdocPackage
  m.messageHeader.code.codeNumber = number
  m.messageHeader.documentId = `${COMMUNE},2026/11/23,${number}/UBND-VP`
  return m
}

async function inboxItem(gw: TestGateway, who: string, documentUuid: string): Promise<{ id: string; sha256: string }> {
  return eventually(
    async () => {
      const r = (await (await gw.call(who, 'GET', '/v1/inbox?all=true')).json()) as { items: { id: string; documentUuid: string; sha256: string }[] }
      return r.items.find((i) => i.documentUuid === documentUuid)
    },
    30_000,
    `${who}'s inbox item`,
  )
}

const send = async (gw: TestGateway, body: string | Buffer, type: string) => {
  const r = await gw.call(COMMUNE, 'POST', '/v1/documents', body, { 'content-type': type })
  const answer = (await r.json()) as { id: string; sha256: string; code?: string }
  return { status: r.status, answer }
}

t.test('a JSON-form document is read as XSD-valid edXML, an edXML document as JSON', async (t) => {
  const gw = await startGateway(t)

  // --- JSON in, edXML out
  const model = demoModel('201')
  const jsonBytes = Buffer.from(JSON.stringify(await jwsAs(COMMUNE, JSON.stringify(model, null, 1))), 'utf8')
  const sent = await send(gw, jsonBytes, 'application/json; charset=utf-8')
  t.equal(sent.status, 202, 'JSON form accepted')
  t.equal(sent.answer.sha256, crypto.createHash('sha256').update(jsonBytes).digest('hex'), 'the bytes as sent are what is stored')

  const item = await inboxItem(gw, PROVINCE, sent.answer.id)
  const asXml = await gw.call(PROVINCE, 'GET', `/v1/inbox/${item.id}`)
  t.equal(asXml.status, 200)
  t.match(asXml.headers.get('content-type'), /^application\/xml/, 'edXML by default')
  t.equal(asXml.headers.get('x-representation'), 'converted')
  const xml = Buffer.from(await asXml.arrayBuffer())
  const parsed = validateXml(xml) // throws unless the XSD accepts it
  t.equal(parsed.kind, 'edoc', 'the served edXML validates against the national XSD')
  t.same(modelToJson(parsed.model), model, 'and carries exactly the JSON form that was sent')

  const asJsonOriginal = await gw.call(PROVINCE, 'GET', `/v1/inbox/${item.id}`, undefined, { accept: 'application/json' })
  t.match(asJsonOriginal.headers.get('content-type'), /^application\/json/)
  t.equal(asJsonOriginal.headers.get('x-representation'), 'original')
  t.ok(Buffer.from(await asJsonOriginal.arrayBuffer()).equals(jsonBytes), 'a JSON reader gets the JSON bytes as sent')

  // --- edXML in, JSON out (another recipient)
  const doc = await gw.sign(COMMUNE, fixture('demo/commune-to-province.edxml'))
  const sentXml = await send(gw, doc, 'application/xml')
  t.equal(sentXml.status, 202)
  const vpcpItem = await inboxItem(gw, VPCP, sentXml.answer.id)
  const asJson = await gw.call(VPCP, 'GET', `/v1/inbox/${vpcpItem.id}`, undefined, { accept: 'application/json, application/xml;q=0.5' })
  t.equal(asJson.status, 200)
  t.match(asJson.headers.get('content-type'), /^application\/json/)
  t.equal(asJson.headers.get('x-representation'), 'converted')
  t.match(asJson.headers.get('vary'), /accept/i)
  const json = await asJson.json()
  t.same(validateJson(json), xmlToModel(doc), 'the JSON form of the edXML sender, valid against the JSON Schema')
  const asXmlOriginal = await gw.call(VPCP, 'GET', `/v1/inbox/${vpcpItem.id}`, undefined, { accept: '*/*' })
  t.ok(Buffer.from(await asXmlOriginal.arrayBuffer()).equals(doc), 'the edXML reader still gets the exact bytes')
  t.ok(asXmlOriginal.headers.get('digest'), 'with the digest of those bytes')

  // --- replay of the JSON form answers the same
  const again = await send(gw, jsonBytes, 'application/json')
  t.equal(again.status, 202)
  t.same(again.answer, sent.answer, 'same answer for the same JSON bytes')
})

t.test('JSON-form refusals are coded and nothing reaches Kafka', async (t) => {
  const gw = await startGateway(t)
  const before = await recordCount(gw.rt.topics.all)
  const expect = async (body: string, status: number, code: string, who = COMMUNE) => {
    const r = await gw.call(who, 'POST', '/v1/documents', body, { 'content-type': 'application/json' })
    t.equal(r.status, status, `${code}: HTTP ${status}`)
    t.match(r.headers.get('content-type'), /application\/problem\+json/)
    const p = (await r.json()) as { code: string; errors?: { path?: string }[] }
    t.equal(p.code, code)
    return p
  }
  await expect('{"kind": "edoc",', 400, 'BAD_REQUEST')
  const m = demoModel('202') as unknown as { messageHeader: Record<string, unknown> }
  delete m.messageHeader.subject
  const p = await expect(JSON.stringify(m), 422, 'EDXML_SCHEMA_INVALID')
  t.ok(p.errors?.length, 'with findings')
  await expect(JSON.stringify(demoModel('203')), 403, 'SENDER_NOT_ALLOWED', PROVINCE)
  await expect(JSON.stringify(EDXML_JSON_EXAMPLE), 400, 'BAD_REQUEST') // a status package belongs on /v1/status
  t.equal(await recordCount(gw.rt.topics.all), before, 'no refused document reached Kafka')
})

t.test('attachments download decoded, named by their AttachmentName', async (t) => {
  const gw = await startGateway(t)
  const pdf = Buffer.concat([Buffer.from('%PDF-1.7\n'), crypto.randomBytes(4096)])
  const name = 'Công văn số 12 (bản ký số) – Quỳnh Thạch.pdf'
  const a = makeAttachment({ contentId: 'vanban-1', attachmentName: name, contentType: 'application/pdf', description: 'Văn bản chính', data: pdf })
  const m = demoModel('204')
  m.manifest = { version: '1.0', reference: [a.reference] }
  m.attachments = [a.attachment]
  const sent = await send(gw, await gw.sign(COMMUNE, modelToXml(m)), 'application/xml')
  t.equal(sent.status, 202)
  const item = await inboxItem(gw, PROVINCE, sent.answer.id)

  const list = (await (await gw.call(PROVINCE, 'GET', `/v1/inbox/${item.id}/attachments`)).json()) as { items: { contentId: string; attachmentName: string; size: number }[] }
  t.same(
    list.items.map((i) => [i.contentId, i.attachmentName, i.size]),
    [['vanban-1', name, pdf.length]],
  )

  for (const cid of ['vanban-1', 'cid:vanban-1', 'CID:vanban-1']) {
    const r = await gw.call(PROVINCE, 'GET', `/v1/inbox/${item.id}/attachments/${encodeURIComponent(cid)}`)
    t.equal(r.status, 200, `download by ${cid}`)
    t.ok(Buffer.from(await r.arrayBuffer()).equals(pdf), 'the decoded bytes')
    t.match(r.headers.get('content-type'), /^application\/pdf/)
    const cd = r.headers.get('content-disposition') ?? ''
    t.match(cd, /^attachment; filename="Cong van so 12 \(ban ky so\) _ Quynh Thach\.pdf"; filename\*=UTF-8''/, 'ASCII fallback')
    t.equal(decodeURIComponent(/filename\*=UTF-8''(.+)$/.exec(cd)![1]!), name, 'RFC 5987 name')
  }
  const missing = await gw.call(PROVINCE, 'GET', `/v1/inbox/${item.id}/attachments/nope`)
  t.equal(missing.status, 404)
  t.equal(((await missing.json()) as { code: string }).code, 'NOT_FOUND')
  t.equal((await gw.call(COMMUNE, 'GET', `/v1/inbox/${item.id}/attachments/vanban-1`)).status, 404, 'only the recipient')

  // the QCVN practice: a ZIP inside, served as it is (ContentId "1" in AttachmentEncoded, "cid:1" in the manifest)
  const zipModel = xmlToModel(fixture('edxml/edoc-zip-attachment.edxml')) as EdocPackage
  delete zipModel.signature // a sample signature that does not verify; the attachment is what matters here
  const zipDoc = await gw.sign(COMMUNE, modelToXml(zipModel))
  const zipSent = await send(gw, zipDoc, 'application/xml')
  t.equal(zipSent.status, 202)
  const zipItem = await inboxItem(gw, VPCP, zipSent.answer.id)
  const z = await gw.call(VPCP, 'GET', `/v1/inbox/${zipItem.id}/attachments/cid:1`)
  t.equal(z.status, 200)
  const zip = Buffer.from(await z.arrayBuffer())
  t.equal(zip.subarray(0, 4).toString('latin1'), 'PK\u0003\u0004', 'the ZIP bytes as-is')
  t.match(z.headers.get('content-type'), /^application\/zip/)
  t.match(z.headers.get('content-disposition'), /filename="cong-van-12\.txt"/)
})

t.test('the OpenAPI document describes the JSON form with an example', async (t) => {
  const gw = await startGateway(t)
  const spec = (await (await gw.call(null, 'GET', '/openapi.json')).json()) as {
    paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: unknown; example?: unknown }> } }>>
  }
  const body = spec.paths['/v1/documents']!.post!.requestBody!.content
  t.ok(body['application/xml'], 'edXML body')
  t.ok(body['application/json']?.schema, 'JSON form schema')
  t.same(body['application/json']?.example, EDOC_JSON_EXAMPLE)
  t.ok(spec.paths['/v1/status']?.post?.requestBody?.content['application/json']?.example, 'status example')
  t.ok(spec.paths['/v1/inbox/{id}/attachments/{contentId}'], 'attachment download documented')
  t.doesNotThrow(() => validateJson(EDOC_JSON_EXAMPLE), 'the documented edoc example is a valid JSON-form package')
})
