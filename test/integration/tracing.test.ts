/**
 * Tracing: one document from the H41 commune to a ministry owned by the central gateway. With an
 * in-memory exporter on both gateways, every span of its journey — HTTP request, accept, Kafka → router,
 * Kafka → delivery, the forward to the peer, and the same steps again on the peer — shares the trace id the
 * QLVB client sent in `traceparent` and forms one parent chain across the Kafka hops and the gateway hop.
 * The inbox ack and the receipts projection are traced too. Retried push deliveries stay in the trace
 * (the retry row keeps the routing context). With no exporter, nothing is exported, no trace header is
 * added to Kafka records, and the document still arrives.
 */
import t from 'tap'
import crypto from 'node:crypto'
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base'
import { SpanKind, SpanStatusCode } from '@opentelemetry/api'
import http from 'node:http'
import { eventually, startGateway } from '../helpers/gateway.ts'
import { edoc, freePort, readTopic, startFederation } from '../helpers/federation.ts'

const SENDER = '000.21.30.H41' // UBND xã Quỳnh Thạch (Nghệ An), on the H41 gateway
const RECIPIENT = '000.00.00.G14' // Bộ Thông tin và Truyền thông, on the central gateway

const exporter = new InMemorySpanExporter()
const gwOf = (s: ReadableSpan) => String(s.resource.attributes['service.instance.id'])
const parentOf = (s: ReadableSpan) => s.parentSpanContext?.spanId

t.test('one trace from the QLVB client through H41 routing, delivery, the forward and the central gateway', async (t) => {
  const { central, gws } = await startFederation(t, ['H41'], { traceExporter: exporter })
  const h41 = gws.H41!
  t.ok(h41.rt.tracing.enabled && central.rt.tracing.enabled, 'tracing is on when an exporter is given')
  // on the H41 gateway the ministry belongs to the central gateway (the demo directory lists it locally)
  const g14 = h41.rt.directory().get(RECIPIENT)!
  const map = await h41.call('operator', 'PUT', `/v1/agencies/${RECIPIENT}`, JSON.stringify({ name: g14.name, tier: g14.tier, gateway: central.url }), {
    'content-type': 'application/json',
  })
  t.equal(map.status, 200)

  // the QLVB client traces: its span is the root of the document's journey
  const traceId = crypto.randomBytes(16).toString('hex')
  const clientSpan = crypto.randomBytes(8).toString('hex')
  const res = await h41.call(SENDER, 'POST', '/v1/documents', await h41.sign(SENDER, edoc(SENDER, [RECIPIENT], 901)), { traceparent: `00-${traceId}-${clientSpan}-01` })
  t.equal(res.status, 202)
  const answer = (await res.json()) as { id: string }

  const items = await eventually(
    async () => {
      const r = (await (await central.call(RECIPIENT, 'GET', '/v1/inbox')).json()) as { items: { id: string }[] }
      return r.items.length ? r.items : null
    },
    30_000,
    'the ministry inbox at the central gateway',
  )

  const inTrace = () => exporter.getFinishedSpans().filter((s) => s.spanContext().traceId === traceId)
  const steps = [
    ['h41', 'POST /v1/documents'],
    ['h41', 'document.accept'],
    ['h41', 'router.route'],
    ['h41', 'deliver'],
    ['h41', 'gateway.forward'],
    ['central', 'POST /v1/documents'],
    ['central', 'document.accept'],
    ['central', 'router.route'],
    ['central', 'deliver'],
  ] as const
  // a span is exported when it ends, which can come after the inbox row is visible (the central delivery
  // span ends after its commit; H41's deliver after the peer's answer): wait until every step's span ended
  await eventually(async () => steps.every(([gw, name]) => inTrace().some((s) => gwOf(s) === gw && s.name === name)), 15_000, 'every span of the chain ended')
  const spans = inTrace()
  const find = (gw: string, name: string) => {
    const s = spans.filter((x) => gwOf(x) === gw && x.name === name)
    t.equal(s.length, 1, `one ${name} span on ${gw}`)
    return s[0]!
  }
  const chain = steps.map(([gw, name]) => find(gw, name))
  t.equal(parentOf(chain[0]!), clientSpan, 'the incoming traceparent is continued: the request span is a child of the client span')
  for (let i = 1; i < chain.length; i++) {
    const [p, c] = [chain[i - 1]!, chain[i]!]
    t.equal(parentOf(c), p.spanContext().spanId, `${gwOf(c)} ${c.name} is a child of ${gwOf(p)} ${p.name}`)
  }
  t.same(
    chain.map((s) => s.kind),
    [SpanKind.SERVER, SpanKind.INTERNAL, SpanKind.CONSUMER, SpanKind.INTERNAL, SpanKind.CLIENT, SpanKind.SERVER, SpanKind.INTERNAL, SpanKind.CONSUMER, SpanKind.INTERNAL],
    'span kinds',
  )
  t.match(chain[1]!.attributes, { 'lgsp.document.uuid': answer.id, 'lgsp.from': SENDER })
  t.match(chain[3]!.attributes, { 'lgsp.adapter': 'gateway', 'lgsp.delivery.outcome': 'delivered' })
  t.match(chain[6]!.attributes, { 'lgsp.via': h41.url })
  t.match(chain[8]!.attributes, { 'lgsp.adapter': 'inbox', 'lgsp.recipient': RECIPIENT, 'lgsp.delivery.outcome': 'delivered' })
  t.equal(chain[5]!.attributes['http.response.status_code'], 202)

  // statuses: the ack is a request span; the receipt it produces is projected in a child span
  t.equal((await central.call(RECIPIENT, 'POST', `/v1/inbox/${items[0]!.id}/ack`)).status, 202)
  const ack = await eventually(async () => exporter.getFinishedSpans().find((s) => gwOf(s) === 'central' && s.name === 'POST /v1/inbox/:id/ack'), 10_000, 'the ack span')
  const projected = await eventually(
    async () => exporter.getFinishedSpans().find((s) => gwOf(s) === 'central' && s.name === 'receipts.project' && s.attributes['lgsp.status'] === '01'),
    15_000,
    'the receipts span',
  )
  t.equal(projected.spanContext().traceId, ack.spanContext().traceId, "the receipt continues the ack's trace")
  t.equal(parentOf(projected), ack.spanContext().spanId, 'receipts.project is a child of the ack request')
  t.equal((await central.call(null, 'GET', '/healthz')).status, 200)
  t.equal((await central.call('operator', 'GET', '/metrics')).status, 200)
  t.notOk(
    exporter.getFinishedSpans().some((s) => s.name.startsWith('GET /metrics') || s.name.startsWith('GET /healthz')),
    'probes and scrapes are not traced',
  )
})

