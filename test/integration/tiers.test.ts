/**
 * Delivery across tiers: Văn phòng Chính phủ, on the central gateway, sends one document to 000.00.00.H41
 * (province), 000.00.30.H41 (district), 000.21.30.H41 (commune) and 000.00.00.G14 (central). The H41
 * agencies are owned by the H41 gateway: the central gateway forwards the package once to it, G14 is
 * delivered on the central tier. Each tier gets it exactly once; every recipient's 01 comes back to the
 * sender's timeline on the central gateway.
 */
import t from 'tap'
import { eventually, recordCount } from '../helpers/gateway.ts'
import { edoc, startFederation } from '../helpers/federation.ts'

const VPCP = '000.00.00.G22'
const H41 = ['000.00.00.H41', '000.00.30.H41', '000.21.30.H41']
const G14 = '000.00.00.G14'

interface View {
  recipients: { organId: string; tier: string; status: string; timeline: { status: string; detail?: Record<string, unknown> }[] }[]
}

t.test('one document from Văn phòng Chính phủ reaches all four tiers once; every 01 comes back', async (t) => {
  const { central, gws } = await startFederation(t, ['H41'])
  const h41 = gws.H41!
  // on the central gateway, the H41 agencies belong to the H41 gateway
  for (const id of H41) {
    const a = central.rt.directory().get(id)!
    const r = await central.call('operator', 'PUT', `/v1/agencies/${id}`, JSON.stringify({ name: a.name, tier: a.tier, gateway: h41.url }), { 'content-type': 'application/json' })
    t.equal(r.status, 200, `${id} → H41 gateway`)
  }

  const doc = await central.sign(VPCP, edoc(VPCP, [...H41, G14], 801))
  const res = await central.call(VPCP, 'POST', '/v1/documents', doc)
  t.equal(res.status, 202)
  const answer = (await res.json()) as { id: string; recipients: { organId: string; tier: string }[] }
  t.same(
    answer.recipients.map((r) => [r.organId, r.tier]),
    [
      [H41[0], 'province'],
      [H41[1], 'district'],
      [H41[2], 'commune'],
      [G14, 'central'],
    ],
  )

  // every recipient finds it in its inbox on its own gateway, byte-identical, and acks
  for (const [gw, who] of [...H41.map((o) => [h41, o] as const), [central, G14] as const]) {
    const items = await eventually(
      async () => {
        const r = (await (await gw.call(who, 'GET', '/v1/inbox')).json()) as { items: { id: string; from: string }[] }
        return r.items.length ? r.items : null
      },
      30_000,
      `${who}'s inbox`,
    )
    t.equal(items.length, 1, `${who} has it once`)
    const bytes = Buffer.from(await (await gw.call(who, 'GET', `/v1/inbox/${items[0]!.id}`)).arrayBuffer())
    t.ok(bytes.equals(doc), `${who} gets the exact bytes`)
    t.equal((await gw.call(who, 'POST', `/v1/inbox/${items[0]!.id}/ack`)).status, 202)
  }

  const view = await eventually(
    async () => {
      const v = (await (await central.call(VPCP, 'GET', `/v1/documents/${answer.id}`)).json()) as View
      return v.recipients.every((r) => r.status === '01') ? v : null
    },
    30_000,
    "every recipient's 01 on the sender's timeline",
  )
  for (const r of view.recipients) {
    const steps = r.timeline.map((e) => e.status).filter((s) => s !== 'ACCEPTED')
    t.same(steps, r.organId === G14 ? ['ROUTED', 'DELIVERED', '01'] : ['ROUTED', 'FORWARDED', '01'], `${r.organId}: ${steps.join(' → ')}`)
  }
  const fwd = view.recipients[0]!.timeline.find((e) => e.status === 'FORWARDED')!.detail!
  t.match(fwd, { gateway: h41.url, remoteTier: 'province' }, 'FORWARDED names the gateway and its tier answer')

  // each tier exactly once: H41's province, district and commune topics, central's central topic; one forward
  await new Promise((r) => setTimeout(r, 1000))
  const n = async (gw: typeof central, topic: string) => recordCount([topic])
  t.equal(await n(h41, h41.rt.topics.deliver.province), 1, 'province tier: once')
  t.equal(await n(h41, h41.rt.topics.deliver.district), 1, 'district tier: once')
  t.equal(await n(h41, h41.rt.topics.deliver.commune), 1, 'commune tier: once')
  t.equal(await n(central, central.rt.topics.deliver.central), 1, 'central tier: once')
  t.equal(await n(central, central.rt.topics.forward), 1, 'one forward record: the package crossed the link once')
  t.equal(
    await recordCount([
      central.rt.topics.deliver.province,
      central.rt.topics.deliver.district,
      central.rt.topics.deliver.commune,
      h41.rt.topics.deliver.central,
      h41.rt.topics.forward,
    ]),
    0,
    'nothing delivered on the wrong gateway',
  )
  const remote = await h41.rt.db.query<{ via_peer: string }>('select via_peer from documents')
  t.same(remote.rows, [{ via_peer: central.url }], 'the H41 gateway recorded where the document came from')
})
