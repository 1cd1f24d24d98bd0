/**
 * Webhooks: subscriptions (secret once, own subscriptions only, rotation, delete), events about the
 * caller's documents only, Standard Webhooks signatures verified by the independent `standardwebhooks`
 * package, the SSRF guard, no redirects, the attempt log, dead-lettering after the retry horizon, and replay
 * with the same webhook-id. Real Kafka, real PostgreSQL, real HTTP on both sides.
 */
import t from 'tap'
import { eventually, fixture, kafkaAdmin, recordCount, startGateway, type TestGateway } from '../helpers/gateway.ts'
import { accepted, startSubscriber, type Subscriber } from '../helpers/webhook-subscriber.ts'

const COMMUNE = '000.21.30.H41'
const PROVINCE = '000.00.00.H41'
const VPCP = '000.00.00.G22'
const STRANGER = '000.22.31.H41'
const FAST = { webhookAllowPrivate: true, webhookRetryBaseMs: 100, webhookRetryMaxDelayMs: 400, webhookTimeoutMs: 2000 }

const doc = (n: number) => fixture('demo/commune-to-province.edxml').toString('utf8').replaceAll('125/UBND-VP', `${n}/UBND-VP`)

async function subscribe(gw: TestGateway, who: string, sub: Subscriber, body: Record<string, unknown> = {}) {
  const r = await gw.call(who, 'POST', '/v1/webhooks', JSON.stringify({ url: sub.url, ...body }), { 'content-type': 'application/json' })
  const j = (await r.json()) as { id: string; secret: string; events: string[]; code?: string }
  if (r.status !== 201) throw new Error(`subscribe failed: ${r.status} ${JSON.stringify(j)}`)
  sub.secrets.push(j.secret)
  return j
}

async function ackAll(gw: TestGateway, who: string) {
  const items = await eventually(
    async () => {
      const r = (await (await gw.call(who, 'GET', '/v1/inbox')).json()) as { items: { id: string }[] }
      return r.items.length ? r.items : null
    },
    30_000,
    `${who}'s inbox`,
  )
  for (const i of items) await gw.call(who, 'POST', `/v1/inbox/${i.id}/ack`)
}

async function deleteTopic(topic: string) {
  const admin = kafkaAdmin()
  await admin.connect()
  try {
    await admin.deleteTopics({ topics: [topic], timeout: 10_000 })
  } catch {
    /* best effort */
  } finally {
    await admin.disconnect()
  }
}

