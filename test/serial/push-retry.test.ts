/**
 * Push delivery with retries, against real HTTP receivers (node:http) through real Kafka and
 * PostgreSQL. One partition per topic, so every commune recipient shares one partition: the strictest
 * setting for head-of-line blocking.
 *   A  http push: answers 503 twice, then is down (connection refused) for a while, then answers 200 →
 *      delivered exactly once, status 01 emitted by the gateway
 *   B  http push to a port nobody listens on → past max age: DLQ record (original position kept) and
 *      DELIVERY_FAILED on the sender's timeline
 *   C  pull inbox, D  SOAP push (healthy) → not delayed by A and B (asserted with timings)
 */
import t from 'tap'
import type http from 'node:http'
import crypto from 'node:crypto'
import { eventually, recordCount, startGateway } from '../helpers/gateway.ts'
import { edoc, freePort, readTopic } from '../helpers/federation.ts'
import { restartableServer } from '../helpers/restartable-server.ts'
import { pushKey, pushSignature } from '../../src/adapters/http-push.ts'
import type { DeadLetterRecord } from '../../src/bus/topics.ts'

const SENDER = '000.00.00.H41'
const A = '000.23.30.H41'
const B = '000.24.30.H41'
const C = '000.22.31.H41' // demo commune, pull inbox
const D = '000.25.30.H41'

interface Hit {
  at: number
  status: number
  headers: http.IncomingHttpHeaders
  body: Buffer
}

function receiver(port: number, answer: (n: number) => number) {
  const hits: Hit[] = []
  const { start, stop } = restartableServer(port, (req, body, res) => {
    const status = answer(hits.length + 1)
    hits.push({ at: Date.now(), status, headers: req.headers, body })
    res.writeHead(status, { 'content-type': 'text/plain', connection: 'close' }).end(status < 300 ? 'ok' : 'busy')
  })
  return { hits, start, stop }
}

interface View {
  recipients: { organId: string; status: string; timeline: { status: string; at: string; detail?: Record<string, unknown> }[] }[]
}

