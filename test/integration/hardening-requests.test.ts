/**
 * No unauthenticated work and no unbounded requests, over real sockets: /soap answers a missing key before
 * reading the envelope (a 64 MiB Content-Length with 64 KiB sent is answered at once; 20 unauthenticated
 * 8 MiB envelopes leave memory where it was); a sender trickling its body is cut off with 408
 * REQUEST_TIMEOUT on REST and SOAP; one API key over its concurrency or per-minute budget gets 429
 * RATE_LIMITED with Retry-After while another key is unaffected.
 */
import t from 'tap'
import net from 'node:net'
import { fixture, rssGrowthMb, startGateway, type TestGateway } from '../helpers/gateway.ts'

const COMMUNE = '000.21.30.H41'
const PROVINCE = '000.00.00.H41'

/** Sends the head and `body` (optionally one byte every `dripMs`), resolves with the raw answer (or '' when none came in `waitMs`). */
function rawRequest(gw: TestGateway, head: string, body: Buffer, o: { dripMs?: number; waitMs: number }): Promise<{ text: string; ms: number }> {
  const { port } = new URL(gw.url)
  const t0 = Date.now()
  return new Promise((resolve) => {
    const s = net.connect(Number(port), '127.0.0.1')
    let text = ''
    let drip: NodeJS.Timeout | undefined
    const finish = () => {
      clearInterval(drip)
      clearTimeout(timer)
      s.destroy()
      resolve({ text, ms: Date.now() - t0 })
    }
    const timer = setTimeout(finish, o.waitMs)
    s.on('data', (d) => {
      text += d.toString('latin1')
      if (/\r\n\r\n/.test(text) && (text.includes('</soap:Envelope>') || text.trimEnd().endsWith('}'))) finish()
    })
    s.on('error', () => {})
    s.on('close', finish)
    s.write(head)
    if (o.dripMs) {
      let i = 0
      drip = setInterval(() => {
        if (i < body.length && !s.destroyed) s.write(body.subarray(i, ++i))
      }, o.dripMs)
    } else s.write(body)
  })
}
const soapHead = (len: number, key?: string) =>
  `POST /soap HTTP/1.1\r\nHost: x\r\nContent-Type: text/xml\r\nSOAPAction: "urn:lien-thong:soap:v1/GetPendingDocuments"\r\nContent-Length: ${len}\r\n${key ? `Authorization: Bearer ${key}\r\n` : ''}\r\n`
const env = (inner: string) => `<?xml version="1.0"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>${inner}</soap:Body></soap:Envelope>`

t.test('/soap refuses a missing key before reading the envelope', async (t) => {
  const gw = await startGateway(t)
  const r = await rawRequest(gw, soapHead(64 * 1024 * 1024), Buffer.alloc(64 * 1024, 0x20), { waitMs: 5000 })
  t.match(r.text, /^HTTP\/1\.1 500/, 'a SOAP Fault')
  t.match(r.text, /<l:code>UNAUTHENTICATED<\/l:code>/, 'UNAUTHENTICATED')
  t.ok(r.ms < 4500, `answered in ${r.ms} ms without waiting for the 64 MiB body`)
  for (const p of ['/v1/documents', '/v1/status']) {
    const rest = await rawRequest(
      gw,
      `POST ${p} HTTP/1.1\r\nHost: x\r\nContent-Type: application/xml\r\nContent-Length: ${64 * 1024 * 1024}\r\n\r\n`,
      Buffer.alloc(64 * 1024, 0x20),
      { waitMs: 5000 },
    )
    t.match(rest.text, /^HTTP\/1\.1 401/, `REST ${p}: 401 before the body`)
    t.ok(rest.ms < 4500, `REST ${p}: answered in ${rest.ms} ms`)
  }

  // many large unauthenticated envelopes: the gateway does not buffer or parse them
  const big = Buffer.from(env(`<l:GetPendingDocuments xmlns:l="urn:lien-thong:soap:v1"><l:x>${'A'.repeat(8 * 1024 * 1024)}</l:x></l:GetPendingDocuments>`))
  let answers: { text: string }[] = []
  const growthMb = await rssGrowthMb(async () => {
    answers = await Promise.all(Array.from({ length: 20 }, () => rawRequest(gw, soapHead(big.length), big, { waitMs: 15_000 })))
  })
  t.equal(answers.filter((a) => a.text.includes('<l:code>UNAUTHENTICATED</l:code>')).length, 20, 'all 20 refused as UNAUTHENTICATED')
  t.ok(growthMb < 100, `RSS grew by ${growthMb.toFixed(0)} MB for 160 MB of unauthenticated envelopes (bound 100 MB)`)
})

