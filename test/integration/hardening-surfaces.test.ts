/**
 * Surfaces say one thing: a JWS body carries only the flattened members (an extra unsigned `To` member
 * used to ride along to the recipient's "original"); a SOAP envelope holds one Header and one Body with one
 * operation; the WSDL address comes from PUBLIC_URL, never the Host header; /docs answers with a CSP;
 * METRICS_AUTH=true puts /metrics behind an operator key.
 */
import t from 'tap'
import fs from 'node:fs'
import http from 'node:http'
import { fixture, recordCount, startGateway, testPki } from '../helpers/gateway.ts'
import { modelToJson, xmlToModel } from '../../src/schemas/index.ts'
import { signJws } from '../../src/signing/jws.ts'

const COMMUNE = '000.21.30.H41'

t.test('JWS extra members and SOAP envelopes with two Bodies are refused', async (t) => {
  const gw = await startGateway(t, { signaturePolicy: 'required' })
  const p = await testPki()
  const a = p.agencies.find((x) => x.organId === COMMUNE)!
  const json = JSON.stringify(modelToJson(xmlToModel(fixture('demo/commune-to-province.edxml'))))
  const jws = signJws(json, fs.readFileSync(a.key, 'utf8'), [fs.readFileSync(a.cert, 'utf8'), fs.readFileSync(p.intermediate, 'utf8')], { format: 'flattened' })
  const before = await recordCount(gw.rt.topics.all)
  const smuggled = { ...jws, messageHeader: { to: [{ organId: '000.00.00.G14' }] } }
  const r = await gw.call(COMMUNE, 'POST', '/v1/documents', JSON.stringify(smuggled), { 'content-type': 'application/json' })
  t.equal(r.status, 400, 'a JWS with an extra top-level member: 400')
  t.match(await r.json(), { code: 'BAD_REQUEST', detail: /messageHeader/ })
  t.equal(await recordCount(gw.rt.topics.all), before, 'nothing reached Kafka')
  t.equal((await gw.call(COMMUNE, 'POST', '/v1/documents', JSON.stringify(jws), { 'content-type': 'application/json' })).status, 202, 'the JWS alone is accepted')

  const op = '<l:GetPendingDocuments xmlns:l="urn:lien-thong:soap:v1"/>'
  const env = (inner: string) => `<?xml version="1.0"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">${inner}</soap:Envelope>`
  const soap = async (body: string) => {
    const res = await gw.call(COMMUNE, 'POST', '/soap', body, { 'content-type': 'text/xml', soapaction: '"urn:lien-thong:soap:v1/GetPendingDocuments"' })
    return { status: res.status, code: /<l:code>([A-Z_]+)<\/l:code>/.exec(await res.text())?.[1] }
  }
  t.same(await soap(env(`<soap:Body>${op}</soap:Body><soap:Body>${op}</soap:Body>`)), { status: 500, code: 'BAD_REQUEST' }, 'two Bodies')
  t.same(await soap(env(`<soap:Header/><soap:Header/><soap:Body>${op}</soap:Body>`)), { status: 500, code: 'BAD_REQUEST' }, 'two Headers')
  t.same(await soap(env(`<soap:Body>${op}</soap:Body><soap:Header/>`)), { status: 500, code: 'BAD_REQUEST' }, 'Header after Body')
  t.same(await soap(env(`<soap:Body>${op}${op}</soap:Body>`)), { status: 500, code: 'BAD_REQUEST' }, 'two operations in the Body')
  t.same(await soap(env(`<soap:Header/><soap:Body>${op}</soap:Body>`)), { status: 200, code: undefined }, 'Header + Body is fine')
})

t.test('WSDL address from PUBLIC_URL; CSP on /docs; METRICS_AUTH', async (t) => {
  const gw = await startGateway(t, { publicUrl: 'https://lgsp.example.gov.vn', metricsAuth: true })
  // node:http, not fetch: fetch may not send a Host header of the caller's choosing
  const text = await new Promise<string>((resolve, reject) => {
    http
      .get(`${gw.url}/soap?wsdl`, { headers: { host: 'evil.example' } }, (res) => {
        let b = ''
        res
          .on('data', (c: Buffer) => {
            b += c.toString('utf8')
          })
          .on('end', () => resolve(b))
      })
      .on('error', reject)
  })
  t.notMatch(text, /evil\.example/, 'the Host header does not reach the WSDL')
  t.match(text, /location="https:\/\/lgsp\.example\.gov\.vn\/soap"/, 'the address is PUBLIC_URL')

  for (const p of ['/docs', '/docs/static/index.html']) {
    const d = await fetch(`${gw.url}${p}`, { redirect: 'manual' })
    const csp = d.headers.get('content-security-policy') ?? ''
    t.match(csp, /default-src 'self'/, `${p}: CSP default-src 'self'`)
    t.match(csp, /object-src 'none'/, `${p}: CSP object-src 'none'`)
  }

  t.equal((await gw.call(null, 'GET', '/metrics')).status, 401, '/metrics without a key: 401')
  t.equal((await gw.call(COMMUNE, 'GET', '/metrics')).status, 403, '/metrics with a client key: 403')
  const m = await gw.call('operator', 'GET', '/metrics')
  t.equal(m.status, 200, '/metrics with an operator key: 200')
  t.match(await m.text(), /# TYPE/)
})