t.test('signed events reach the subscribers entitled to them, and only those', async (t) => {
  const gw = await startGateway(t, FAST)
  t.teardown(() => deleteTopic(gw.rt.topics.webhooksDlq))
  const [sender, recipient, stranger] = await Promise.all([startSubscriber(), startSubscriber(), startSubscriber()])
  t.teardown(() => Promise.all([sender.close(), recipient.close(), stranger.close()]))

  const s1 = await subscribe(gw, COMMUNE, sender)
  t.match(s1.secret, /^whsec_[A-Za-z0-9+/]+={0,2}$/, 'a Standard Webhooks secret')
  t.equal(Buffer.from(s1.secret.slice(6), 'base64').length, 32, '256-bit key')
  t.same(s1.events, ['document.accepted', 'document.delivered', 'document.status', 'document.failed'], 'all events by default')
  const s2 = await subscribe(gw, PROVINCE, recipient, { events: ['document.status'] })
  await subscribe(gw, STRANGER, stranger)

  // a caller sees only its own subscriptions, and never a secret again
  const mine = (await (await gw.call(COMMUNE, 'GET', '/v1/webhooks')).json()) as { items: Record<string, unknown>[] }
  t.equal(mine.items.length, 1)
  t.equal(mine.items[0]!.id, s1.id)
  t.notOk('secret' in mine.items[0]!, 'no secret in listings')
  const foreign = await gw.call(PROVINCE, 'GET', `/v1/webhooks/${s1.id}`)
  t.equal(foreign.status, 404)
  t.equal(((await foreign.json()) as { code: string }).code, 'WEBHOOK_NOT_FOUND')
  t.equal((await gw.call(PROVINCE, 'DELETE', `/v1/webhooks/${s1.id}`)).status, 404, 'nor delete it')
  const badEvent = await gw.call(COMMUNE, 'POST', '/v1/webhooks', JSON.stringify({ url: sender.url, events: ['document.nope'] }), { 'content-type': 'application/json' })
  t.equal(badEvent.status, 400)

  const res = await gw.call(COMMUNE, 'POST', '/v1/documents', await gw.sign(COMMUNE, doc(501)))
  t.equal(res.status, 202)
  const { id } = (await res.json()) as { id: string }
  await ackAll(gw, PROVINCE)
  await ackAll(gw, VPCP)

  await eventually(async () => accepted(sender).size >= 5, 30_000, 'five events at the sender')
  await new Promise((r) => setTimeout(r, 1000)) // nothing more should come
  const got = [...accepted(sender).values()].map((l) => l[0]!)
  t.equal(got.length, 5, 'accepted + 2 delivered + 2 × 01')
  t.ok(
    sender.received.every((r) => r.verifiedWith === s1.secret),
    'every delivery verifies with standardwebhooks',
  )
  const types = got.map((r) => `${r.payload!.type}:${(r.payload!.data.recipient as string | null) ?? '*'}:${(r.payload!.data.status as { code: string }).code}`).sort()
  t.same(
    types,
    [
      'document.accepted:*:ACCEPTED',
      `document.delivered:${VPCP}:DELIVERED`,
      `document.delivered:${PROVINCE}:DELIVERED`,
      `document.status:${VPCP}:01`,
      `document.status:${PROVINCE}:01`,
    ].sort(),
  )
  const s01 = got.find((r) => r.payload!.type === 'document.status')!.payload!.data
  t.match(s01, {
    document: { id, documentId: '000.21.30.H41,2026/11/23,501/UBND-VP', from: COMMUNE },
    status: { code: '01', label: 'Đã đến', kind: 'business' },
  })
  t.match(s01.statusPackage as string, /<edXML:StatusCode>01<\/edXML:StatusCode>/, 'the edXML status package travels in the payload')

  await eventually(async () => accepted(recipient).size >= 1, 10_000, 'the recipient subscription')
  t.equal(accepted(recipient).size, 1, 'the province sees only the status of its own leg')
  t.equal(recipient.received[0]!.payload!.data.recipient, PROVINCE)
  t.equal(stranger.received.length, 0, 'an agency that neither sent nor received the document hears nothing')

  // attempt log
  const log = (await (await gw.call(PROVINCE, 'GET', `/v1/webhooks/${s2.id}/deliveries`)).json()) as {
    items: { id: string; state: string; log: { statusCode: number; durationMs: number }[] }[]
  }
  t.equal(log.items.length, 1)
  t.equal(log.items[0]!.state, 'delivered')
  t.equal(log.items[0]!.id, recipient.received[0]!.webhookId, 'the delivery id is the webhook-id')
  t.equal(log.items[0]!.log[0]!.statusCode, 204)

  // rotation: the new secret verifies from now on (the old one still signs alongside during the grace period)
  const rot = (await (await gw.call(COMMUNE, 'POST', `/v1/webhooks/${s1.id}/rotate-secret`)).json()) as { secret: string }
  t.not(rot.secret, s1.secret)
  sender.secrets = [rot.secret]
  const before = sender.received.length
  t.equal((await gw.call(COMMUNE, 'POST', '/v1/documents', await gw.sign(COMMUNE, doc(502)))).status, 202)
  await eventually(async () => sender.received.length >= before + 3, 30_000, 'events after rotation')
  t.ok(
    sender.received.slice(before).every((r) => r.verifiedWith === rot.secret),
    'signed with the new secret',
  )

  t.equal((await gw.call(COMMUNE, 'DELETE', `/v1/webhooks/${s1.id}`)).status, 204)
  t.equal((await gw.call(COMMUNE, 'GET', `/v1/webhooks/${s1.id}`)).status, 404)
})