t.test('push: retries with backoff until delivered once; a dead receiver ends in the DLQ; nobody else waits', async (t) => {
  const [portA, portB, portD] = await Promise.all([freePort(), freePort(), freePort()])
  const gw = await startGateway(t, {
    kafkaPartitions: 1,
    retryBaseMs: 150,
    retryMaxMs: 600,
    deliveryMaxAgeMs: 5000,
    deliveryMaxAttempts: 100,
    breakerThreshold: 3,
    breakerCooldownMs: 400,
    deliveryTimeoutMs: 2000,
    retryPollMs: 50,
  })
  // A: 503, 503, then down for 2 s, then 200
  let downUntil = 0
  const recA = receiver(portA, (n) => (n <= 2 ? 503 : 200))
  await recA.start()
  const recD = receiver(portD, () => 200)
  await recD.start()
  t.teardown(async () => {
    await recA.stop()
    await recD.stop()
  })

  const put = (id: string, name: string, endpoint: string) =>
    gw.call('operator', 'PUT', `/v1/agencies/${id}`, JSON.stringify({ name, tier: 'commune', endpoint }), { 'content-type': 'application/json' })
  t.equal((await put(A, 'UBND xã Quỳnh Lập', `http://127.0.0.1:${portA}/lienthong`)).status, 201)
  t.equal((await put(B, 'UBND xã Quỳnh Hưng', `http://127.0.0.1:${portB}/lienthong`)).status, 201)
  t.equal((await put(D, 'UBND xã Quỳnh Bá', `soap:http://127.0.0.1:${portD}/soap`)).status, 201)

  const doc1 = await gw.sign(SENDER, edoc(SENDER, [A, B, C, D], 701))
  const t0 = Date.now()
  const res = await gw.call(SENDER, 'POST', '/v1/documents', doc1)
  t.equal(res.status, 202)
  const { id } = (await res.json()) as { id: string }
  const view = async (docId: string) => (await (await gw.call(SENDER, 'GET', `/v1/documents/${docId}`)).json()) as View
  const leg = (v: View, who: string) => v.recipients.find((r) => r.organId === who)!

  // A's two 503s, then A goes down
  await eventually(async () => recA.hits.length >= 2, 15_000, 'two failed attempts at A')
  await recA.stop()
  downUntil = Date.now() + 2000
  const tDown = Date.now()

  // C (inbox) and D (SOAP) were not held up by A and B on the same partition
  const v1 = await eventually(
    async () => {
      const v = await view(id)
      return leg(v, C).status === 'DELIVERED' && leg(v, D).status === '01' ? v : null
    },
    10_000,
    'C and D delivered',
  )
  const deliveredAt = (who: string) => Date.parse(leg(v1, who).timeline.find((e) => e.status === 'DELIVERED')!.at)
  t.ok(deliveredAt(C) - t0 < 2000, `C (inbox) delivered ${deliveredAt(C) - t0} ms after the POST`)
  t.ok(deliveredAt(D) - t0 < 2000, `D (SOAP push) delivered ${deliveredAt(D) - t0} ms after the POST`)

  // while A is down and B dead, a second document to C and D goes straight through
  const t2 = Date.now()
  const res2 = await gw.call(SENDER, 'POST', '/v1/documents', await gw.sign(SENDER, edoc(SENDER, [A, C, D], 702)))
  t.equal(res2.status, 202)
  const id2 = ((await res2.json()) as { id: string }).id
  const v2 = await eventually(
    async () => {
      const v = await view(id2)
      return leg(v, C).status === 'DELIVERED' && leg(v, D).status === '01' ? v : null
    },
    10_000,
    'second document at C and D',
  )
  const lag2 = Math.max(...[C, D].map((w) => Date.parse(leg(v2, w).timeline.find((e) => e.status === 'DELIVERED')!.at))) - t2
  t.ok(lag2 < 1500, `second document reached C and D in ${lag2} ms while A was down (not delayed)`)
  t.ok(Date.now() < downUntil, 'A was still down when C and D got the second document')
  t.notOk(
    leg(v2, A).timeline.some((e) => e.status === 'DELIVERED'),
    'A has not received it yet',
  )

  // A comes back: both documents delivered, each exactly once
  await new Promise((r) => setTimeout(r, Math.max(0, downUntil - Date.now())))
  await recA.start()
  const vA = await eventually(
    async () => {
      const [a1, a2] = [leg(await view(id), A), leg(await view(id2), A)]
      return a1.status === '01' && a2.status === '01' ? [a1, a2] : null
    },
    15_000,
    'A delivered after retries',
  )
  t.comment(`A was down ${Date.now() - tDown} ms; delivered after it came back`)
  await new Promise((r) => setTimeout(r, 1500)) // nothing more may arrive
  const ok = recA.hits.filter((h) => h.status === 200)
  const byDelivery = new Map<string, number>()
  for (const h of ok) byDelivery.set(String(h.headers['idempotency-key']), (byDelivery.get(String(h.headers['idempotency-key'])) ?? 0) + 1)
  t.same([...byDelivery.values()], [1, 1], 'each document reached A exactly once (one 2xx per delivery id)')
  // (ACCEPTED and ROUTED may swap: the spine records ACCEPTED after the Kafka send, the router races it)
  t.same(vA[0]!.timeline.map((e) => e.status).slice(2), ['DELIVERED', '01'], 'A timeline: 01 emitted by the gateway on push success')
  const attempt = (vA[0]!.timeline.find((e) => e.status === 'DELIVERED')!.detail as { attempt: number }).attempt
  t.ok(attempt >= 3, `delivered on attempt ${attempt}`)

  // what A received: the exact bytes, idempotency and HMAC headers
  const first = ok.find((h) => h.headers['idempotency-key'] === `${id}:${A}`)!
  t.ok(first.body.equals(doc1), 'A received the exact bytes sent')
  t.equal(first.headers['content-type'], 'application/xml')
  t.equal(first.headers['x-lgsp-delivery-id'], `${id}:${A}`)
  const sha = crypto.createHash('sha256').update(first.body).digest('hex')
  t.equal(first.headers['digest'], `sha-256=${Buffer.from(sha, 'hex').toString('base64')}`)
  t.equal(first.headers['x-lgsp-signature'], pushSignature(pushKey(gw.rt), `${id}:${A}`, String(first.headers['x-lgsp-timestamp']), sha), 'HMAC verifies')
  // what D received over SOAP
  const soap = recD.hits[0]!
  t.equal(soap.headers['soapaction'], '"urn:lgsp:delivery:1#ReceiveDocument"')
  const pkg = /<d:Package>([^<]+)<\/d:Package>/.exec(soap.body.toString('utf8'))![1]!
  t.ok(Buffer.from(pkg, 'base64').equals(doc1), 'D received the exact bytes inside the SOAP envelope')

  // B: past max age → DLQ with the original position, DELIVERY_FAILED on the timeline
  const vB = await eventually(
    async () => {
      const b = leg(await view(id), B)
      return b.status === 'DELIVERY_FAILED' ? b : null
    },
    15_000,
    'B given up',
  )
  const failed = vB.timeline.find((e) => e.status === 'DELIVERY_FAILED')!
  t.match(failed.detail, { reason: 'max-age', dlq: { topic: gw.rt.topics.dlq } })
  const age = Date.parse(failed.at) - Date.parse(vB.timeline[0]!.at)
  t.ok(age >= 5000 && age < 9000, `B given up ${age} ms after acceptance (max age 5000 ms)`)
  const dlq = await readTopic<DeadLetterRecord>(gw.rt.topics.dlq, 1)
  t.equal(dlq.length, 1, 'one DLQ record')
  t.equal(dlq[0]!.key, B)
  t.match(dlq[0]!.value, {
    record: { id, recipient: B },
    origin: { topic: gw.rt.topics.deliver.commune, partition: 0 },
    reason: 'max-age',
    endpoint: `http://127.0.0.1:${portB}/lienthong`,
  })
  t.match(dlq[0]!.value.lastError, /ECONNREFUSED|breaker/)
  t.ok(dlq[0]!.value.attempts >= 2, `${dlq[0]!.value.attempts} attempts at B (the breaker skipped the rest)`)
  t.equal(await recordCount([gw.rt.topics.deliver.commune]), 7, 'seven commune deliveries, no redelivery through Kafka')
  const left = await gw.rt.db.query('select count(*)::int as n from delivery_retries')
  t.equal((left.rows[0] as { n: number }).n, 0, 'the retry schedule is empty')
})
