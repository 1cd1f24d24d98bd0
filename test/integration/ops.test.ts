/**
 * The ops API against real Kafka, PostgreSQL and HTTP receivers: a push to a receiver that is down
 * past max age lands in the DLQ; the operator finds it (DLQ, failed legs, search), brings the receiver
 * up and replays it — delivered once, status 01 — and discards another; both actions are in the message
 * log under the operator's id. Operator keys only; webhook subscriptions of every client are visible.
 */
import t from 'tap'
import { eventually, startGateway } from '../helpers/gateway.ts'
import { edoc, freePort } from '../helpers/federation.ts'
import { FAST_DLQ, pushReceiver } from '../helpers/ops.ts'

const SENDER = '000.00.00.H41'
const PUSHED = '000.23.30.H41'
const INBOX = '000.21.30.H41'

interface DlqItem {
  id: string
  state: string
  documentUuid: string
  recipient: string
  reason: string
  resolvedBy: string | null
  origin: { topic: string }
}
interface View {
  recipients: { organId: string; status: string; timeline: { status: string; detail?: Record<string, unknown> }[] }[]
}

t.test('DLQ browse, replay and discard, audited; stuck/failed/search views', async (t) => {
  const port = await freePort()
  const gw = await startGateway(t, { ...FAST_DLQ, webhookAllowPrivate: true })
  const receiver = pushReceiver(port)
  t.teardown(() => receiver.stop())
  const json = { 'content-type': 'application/json' }
  t.equal(
    (
      await gw.call(
        'operator',
        'PUT',
        `/v1/agencies/${PUSHED}`,
        JSON.stringify({ name: 'UBND xã Quỳnh Lập', tier: 'commune', endpoint: `http://127.0.0.1:${port}/lienthong` }),
        json,
      )
    ).status,
    201,
  )

  const send = async (no: number) => {
    const r = await gw.call(SENDER, 'POST', '/v1/documents', await gw.sign(SENDER, edoc(SENDER, [PUSHED, INBOX], no)))
    t.equal(r.status, 202)
    return ((await r.json()) as { id: string }).id
  }
  const dlq = async (q = 'state=dead') => (await (await gw.call('operator', 'GET', `/v1/ops/dlq?${q}`)).json()) as { total: number; items: DlqItem[] }

  const id1 = await send(901)
  const item1 = await eventually(async () => (await dlq()).items.find((i) => i.documentUuid === id1), 20_000, 'first DLQ item mirrored')
  t.match(item1, { recipient: PUSHED, reason: 'max-age', state: 'dead', origin: { topic: gw.rt.topics.deliver.commune } })
  t.equal((await gw.call(SENDER, 'GET', '/v1/ops/dlq')).status, 403, 'a client key cannot read the DLQ')
  t.equal((await gw.call(null, 'GET', '/v1/ops/queues')).status, 401)

  const queues = (await (await gw.call('operator', 'GET', '/v1/ops/queues')).json()) as { tiers: { tier: string; inDlq: number }[] }
  t.equal(queues.tiers.find((x) => x.tier === 'commune')!.inDlq, 1, 'queues: one commune item in the DLQ')
  const failed = (await (await gw.call('operator', 'GET', '/v1/ops/deliveries/failed')).json()) as { items: { id: string; recipient: string; lastDetail: { reason: string } }[] }
  t.match(failed.items, [{ id: id1, recipient: PUSHED, lastDetail: { reason: 'max-age' } }], 'failed legs')
  const byStatus = (await (await gw.call('operator', 'GET', '/v1/ops/documents?status=DELIVERY_FAILED')).json()) as { total: number; items: { id: string }[] }
  t.same(
    byStatus.items.map((d) => d.id),
    [id1],
    'search by status',
  )
  const byText = (await (await gw.call('operator', 'GET', `/v1/ops/documents?q=${encodeURIComponent('901/UBND')}&sender=${SENDER}&recipient=${PUSHED}`)).json()) as {
    items: { id: string }[]
  }
  t.same(
    byText.items.map((d) => d.id),
    [id1],
    'search by DocumentId, sender and recipient',
  )

  // the receiver comes up; the operator replays
  await receiver.start()
  const replay = await gw.call('operator', 'POST', `/v1/ops/dlq/${item1.id}/replay`)
  t.equal(replay.status, 202)
  t.match(await replay.json(), { id: item1.id, state: 'replayed', resolvedBy: 'demo:operator' })
  const view = async (id: string) =>
    (await (await gw.call('operator', 'GET', `/v1/ops/documents/${id}`)).json()) as View & { deadLetters: DlqItem[]; log: { kind: string; action: string | null }[] }
  const after = await eventually(
    async () => {
      const v = await view(id1)
      return v.recipients.find((r) => r.organId === PUSHED)!.status === '01' ? v : null
    },
    20_000,
    'replayed delivery arrives and 01 comes back',
  )
  const leg = after.recipients.find((r) => r.organId === PUSHED)!
  t.ok(
    leg.timeline.some((e) => e.status === 'DLQ_REPLAYED' && e.detail?.by === 'demo:operator'),
    'the replay is on the timeline',
  )
  t.equal(receiver.hits.filter((h) => h.key === `${id1}:${PUSHED}`).length, 1, 'delivered exactly once')
  const again = await gw.call('operator', 'POST', `/v1/ops/dlq/${item1.id}/replay`)
  t.equal(again.status, 409)
  t.equal(((await again.json()) as { code: string }).code, 'DLQ_ITEM_RESOLVED')
  t.equal((await gw.call('operator', 'POST', '/v1/ops/dlq/00000000-0000-4000-8000-000000000000/replay')).status, 404)

  // a second failure, discarded
  await receiver.stop()
  const id2 = await send(902)
  const item2 = await eventually(async () => (await dlq()).items.find((i) => i.documentUuid === id2), 20_000, 'second DLQ item')
  const discard = await gw.call('operator', 'POST', `/v1/ops/dlq/${item2.id}/discard`, JSON.stringify({ note: 'xã đã nhận bản giấy' }), json)
  t.equal(discard.status, 200)
  t.equal((await dlq('state=discarded')).items[0]!.id, item2.id)
  t.equal((await dlq()).total, 0, 'nothing left to handle')

  // both actions are audited in the tamper-evident log
  const log = (await (await gw.call('operator', 'GET', '/v1/ops/log?limit=1000')).json()) as {
    items: { kind: string; action: string; actor: string; documentUuid: string; detail: { dlqItem: string; note?: string } }[]
  }
  const ops = log.items.filter((r) => r.kind === 'operator.action')
  t.match(ops, [
    { action: 'dlq.replay', actor: 'demo:operator', documentUuid: id1, detail: { dlqItem: item1.id } },
    { action: 'dlq.discard', actor: 'demo:operator', documentUuid: id2, detail: { dlqItem: item2.id, note: 'xã đã nhận bản giấy' } },
  ])
  t.equal(((await (await gw.call('operator', 'GET', '/v1/ops/log/verify')).json()) as { ok: boolean }).ok, true, 'chain intact')

  // webhooks: a client's subscription is visible to the operator, with its delivery log; a replay is audited
  const sub = await gw.call(SENDER, 'POST', '/v1/webhooks', JSON.stringify({ url: `http://127.0.0.1:${await freePort()}/hook`, events: ['document.accepted'] }), json)
  t.equal(sub.status, 201)
  const subId = ((await sub.json()) as { id: string }).id
  await send(903)
  const subs = (await (await gw.call('operator', 'GET', '/v1/ops/webhooks')).json()) as { items: { id: string; clientId: string; deliveries: { pending: number } }[] }
  t.match(
    subs.items.find((s) => s.id === subId),
    { clientId: `demo:${SENDER}` },
  )
  const deliveries = await eventually(
    async () => {
      const d = (await (await gw.call('operator', 'GET', `/v1/ops/webhooks/${subId}/deliveries`)).json()) as { items: { id: string; log: unknown[] }[] }
      return d.items.length && d.items[0]!.log.length ? d.items : null
    },
    20_000,
    'a webhook attempt logged',
  )
  t.equal((await gw.call('operator', 'POST', `/v1/ops/webhooks/${subId}/deliveries/${deliveries[0]!.id}/replay`)).status, 202)
  const log2 = (await (await gw.call('operator', 'GET', '/v1/ops/log?limit=1000')).json()) as { items: { action: string | null }[] }
  t.ok(
    log2.items.some((r) => r.action === 'webhook.replay'),
    'webhook replay audited',
  )
})
