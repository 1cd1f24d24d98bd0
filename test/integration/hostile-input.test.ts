/**
 * Hostile input over real HTTP — a 5 GB Content-Length claim, XXE, billion laughs, 100k-deep
 * nesting — each gets its coded error quickly, nothing reaches Kafka, and the process stays healthy
 * (the next genuine document is accepted).
 */
import t from 'tap'
import net from 'node:net'
import { fixture, recordCount, startGateway } from '../helpers/gateway.ts'

const COMMUNE = '000.21.30.H41'

/** Sends raw bytes on a fresh TCP connection and resolves with the whole answer text and the time taken. */
function raw(url: string, request: string): Promise<{ text: string; ms: number }> {
  const { hostname, port } = new URL(url)
  return new Promise((resolve, reject) => {
    const t0 = Date.now()
    const s = net.connect(Number(port), hostname, () => s.write(request))
    let text = ''
    s.on('data', (c) => {
      text += c.toString('utf8')
      if (/\r\n\r\n[\s\S]*\}/.test(text)) s.destroy()
    })
    s.on('close', () => resolve({ text, ms: Date.now() - t0 }))
    s.on('error', reject)
    s.setTimeout(10_000, () => {
      s.destroy()
      reject(new Error('no answer in 10 s'))
    })
  })
}

t.test('hostile bodies are refused fast with their codes, and the gateway stays healthy', async (t) => {
  const gw = await startGateway(t)
  const key = gw.creds[COMMUNE]
  const before = await recordCount(gw.rt.topics.all)

  const huge = await raw(
    gw.url,
    `POST /v1/documents HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${key}\r\nContent-Type: application/xml\r\nContent-Length: 5368709120\r\n\r\n<edXML>`,
  )
  t.match(huge.text, /^HTTP\/1\.1 413/, '5 GB Content-Length claim: 413')
  t.match(huge.text, /"code":"PAYLOAD_TOO_LARGE"/)
  t.ok(huge.ms < 3000, `answered in ${huge.ms} ms, without reading the body`)

  const post = async (body: string) => {
    const t0 = Date.now()
    const r = await gw.call(COMMUNE, 'POST', '/v1/documents', body)
    return { status: r.status, code: ((await r.json()) as { code: string }).code, ms: Date.now() - t0 }
  }
  const laughs = `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">${Array.from({ length: 9 }, (_, i) => `<!ENTITY lol${i + 1} "${`&lol${i || ''};`.repeat(10)}">`).join('')}]><edXML xmlns="http://www.mic.gov.vn/TBT/QCVN_102_2016">&lol9;</edXML>`
  const xxe = '<?xml version="1.0"?><!DOCTYPE edXML [<!ENTITY x SYSTEM "file:///etc/passwd">]><edXML xmlns="http://www.mic.gov.vn/TBT/QCVN_102_2016">&x;</edXML>'
  const deep = `<edXML xmlns="http://www.mic.gov.vn/TBT/QCVN_102_2016">${'<a>'.repeat(100_000)}${'</a>'.repeat(100_000)}</edXML>`
  for (const [name, body, status, code] of [
    ['billion laughs', laughs, 400, 'XML_FORBIDDEN_CONSTRUCT'],
    ['XXE', xxe, 400, 'XML_FORBIDDEN_CONSTRUCT'],
    ['100k-deep nesting', deep, 400, 'XML_TOO_DEEP'],
  ] as const) {
    const r = await post(body)
    t.equal(r.status, status, `${name}: HTTP ${status}`)
    t.equal(r.code, code, `${name}: ${code}`)
    t.ok(r.ms < 4000, `${name}: answered in ${r.ms} ms`) // an expanded bomb would take minutes and gigabytes
  }
  const soap = await gw.call(
    COMMUNE,
    'POST',
    '/soap',
    `<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope"><soap:Body/></soap:Envelope>`,
    { 'content-type': 'application/soap+xml' },
  )
  t.match(await soap.text(), /XML_FORBIDDEN_CONSTRUCT/, 'the SOAP surface refuses the same way')

  t.equal(await recordCount(gw.rt.topics.all), before, 'nothing reached Kafka')
  t.equal((await gw.call(null, 'GET', '/healthz')).status, 200, 'still healthy')
  t.equal(
    (await gw.call(COMMUNE, 'POST', '/v1/documents', await gw.sign(COMMUNE, fixture('demo/commune-to-province.edxml')))).status,
    202,
    'and the next genuine document is accepted',
  )
})