t.test('the SSRF guard refuses private, loopback, metadata and odd URLs', async (t) => {
  const gw = await startGateway(t) // WEBHOOK_ALLOW_PRIVATE defaults to false
  t.teardown(() => deleteTopic(gw.rt.topics.webhooksDlq))
  for (const url of [
    'http://127.0.0.1:9/x',
    'http://localhost/x',
    'http://[::1]/x',
    'http://10.1.2.3/x',
    'http://192.168.1.1/x',
    'http://172.16.0.1/',
    'http://169.254.169.254/latest/meta-data/',
    'http://[::ffff:127.0.0.1]/',
    'http://[fd00::1]/',
    'http://0.0.0.0/',
    'http://100.64.0.1/',
    'ftp://example.org/x',
    'file:///etc/passwd',
    'http://user:pw@example.org/x',
    'not a url',
  ]) {
    const r = await gw.call(COMMUNE, 'POST', '/v1/webhooks', JSON.stringify({ url }), { 'content-type': 'application/json' })
    t.equal(r.status, 422, `${url} refused`)
    t.equal(((await r.json()) as { code: string }).code, 'WEBHOOK_URL_REFUSED')
  }
  const gw2 = await startGateway(t, FAST)
  t.teardown(() => deleteTopic(gw2.rt.topics.webhooksDlq))
  const meta = await gw2.call(COMMUNE, 'POST', '/v1/webhooks', JSON.stringify({ url: 'http://169.254.169.254/' }), { 'content-type': 'application/json' })
  t.equal(meta.status, 422, 'cloud metadata stays refused even where private targets are allowed')
  const lo = await gw2.call(COMMUNE, 'POST', '/v1/webhooks', JSON.stringify({ url: 'http://127.0.0.1:9/x' }), { 'content-type': 'application/json' })
  t.equal(lo.status, 201, 'loopback allowed when the deployment says so')
})

t.test('failures are logged, retried, dead-lettered after the horizon, and replayed with the same webhook-id', async (t) => {
  const gw = await startGateway(t, { ...FAST, webhookRetryHorizonMs: 1500 })
  const dlq = gw.rt.topics.webhooksDlq
  t.teardown(() => deleteTopic(dlq))
  const sub = await startSubscriber()
  t.teardown(() => sub.close())
  const s = await subscribe(gw, COMMUNE, sub, { events: ['document.accepted'] })
  sub.forceStatus = 302 // a redirect (towards the metadata address) is not followed

  t.equal((await gw.call(COMMUNE, 'POST', '/v1/documents', await gw.sign(COMMUNE, doc(601)))).status, 202)
  await eventually(async () => sub.received.length >= 2, 10_000, 'two attempts')
  sub.forceStatus = 500
  type Delivery = { id: string; state: string; attempts: number; lastStatus: number; log: { statusCode: number | null; error: string | null; durationMs: number }[] }
  const dead = await eventually(
    async () => {
      const r = (await (await gw.call(COMMUNE, 'GET', `/v1/webhooks/${s.id}/deliveries?state=dead`)).json()) as { items: Delivery[] }
      return r.items[0]
    },
    20_000,
    'the delivery dead-lettered',
  )
  t.ok(dead.log.length >= 3, `${dead.log.length} attempts logged`)
  t.match(dead.log[0], { statusCode: 302, error: /redirect .* not followed/ })
  t.ok(
    dead.log.every((a) => typeof a.durationMs === 'number'),
    'each attempt has its duration',
  )
  t.equal(dead.lastStatus, 500)
  t.equal(sub.received.length, dead.log.length, 'one request per logged attempt')
  t.ok(
    sub.received.every((r) => r.webhookId === dead.id),
    'the same webhook-id on every retry',
  )
  await eventually(async () => (await recordCount([dlq])) === 1, 10_000, 'one DLQ record')

  sub.forceStatus = null
  const replay = await gw.call(COMMUNE, 'POST', `/v1/webhooks/${s.id}/deliveries/${dead.id}/replay`)
  t.equal(replay.status, 202)
  await eventually(async () => accepted(sub).size === 1, 10_000, 'the replay delivered')
  t.equal([...accepted(sub).keys()][0], dead.id, 'replayed under the same webhook-id')
  // the subscriber has answered; the dispatcher records the outcome just after, so read it when it is there
  const state = await eventually(
    async () => {
      const after = (await (await gw.call(COMMUNE, 'GET', `/v1/webhooks/${s.id}/deliveries`)).json()) as { items: Delivery[] }
      return after.items[0]!.state === 'delivered' ? after.items[0]!.state : null
    },
    10_000,
    'the replay recorded as delivered',
  )
  t.equal(state, 'delivered')
  t.equal((await gw.call(COMMUNE, 'POST', `/v1/webhooks/${s.id}/deliveries/nope/replay`)).status, 404)
})
