/**
 * Signatures on the JSON form: a flattened JWS with an x5c chain, under the same trust rules and
 * sender binding as XML-DSig. With signatures required, an unsigned, tampered or mis-signed JSON package
 * is refused and nothing reaches Kafka; a signed one is delivered and read as schema-valid edXML.
 */
import t from 'tap'
import fs from 'node:fs'
import { eventually, fixture, recordCount, startGateway, testPki } from '../helpers/gateway.ts'
import { xmlToModel, validateXml } from '../../src/schemas/validate.ts'
import { modelToJson } from '../../src/schemas/json.ts'
import { signJws } from '../../src/signing/jws.ts'

const COMMUNE = '000.21.30.H41'
const PROVINCE = '000.00.00.H41'
const VPCP = '000.00.00.G22'

async function jwsAs(organId: string, payload: string) {
  const p = await testPki()
  const a = p.agencies.find((x) => x.organId === organId)!
  return signJws(payload, fs.readFileSync(a.key, 'utf8'), [fs.readFileSync(a.cert, 'utf8'), fs.readFileSync(p.intermediate, 'utf8')], { format: 'flattened' })
}

t.test('the JSON form signed as a JWS crosses the gateway; unsigned or mis-signed JSON is refused', async (t) => {
  const gw = await startGateway(t, { signaturePolicy: 'required' })
  const json = JSON.stringify(modelToJson(xmlToModel(fixture('demo/commune-to-province.edxml'))))
  const post = (body: unknown) => gw.call(COMMUNE, 'POST', '/v1/documents', JSON.stringify(body), { 'content-type': 'application/json' })
  const code = async (r: Response) => ((await r.json()) as { code: string }).code
  const before = await recordCount(gw.rt.topics.all)

  t.equal(await code(await post(JSON.parse(json))), 'SIGNATURE_REQUIRED', 'unsigned JSON form')
  const signed = await jwsAs(COMMUNE, json)
  const tampered = { ...signed, payload: Buffer.from(json.replace('mưa lũ', 'bão'), 'utf8').toString('base64url') }
  t.equal(await code(await post(tampered)), 'SIGNATURE_INVALID', 'payload changed after signing')
  t.equal(await code(await post(await jwsAs(VPCP, json))), 'SIGNER_NOT_SENDER', "another agency's certificate")
  t.equal(await recordCount(gw.rt.topics.all), before, 'nothing reached Kafka')

  const ok = await post(signed)
  t.equal(ok.status, 202)
  const answer = (await ok.json()) as { signature: { signed: boolean; algorithm: string } }
  t.equal(answer.signature.signed, true)
  t.match(answer.signature.algorithm, /RS256|ES256/)

  const item = await eventually(async () => ((await (await gw.call(PROVINCE, 'GET', '/v1/inbox')).json()) as { items: { id: string }[] }).items[0], 30_000, 'delivery')
  const xml = Buffer.from(await (await gw.call(PROVINCE, 'GET', `/v1/inbox/${item.id}`)).arrayBuffer())
  t.equal(validateXml(xml).kind, 'edoc', 'the recipient reads schema-valid edXML')
})