t.test('no exporter configured: nothing is exported, no trace headers on Kafka, documents still flow', async (t) => {
  const before = exporter.getFinishedSpans().length
  const gw = await startGateway(t) // no OTEL_EXPORTER_OTLP_ENDPOINT, no exporter
  t.notOk(gw.rt.tracing.enabled, 'tracing is off')
  const res = await gw.call(SENDER, 'POST', '/v1/documents', await gw.sign(SENDER, edoc(SENDER, ['000.00.00.H41'], 902)), {
    traceparent: `00-${crypto.randomBytes(16).toString('hex')}-${crypto.randomBytes(8).toString('hex')}-01`,
  })
  t.equal(res.status, 202)
  await eventually(
    async () => {
      const r = (await (await gw.call('000.00.00.H41', 'GET', '/v1/inbox')).json()) as { items: unknown[] }
      return r.items.length > 0
    },
    30_000,
    'the province inbox',
  )
  const headers = (await readTopic([gw.rt.topics.documents, gw.rt.topics.deliver.province], 2)).map((r) => r.headers)
  t.equal(headers.length, 2)
  t.same(
    headers.filter((h) => 'traceparent' in h),
    [],
    'an untraced gateway adds no trace context to its records',
  )
  t.equal(exporter.getFinishedSpans().length, before, 'nothing exported')
  t.notOk(exporter.getFinishedSpans().some((s) => gwOf(s) === gw.rt.config.gatewayId))
})

t.test('retries: every attempt is a deliver span under the same router.route, the failures marked', async (t) => {
  const port = await freePort()
  let hits = 0
  const server = http.createServer((req, res) => {
    req.resume()
    req.on('end', () => {
      hits++
      res.writeHead(hits <= 2 ? 503 : 200, { connection: 'close' }).end()
    })
  })
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', () => r()))
  t.teardown(
    () =>
      new Promise<void>((r) => {
        server.close(() => r())
        server.closeAllConnections()
      }),
  )
  const gw = await startGateway(t, { traceExporter: exporter, retryBaseMs: 50, retryMaxMs: 200, retryPollMs: 50, breakerThreshold: 100 })
  const PUSHED = '000.23.30.H41'
  const put = await gw.call(
    'operator',
    'PUT',
    `/v1/agencies/${PUSHED}`,
    JSON.stringify({ name: 'UBND xã Quỳnh Lập', tier: 'commune', endpoint: `http://127.0.0.1:${port}/lienthong` }),
    { 'content-type': 'application/json' },
  )
  t.equal(put.status, 201)
  const res = await gw.call(SENDER, 'POST', '/v1/documents', await gw.sign(SENDER, edoc(SENDER, [PUSHED], 903)))
  t.equal(res.status, 202)
  const { id } = (await res.json()) as { id: string }
  const mine = (name: string) => exporter.getFinishedSpans().filter((s) => gwOf(s) === gw.rt.config.gatewayId && s.name === name && s.attributes['lgsp.document.uuid'] === id)
  const attempts = await eventually(
    async () => {
      const d = mine('deliver')
      return d.some((s) => s.attributes['lgsp.delivery.outcome'] === 'delivered') ? d : null
    },
    20_000,
    'the delivered attempt',
  )
  const [route] = mine('router.route')
  t.ok(route, 'the routing span')
  t.same(attempts.map((s) => s.attributes['lgsp.attempt']).sort(), [1, 2, 3], 'three attempts, three spans')
  for (const s of attempts) {
    t.equal(s.spanContext().traceId, route!.spanContext().traceId, `attempt ${s.attributes['lgsp.attempt']} is in the document's trace`)
    t.equal(parentOf(s), route!.spanContext().spanId, `attempt ${s.attributes['lgsp.attempt']} is a child of router.route (the retry row kept the context)`)
  }
  t.equal(attempts.filter((s) => s.status.code === SpanStatusCode.ERROR).length, 2, 'the two failed attempts are marked as errors')
  t.equal(hits, 3)
})
