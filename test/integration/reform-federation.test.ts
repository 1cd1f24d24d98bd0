/**
 * The reorganisation across gateways (H41 → central → H53 on one Kafka): each gateway applies its own change
 * table; a peer forwarding to a code this gateway closed gets the redirection here, the recipient's 01 goes
 * back up under the code the peer forwarded, and the sender's recall (13) coming down finds the successor.
 * Synthetic H53 agencies written for this test.
 */
import t from 'tap'
import { eventually } from '../helpers/gateway.ts'
import { edoc, startFederation } from '../helpers/federation.ts'
import { saveClient } from '../../src/store/clients-repo.ts'
import { buildStatusXml } from '../../src/schemas/envelope.ts'

const SENDER = '000.21.30.H41'
const CLOSED = '000.00.31.H53'
const SUCCESSOR = '000.00.00.H53'
type View = { recipients: { organId: string; status: string; timeline: { status: string }[] }[] }

t.test('a peer forwards to a code this gateway closed: redirected here, 01 back up, recall down to the successor', async (t) => {
  const { central, gws } = await startFederation(t, ['H41', 'H53'])
  const h41 = gws.H41!
  const h53 = gws.H53!
  const tsv = `organId\tname\n${SUCCESSOR}\tUBND tỉnh Năm Ba (thử)\n${CLOSED}\tUBND huyện Bến Nước (thử)\n`
  t.equal((await h53.call('operator', 'POST', '/v1/agencies/import', tsv, { 'content-type': 'text/tab-separated-values' })).status, 200)
  t.equal((await h53.call('operator', 'POST', '/v1/ops/succession', `old,successor,effective\n${CLOSED},${SUCCESSOR},2025-07-01\n`, { 'content-type': 'text/csv' })).status, 200)
  t.equal(
    (
      await central.call('operator', 'PUT', `/v1/agencies/${SUCCESSOR}`, JSON.stringify({ name: 'UBND tỉnh Năm Ba (thử)', tier: 'province', gateway: h53.url }), {
        'content-type': 'application/json',
      })
    ).status,
    201,
  )
  const provinceKey = await saveClient(h53.rt.db, { id: 'qlvb:h53', name: 'QLVB tỉnh', role: 'client', organIds: [SUCCESSOR] })

  // H41 does not know H53's change table: it forwards the closed code as addressed
  const res = await h41.call(SENDER, 'POST', '/v1/documents', await h41.sign(SENDER, edoc(SENDER, [CLOSED], 901)))
  t.equal(res.status, 202)
  const answer = (await res.json()) as { id: string; documentId: string; recipients: { organId: string; redirect?: unknown }[] }
  t.same(
    answer.recipients.map((r) => [r.organId, r.redirect]),
    [[CLOSED, undefined]],
  )

  const items = await eventually(
    async () => {
      const r = (await (await h53.call(provinceKey, 'GET', '/v1/inbox')).json()) as { items: { id: string; addressedTo?: string }[] }
      return r.items.length ? r.items : null
    },
    30_000,
    'the successor at H53 receives it',
  )
  t.equal(items[0]!.addressedTo, CLOSED, 'redirected by the gateway that closed the code')
  t.equal((await h53.call(provinceKey, 'POST', `/v1/inbox/${items[0]!.id}/ack`)).status, 202)

  const view = await eventually(
    async () => {
      const v = (await (await h41.call(SENDER, 'GET', `/v1/documents/${answer.id}`)).json()) as View
      return v.recipients[0]?.status === '01' ? v : null
    },
    30_000,
    "01 back on the sender's leg for the code it addressed",
  )
  t.equal(view.recipients[0]!.organId, CLOSED)

  // the sender recalls it: the 13 travels down and reaches the successor's status inbox at H53
  const recall = buildStatusXml({
    from: { organId: SENDER },
    responseFor: { organId: SENDER, documentId: answer.documentId },
    statusCode: '13',
    description: 'Thu hồi',
    timestamp: new Date(),
  })
  t.equal((await h41.call(SENDER, 'POST', '/v1/status', await h41.sign(SENDER, recall))).status, 202)
  const got = await eventually(
    async () => {
      const r = (await (await h53.call(provinceKey, 'GET', '/v1/status-inbox')).json()) as { items: { statusCode: string }[] }
      return r.items.some((i) => i.statusCode === '13') ? r.items : null
    },
    30_000,
    'the recall reaches the successor',
  )
  t.ok(got.some((i) => i.statusCode === '13'))
})