t.test('a body trickling in is cut off with 408 REQUEST_TIMEOUT (REST and SOAP)', async (t) => {
  const gw = await startGateway(t, { requestTimeoutMs: 1500 })
  const body = fixture('demo/commune-to-province.edxml')
  const rest = await rawRequest(
    gw,
    `POST /v1/documents HTTP/1.1\r\nHost: x\r\nContent-Type: application/xml\r\nContent-Length: ${body.length}\r\nAuthorization: Bearer ${gw.creds[COMMUNE]}\r\n\r\n`,
    body,
    { dripMs: 100, waitMs: 8000 },
  )
  t.match(rest.text, /^HTTP\/1\.1 408/, 'REST: 408')
  t.match(rest.text, /"code":"REQUEST_TIMEOUT"/, 'REST: REQUEST_TIMEOUT')
  // the 408 itself shows the cut; the bound (4 × the timeout, under the 8 s wait) that it came near the timeout
  // rather than when the sender gave up, with room for a loaded machine
  t.ok(rest.ms < 6000, `REST: cut off after ${rest.ms} ms`)
  const s = Buffer.from(env('<l:GetPendingDocuments xmlns:l="urn:lien-thong:soap:v1"/>'))
  const soap = await rawRequest(gw, soapHead(s.length, gw.creds[COMMUNE]), s, { dripMs: 100, waitMs: 8000 })
  t.match(soap.text, /<l:code>REQUEST_TIMEOUT<\/l:code>/, 'SOAP: a Fault with REQUEST_TIMEOUT')
  t.ok(soap.ms < 6000, `SOAP: cut off after ${soap.ms} ms`)
  const ok = await gw.call(COMMUNE, 'GET', '/v1/inbox')
  t.equal(ok.status, 200, 'a normal request still passes')
})

t.test('per-key concurrency and rate limits: 429 with Retry-After, other keys unaffected', async (t) => {
  // two gateways, one limit each, so that the concurrency check spends no rate budget
  const [byConcurrency, byRate] = await Promise.all([
    startGateway(t, { clientMaxConcurrency: 2, clientRatePerMinute: 0, requestTimeoutMs: 5000 }),
    startGateway(t, { clientRatePerMinute: 8 }),
  ])
  const gw = byConcurrency
  const body = fixture('demo/commune-to-province.edxml')
  const head = `POST /v1/documents HTTP/1.1\r\nHost: x\r\nContent-Type: application/xml\r\nContent-Length: ${body.length}\r\nAuthorization: Bearer ${gw.creds[COMMUNE]}\r\n\r\n`
  // three requests with slow bodies from one key that may have two in flight: whichever is counted third
  // is refused at once, before its body, and the other two are held until REQUEST_TIMEOUT_MS cuts them off
  // (no timing assumed: the order in which their headers are read does not matter)
  const held = [0, 1, 2].map(() => rawRequest(gw, head, body, { dripMs: 200, waitMs: 15_000 }))
  const first = await Promise.race(held)
  t.match(first.text, /^HTTP\/1\.1 429/, 'the third concurrent request: 429, answered first')
  t.match(first.text, /"code":"RATE_LIMITED"/)
  t.match(first.text, /\r\nretry-after: [1-9]\d*\r\n/i, 'Retry-After in seconds')
  t.equal((await gw.call(PROVINCE, 'GET', '/v1/inbox')).status, 200, 'another key is unaffected')
  const answers = (await Promise.all(held)).map((a) => a.text.slice(9, 12)).sort()
  t.same(answers, ['408', '408', '429'], 'the two held requests were cut off with 408')
  t.equal((await gw.call(COMMUNE, 'GET', '/v1/inbox')).status, 200, 'once they are gone, the key is served again')

  // the per-minute budget: 8 pass, then 429 until the next wall-clock minute (src/gateway/request-limits.ts);
  // a minute that rolls over during the test restarts it, which the count allows for instead of waiting
  const minute = () => Math.floor(Date.now() / 60_000)
  const firstMinute = minute()
  let passed = 0
  let last = await byRate.call(COMMUNE, 'GET', '/v1/inbox')
  for (let i = 0; i < 20 && last.status === 200; i++) {
    passed++
    last = await byRate.call(COMMUNE, 'GET', '/v1/inbox')
  }
  t.equal(last.status, 429, 'over the per-minute budget: 429')
  if (minute() === firstMinute) t.equal(passed, 8, 'exactly the budget passed: 8')
  else t.ok(passed >= 8 && passed <= 16, `the minute rolled over during the test: ${passed} passed (8, plus at most a fresh 8)`)
  const ra = Number(last.headers.get('retry-after'))
  t.ok(ra >= 1 && ra <= 60, `Retry-After ${ra} s points at the next minute`)
  t.equal((await byRate.call(PROVINCE, 'GET', '/v1/inbox')).status, 200, 'another key is still unaffected')
})
