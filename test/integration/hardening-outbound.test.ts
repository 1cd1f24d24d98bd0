/**
 * The one outbound HTTP client, against real HTTP servers: an agency endpoint answering 500 with a 100 MB
 * body costs the gateway at most 64 KiB per attempt (the stream is cut; RSS bounded over several push
 * retries); redirects are not followed; one deadline bounds a server that never answers; a push target on a
 * private address not allowed by configuration is refused for good (DLQ, DELIVERY_FAILED) without a request.
 */
import t from 'tap'
import http from 'node:http'
import { eventually, fixture, rssGrowthMb, startGateway } from '../helpers/gateway.ts'
import { freePort } from '../helpers/federation.ts'
import { upsertAgencies } from '../../src/store/directory-repo.ts'
import { OutboundRefused, sendOutbound } from '../../src/net/outbound-http.ts'

const COMMUNE = '000.21.30.H41'
const PROVINCE = '000.00.00.H41'

/** A server whose every answer is `status` with `mb` MB of body, written as fast as the client reads it. */
async function hugeAnswers(status: number, mb: number) {
  const port = await freePort()
  let hits = 0
  let bytesSent = 0
  const chunk = Buffer.alloc(64 * 1024, 0x41)
  const server = http.createServer((req, res) => {
    req.resume()
    req.on('end', () => {
      hits++
      res.writeHead(status, { 'content-type': 'text/html', 'content-length': String(mb * 2 ** 20) })
      let left = mb * 16
      const pump = () => {
        while (left > 0) {
          left--
          bytesSent += chunk.length
          if (!res.write(chunk)) return void res.once('drain', pump)
        }
        res.end()
      }
      res.on('close', () => {
        left = 0
      })
      pump()
    })
  })
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', () => r()))
  return {
    url: `http://127.0.0.1:${port}/push`,
    hits: () => hits,
    bytesSent: () => bytesSent,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections()
        server.close(() => r())
      }),
  }
}

t.test('the client reads at most 64 KiB of an answer, follows no redirect, and keeps one deadline', async (t) => {
  const big = await hugeAnswers(500, 100)
  t.teardown(big.close)
  const a = await sendOutbound({ url: big.url, headers: {}, body: 'x', timeoutMs: 10_000, allowPrivate: true })
  t.equal(a.status, 500)
  t.equal(a.truncated, true, 'marked truncated')
  t.ok(Buffer.byteLength(a.body) <= 64 * 1024, `kept ${Buffer.byteLength(a.body)} bytes`)
  await new Promise((r) => setTimeout(r, 200))
  t.ok(big.bytesSent() < 20 * 2 ** 20, `the server could write only ${(big.bytesSent() / 2 ** 20).toFixed(1)} MB of 100 before the stream was cut`)

  const port = await freePort()
  const srv = http.createServer((req, res) => {
    if (req.url === '/redirect') return void res.writeHead(302, { location: 'http://169.254.169.254/' }).end()
    // /hang: never answers
  })
  await new Promise<void>((r) => srv.listen(port, '127.0.0.1', () => r()))
  t.teardown(
    () =>
      new Promise<void>((r) => {
        srv.closeAllConnections()
        srv.close(() => r())
      }),
  )
  const red = await sendOutbound({ url: `http://127.0.0.1:${port}/redirect`, headers: {}, timeoutMs: 5000, allowPrivate: true })
  t.equal(red.status, 302, 'a redirect is returned, not followed')
  const t0 = Date.now()
  await t.rejects(sendOutbound({ url: `http://127.0.0.1:${port}/hang`, headers: {}, timeoutMs: 500, allowPrivate: true }), /timed out after 500 ms/)
  t.ok(Date.now() - t0 < 2000, 'the deadline holds')
  await t.rejects(sendOutbound({ url: `http://127.0.0.1:${port}/redirect`, headers: {}, timeoutMs: 500, allowPrivate: false }), OutboundRefused, 'loopback refused unless allowed')
})

t.test('push: a 100 MB error answer on every retry keeps memory bounded; a private target not allowed goes to the DLQ', async (t) => {
  const big = await hugeAnswers(500, 100)
  t.teardown(big.close)
  const gw = await startGateway(t, { retryBaseMs: 100, retryMaxMs: 200, retryPollMs: 50, deliveryMaxAttempts: 100, breakerThreshold: 1000, deliveryTimeoutMs: 10_000 })
  const province = gw.rt.directory().get(PROVINCE)!
  await upsertAgencies(gw.rt.db, [{ ...province, endpoint: { kind: 'http', url: big.url } }])
  await gw.rt.reloadDirectory()

  const growthMb = await rssGrowthMb(async () => {
    t.equal((await gw.call(COMMUNE, 'POST', '/v1/documents', await gw.sign(COMMUNE, fixture('demo/commune-to-province.edxml')))).status, 202)
    await eventually(async () => big.hits() >= 4, 60_000, 'four push attempts')
  })
  t.ok(growthMb < 150, `RSS grew by ${growthMb.toFixed(0)} MB over ${big.hits()} attempts answered with 100 MB each (bound 150 MB)`)
  const row = (await gw.rt.db.query<{ last_error: string }>('select last_error from delivery_retries where recipient = $1', [PROVINCE])).rows[0]
  t.match(row?.last_error, /HTTP 500/, 'the attempt is recorded as HTTP 500')
  await gw.stop() // no more retries towards the big server

  // a push target on a private address nobody allowed: refused without a request, permanently
  const gw2 = await startGateway(t, { outboundAllowPrivate: [] })
  const p2 = gw2.rt.directory().get(PROVINCE)!
  await upsertAgencies(gw2.rt.db, [{ ...p2, endpoint: { kind: 'http', url: big.url.replace('/push', '/private') } }])
  await gw2.rt.reloadDirectory()
  const hitsBefore = big.hits()
  const r = await gw2.call(COMMUNE, 'POST', '/v1/documents', await gw2.sign(COMMUNE, fixture('demo/commune-to-province.edxml')))
  const { id } = (await r.json()) as { id: string }
  type View = { recipients: { organId: string; status: string; timeline: { status: string; detail?: { error?: string; reason?: string } }[] }[] }
  const leg = await eventually(
    async () => {
      const v = (await (await gw2.call(COMMUNE, 'GET', `/v1/documents/${id}`)).json()) as View
      const l = v.recipients.find((x) => x.organId === PROVINCE)
      return l?.status === 'DELIVERY_FAILED' ? l : null
    },
    30_000,
    'DELIVERY_FAILED for the private push target',
  )
  t.match(JSON.stringify(leg.timeline.find((e) => e.status === 'DELIVERY_FAILED')), /private|loopback/, 'the failure names the SSRF refusal')
  t.equal(big.hits(), hitsBefore, 'no request reached the private address')
})
