/**
 * The message log is tamper-evident: altering one message-log row makes `lgsp log verify` fail and name the row; so does
 * deleting one (in the middle, or the newest). The log is filled by the real path: documents accepted over
 * HTTP (markAccepted's transaction), statuses 01 projected from Kafka (the receipts projection's
 * transaction), appended concurrently. The CLI runs as a separate process against the gateway's API.
 */
import t from 'tap'
import pg from 'pg'
import { TEST_DATABASE_URL, eventually, startGateway } from '../helpers/gateway.ts'
import { edoc } from '../helpers/federation.ts'
import { lgsp } from '../helpers/ops.ts'

const SENDER = '000.21.30.H41'
const PROVINCE = '000.00.00.H41'

t.test('lgsp log verify names an altered row and a removed row', async (t) => {
  const gw = await startGateway(t)
  const sql = new pg.Client({ connectionString: TEST_DATABASE_URL })
  await sql.connect()
  t.teardown(() => sql.end())
  const schema = gw.rt.config.databaseSchema
  const cli = (...extra: string[]) => lgsp(['log', 'verify', '--url', gw.url, '--key', gw.creds.operator!, ...extra])

  // eight documents at once: appends serialise on the head row, the chain stays linear
  const answers = await Promise.all(
    Array.from({ length: 8 }, async (_, i) => {
      const r = await gw.call(SENDER, 'POST', '/v1/documents', await gw.sign(SENDER, edoc(SENDER, [PROVINCE], 800 + i)))
      t.equal(r.status, 202)
      return (await r.json()) as { id: string; sha256: string }
    }),
  )
  // the province acks everything: status 01 for each, appended by the receipts projection
  const items = await eventually(
    async () => {
      const r = (await (await gw.call(PROVINCE, 'GET', '/v1/inbox')).json()) as { items: { id: string }[] }
      return r.items.length === 8 ? r.items : null
    },
    30_000,
    'eight documents in the province inbox',
  )
  await Promise.all(items.map(async (i) => t.equal((await gw.call(PROVINCE, 'POST', `/v1/inbox/${i.id}/ack`)).status, 202)))
  const rows = await eventually(
    async () => {
      const r = (await (await gw.call('operator', 'GET', '/v1/ops/log?limit=100')).json()) as {
        head: { seq: number }
        items: { seq: number; kind: string; sha256: string; documentUuid: string; sender: string; status: string }[]
      }
      return r.items.length === 16 ? r : null
    },
    30_000,
    'sixteen log rows',
  )
  t.same(
    rows.items.map((r) => r.seq),
    Array.from({ length: 16 }, (_, i) => i + 1),
    'seq 1…16, no gaps',
  )
  t.equal(rows.head.seq, 16)
  t.equal(rows.items.filter((r) => r.kind === 'document.accepted').length, 8)
  t.equal(rows.items.filter((r) => r.kind === 'document.status' && r.status === '01').length, 8)
  const acc = rows.items.find((r) => r.kind === 'document.accepted' && r.documentUuid === answers[0]!.id)!
  t.equal(acc.sha256, answers[0]!.sha256, 'the accepted row carries the hash of the exact bytes')
  t.equal(acc.sender, SENDER)

  const ok = await cli()
  t.equal(ok.code, 0, `intact: ${ok.stdout.trim()}${ok.stderr}`)
  t.match(ok.stdout, /intact: 16 rows/)
  const api = (await (await gw.call('operator', 'GET', '/v1/ops/log/verify')).json()) as { ok: boolean; checked: number }
  t.same([api.ok, api.checked], [true, 16], 'the API agrees')

  // 1. alter one column of row 5
  const before = (await sql.query(`select sender from ${schema}.message_log where seq = 5`)).rows[0].sender as string
  await sql.query(`update ${schema}.message_log set sender = '000.99.99.H41' where seq = 5`)
  const altered = await cli('--json')
  t.equal(altered.code, 1, 'an altered row fails verification')
  const res = JSON.parse(altered.stdout) as { ok: boolean; problems: { seq: number; problem: string; detail: string }[] }
  t.same(
    res.problems.map((p) => [p.seq, p.problem]),
    [[5, 'altered']],
    'exactly row 5 is named, as altered',
  )
  const human = await cli()
  t.match(human.stdout, /row 5: altered/)
  await sql.query(`update ${schema}.message_log set sender = $1 where seq = 5`, [before])
  t.equal((await cli()).code, 0, 'restored: intact again')

  // a detail (jsonb) change is caught too
  await sql.query(`update ${schema}.message_log set detail = jsonb_set(detail, '{signed}', 'false') where seq = 2`)
  const d = JSON.parse((await cli('--json')).stdout) as { problems: { seq: number; problem: string }[] }
  t.same(
    d.problems.map((p) => [p.seq, p.problem]),
    [[2, 'altered']],
    'row 2 named when its detail changed',
  )
  await sql.query(`update ${schema}.message_log set detail = jsonb_set(detail, '{signed}', 'true') where seq = 2`)

  // 2. delete row 9
  await sql.query(`delete from ${schema}.message_log where seq = 9`)
  const removed = await cli('--json')
  t.equal(removed.code, 1, 'a removed row fails verification')
  t.same(
    JSON.parse(removed.stdout).problems.map((p: { seq: number; problem: string }) => [p.seq, p.problem]),
    [[9, 'removed']],
    'row 9 named as removed',
  )
  t.match((await cli()).stdout, /row 9: removed — row 9 missing before row 10/)

  // 3. delete the newest row as well: the head still names it
  await sql.query(`delete from ${schema}.message_log where seq = 16`)
  const tail = JSON.parse((await cli('--json')).stdout) as { problems: { seq: number; problem: string; detail: string }[] }
  t.same(
    tail.problems.map((p) => [p.seq, p.problem]),
    [
      [9, 'removed'],
      [16, 'removed'],
    ],
    'the removed newest row 16 is named too',
  )

  // the log cannot be read without an operator key
  t.equal((await gw.call(SENDER, 'GET', '/v1/ops/log')).status, 403)
})
