/**
 * A gateway that died between Kafka's confirmation and recording the acceptance leaves a reservation whose
 * record is in Kafka: the router delivers it, and the acceptance sweep (src/ingest/acceptance-sweep.ts)
 * then records it — ledger row accepted with the gateway's receipts, one `document.accepted` entry in the
 * message log, listed for the sender — and a resend of the same bytes gets that answer.
 */
import crypto from 'node:crypto'
import t from 'tap'
import pg from 'pg'
import { TEST_DATABASE_URL, eventually, fixture, startGateway } from '../helpers/gateway.ts'
import { reserveDocument } from '../../src/store/ledger-repo.ts'
import type { DocumentRecord } from '../../src/bus/topics.ts'

const COMMUNE = '000.21.30.H41'
const PROVINCE = '000.00.00.H41'

t.test('a document routed but never accepted (the accepting process died) is accepted by the sweep', async (t) => {
  const gw = await startGateway(t)
  const bytes = await gw.sign(COMMUNE, fixture('demo/commune-to-province.edxml').toString('utf8').replaceAll('125/UBND-VP', '931/UBND-VP'))
  const sha256 = crypto.createHash('sha256').update(bytes).digest('hex')
  const id = crypto.randomUUID()
  const documentId = '000.21.30.H41,2026/11/23,931/UBND-VP'
  const recipients = [
    { organId: PROVINCE, tier: 'province' as const },
    { organId: '000.00.00.G22', tier: 'central' as const },
  ]

  // what the accepting request had done when it died: the row reserved, the payload stored, the record in
  // Kafka (acks=all) — and nothing after; its lease has run out
  await gw.rt.db.tx((q) =>
    reserveDocument(q, {
      id,
      from: COMMUNE,
      documentId,
      sha256,
      size: bytes.length,
      contentType: 'application/xml',
      blobKey: sha256,
      subject: 'x',
      recipients,
      clientId: `demo:${COMMUNE}`,
    }),
  )
  await gw.rt.blobs.put(bytes)
  const record: DocumentRecord = {
    id,
    from: COMMUNE,
    documentId,
    to: recipients.map((r) => r.organId),
    sha256,
    size: bytes.length,
    contentType: 'application/xml',
    acceptedAt: new Date().toISOString(),
  }
  await gw.rt.bus.send(gw.rt.topics.documents, [{ key: COMMUNE, value: record }])
  await gw.rt.db.query(`update documents set claimed_until = now() - interval '1 second' where id = $1`, [id])

  const row = await eventually(
    async () => {
      const r = (await gw.rt.db.query<{ state: string; receipt: { recipients: { receipt?: unknown }[] } | null }>('select state, receipt from documents where id = $1', [id]))
        .rows[0]
      return r?.state === 'accepted' ? r : null
    },
    30_000,
    'the orphan accepted by the sweep',
  )
  t.equal(row.receipt?.recipients.length, 2, 'with a receipt per recipient')
  t.ok(
    row.receipt?.recipients.every((r) => typeof r.receipt === 'object'),
    'each signed by the gateway',
  )

  const log = (await gw.rt.db.query<{ n: string }>(`select count(*) as n from message_log where document_uuid = $1 and kind = 'document.accepted'`, [id])).rows[0]!
  t.equal(Number(log.n), 1, 'one document.accepted entry in the message log')
  const list = (await (await gw.call(COMMUNE, 'GET', '/v1/documents')).json()) as { items: { id: string }[] }
  t.ok(
    list.items.some((d) => d.id === id),
    'the sender sees it in its list',
  )
  const inbox = await eventually(
    async () => {
      const r = (await (await gw.call(PROVINCE, 'GET', '/v1/inbox')).json()) as { items: { documentId: string }[] }
      return r.items.find((i) => i.documentId === documentId)
    },
    30_000,
    'delivered to the province',
  )
  t.ok(inbox, 'delivered once routed')

  const again = await gw.call(COMMUNE, 'POST', '/v1/documents', bytes)
  t.equal(again.status, 202, 'a resend of the same bytes is answered')
  t.equal(again.headers.get('idempotent-replayed'), 'true')
  t.equal(((await again.json()) as { id: string }).id, id, 'with the same document')
  const logAfter = (await gw.rt.db.query<{ n: string }>(`select count(*) as n from message_log where document_uuid = $1 and kind = 'document.accepted'`, [id])).rows[0]!
  t.equal(Number(logAfter.n), 1, 'still one entry')
})

t.test('an acceptance written after the delivery does not move the leg back to ACCEPTED', async (t) => {
  // The acceptance is recorded after Kafka confirmed the record; a busy gateway may route and deliver the
  // document first. A trigger makes the acceptance wait on an advisory lock this test holds, so that
  // happens for sure (the router and the delivery need neither the lock nor the documents row).
  const gw = await startGateway(t)
  const schema = gw.rt.config.databaseSchema
  const lock = crypto.randomInt(1, 2 ** 31 - 1)
  const bytes = await gw.sign(COMMUNE, fixture('demo/commune-to-province.edxml').toString('utf8').replaceAll('125/UBND-VP', '932/UBND-VP'))
  const holder = new pg.Client({ connectionString: TEST_DATABASE_URL })
  await holder.connect()
  t.teardown(() => holder.end())
  await holder.query(`create function ${schema}.hold_acceptance() returns trigger language plpgsql as $$
    begin if old.state = 'pending' and new.state = 'accepted' then perform pg_advisory_xact_lock(${lock}); end if; return new; end $$`)
  await holder.query(`create trigger hold_acceptance before update on ${schema}.documents for each row execute function ${schema}.hold_acceptance()`)
  await holder.query('select pg_advisory_lock($1)', [lock])
  const posting = gw.call(COMMUNE, 'POST', '/v1/documents', bytes)
  const legs = async () =>
    (
      await gw.rt.db.query<{ recipient: string; status: string }>(
        `select d.recipient, d.status from deliveries d join documents doc on doc.id = d.document_uuid where doc.document_id = $1`,
        ['000.21.30.H41,2026/11/23,932/UBND-VP'],
      )
    ).rows
  await eventually(
    async () => {
      const l = await legs()
      return l.length === 2 && l.every((x) => x.status === 'DELIVERED')
    },
    30_000,
    'both legs delivered while the acceptance waits',
  )
  await holder.query('select pg_advisory_unlock($1)', [lock])
  const r = await posting
  t.equal(r.status, 202, 'then accepted')
  const { id } = (await r.json()) as { id: string }
  const view = (await (await gw.call(COMMUNE, 'GET', `/v1/documents/${id}`)).json()) as { recipients: { organId: string; status: string; timeline: { status: string }[] }[] }
  for (const leg of view.recipients) {
    t.equal(leg.status, 'DELIVERED', `${leg.organId}: still DELIVERED, not ACCEPTED`)
    t.same(leg.timeline.map((e) => e.status).slice(0, 3), ['ACCEPTED', 'ROUTED', 'DELIVERED'], `${leg.organId}: the timeline in the order things happened`)
  }
})
