/**
 * `lgsp dlq` (the operator CLI over the dead-letter queue) in its own process against a real gateway with real DLQ items: a push to a
 * receiver that is down past a short max age is dead-lettered; the CLI lists it (table and --json), replays
 * it once the receiver is up (delivered once, 01), discards another with a note, and fails with the
 * problem's code (exit 1) on an unknown or already-resolved item, 2 on usage.
 */
import t from 'tap'
import { eventually, startGateway } from '../helpers/gateway.ts'
import { edoc, freePort } from '../helpers/federation.ts'
import { FAST_DLQ, lgsp, pushReceiver } from '../helpers/ops.ts'

const SENDER = '000.00.00.H41'
const PUSHED = '000.23.30.H41'

interface Item {
  id: string
  state: string
  documentUuid: string
  recipient: string
  reason: string
  resolvedBy: string | null
}

t.test('lgsp dlq list | replay | discard against a gateway with real DLQ items', async (t) => {
  const port = await freePort()
  const gw = await startGateway(t, FAST_DLQ)
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
    const r = await gw.call(SENDER, 'POST', '/v1/documents', await gw.sign(SENDER, edoc(SENDER, [PUSHED], no)))
    t.equal(r.status, 202)
    return ((await r.json()) as { id: string }).id
  }
  const env = { LGSP_URL: gw.url, LGSP_KEY: gw.creds.operator! }
  const cli = (...args: string[]) => lgsp(['dlq', ...args], env)

  const [id1, id2] = [await send(951), await send(952)]
  await eventually(
    async () => {
      const r = await cli('list', '--json')
      return r.code === 0 && (JSON.parse(r.stdout) as { items: Item[] }).items.length === 2
    },
    20_000,
    'two items in the DLQ, seen through the CLI',
  )

  // the table: a header, one row per item with its whole id, a footer
  const table = await cli('list')
  t.equal(table.code, 0, table.stderr)
  const lines = table.stdout.trimEnd().split('\n')
  t.match(lines[0], /^ID\s+STATE\s+FAILED AT\s+TIER\s+RECIPIENT\s+REASON\s+ATTEMPTS\s+DOCUMENT\s+LAST ERROR$/)
  t.equal(lines.length, 4, 'header, two rows, footer')
  t.match(lines[3], /^2 of 2 item\(s\) in state dead$/)
  const items = (JSON.parse((await cli('list', '--json')).stdout) as { total: number; items: Item[] }).items
  const item1 = items.find((i) => i.documentUuid === id1)!
  const item2 = items.find((i) => i.documentUuid === id2)!
  t.match(item1, { state: 'dead', recipient: PUSHED, reason: 'max-age' })
  t.ok(
    lines.some((l) => l.startsWith(`${item1.id}  dead`) && l.includes(PUSHED) && l.includes('max-age') && l.includes('951/UBND-VP')),
    'row of the first item',
  )

  // replay once the receiver is up: delivered once, 01 on the timeline
  await receiver.start()
  const replay = await cli('replay', item1.id)
  t.equal(replay.code, 0, replay.stderr)
  t.match(replay.stdout, new RegExp(`^replayed ${item1.id} by demo:operator at \\S+: .*951/UBND-VP → ${PUSHED.replace(/\./g, '\\.')}`))
  await eventually(
    async () => {
      const v = (await (await gw.call(SENDER, 'GET', `/v1/documents/${id1}`)).json()) as { recipients: { status: string }[] }
      return v.recipients[0]!.status === '01'
    },
    20_000,
    'the replayed delivery arrives',
  )
  t.equal(receiver.hits.filter((h) => h.key === `${id1}:${PUSHED}`).length, 1, 'delivered exactly once')

  // a second replay of the same item: refused with the problem's code
  const again = await cli('replay', item1.id)
  t.equal(again.code, 1)
  t.match(again.stderr, /HTTP 409 DLQ_ITEM_RESOLVED/)
  const againJson = await cli('replay', item1.id, '--json')
  t.equal(againJson.code, 1)
  t.match(JSON.parse(againJson.stdout), { code: 'DLQ_ITEM_RESOLVED', status: 409 })
  const unknown = await cli('discard', '00000000-0000-4000-8000-000000000000')
  t.equal(unknown.code, 1)
  t.match(unknown.stderr, /HTTP 404 DLQ_ITEM_NOT_FOUND/)

  // discard the other with a note (--json)
  const discard = await cli('discard', item2.id, '--note', 'xã đã nhận bản giấy', '--json')
  t.equal(discard.code, 0, discard.stderr)
  t.match(JSON.parse(discard.stdout), { id: item2.id, state: 'discarded', resolvedBy: 'demo:operator' })
  const empty = await cli('list')
  t.equal(empty.code, 0)
  t.equal(empty.stdout, '0 of 0 item(s) in state dead\n', 'nothing left to handle')
  const all = JSON.parse((await cli('list', '--state', 'all', '--json')).stdout) as { items: Item[] }
  t.same(all.items.map((i) => i.state).sort(), ['discarded', 'replayed'])
  const log = (await (await gw.call('operator', 'GET', '/v1/ops/log?limit=1000')).json()) as { items: { action: string | null; detail: { dlqItem?: string; note?: string } }[] }
  t.match(
    log.items.filter((r) => r.action?.startsWith('dlq.')),
    [
      { action: 'dlq.replay', detail: { dlqItem: item1.id } },
      { action: 'dlq.discard', detail: { dlqItem: item2.id, note: 'xã đã nhận bản giấy' } },
    ],
    'both audited under the operator key',
  )

  // usage and access
  t.equal((await cli('list', '--state', 'gone')).code, 2)
  t.equal((await cli('replay')).code, 2)
  t.equal((await cli('replay', item1.id, '--note', 'x')).code, 2)
  const denied = await lgsp(['dlq', 'list', '--url', gw.url, '--key', gw.creds[SENDER]!])
  t.equal(denied.code, 1, 'a client key is refused')
  t.match(denied.stderr, /HTTP 403 FORBIDDEN/)
  const down = await lgsp(['dlq', 'list', '--url', `http://127.0.0.1:${await freePort()}`, '--key', 'x'])
  t.equal(down.code, 1)
  t.match(down.stderr, /cannot reach/)
})
