/**
 * A gateway that died between Kafka's confirmation and recording the acceptance leaves a reservation whose
 * record is in Kafka: the router delivers it, and the acceptance sweep (src/workers/acceptance-sweep.ts)
 * then records it — ledger row accepted with the gateway's receipts, one `document.accepted` entry in the
 * message log, listed for the sender — and a resend of the same bytes gets that answer.
 */
import crypto from 'node:crypto'
import t from 'tap'
import { eventually, fixture, startGateway } from '../helpers/gateway.ts'
import { reserveDocument } from '../../src/store/ledger-repo.ts'
import type { DocumentRecord } from '../../src/bus/topics.ts'

const COMMUNE = '000.21.30.H41'
const PROVINCE = '000.00.00.H41'

t.test('a document routed but never accepted (the accepting process died) is accepted by the sweep', async (t) => {
  const gw = await startGateway(t)
  const bytes = Buffer.from(fixture('demo/commune-to-province.edxml').toString('utf8').replaceAll('125/UBND-VP', '931/UBND-VP'))
  const sha256 = crypto.createHash('sha256').update(bytes).digest('hex')
  const id = crypto.randomUUID()
  const documentId = '000.21.30.H41,2026/11/23,931/UBND-VP'
  const recipients = [{ organId: PROVINCE, tier: 'province' as const }, { organId: '000.00.00.G22', tier: 'central' as const }]

  // what the accepting request had done when it died: the row reserved, the payload stored, the record in
  // Kafka (acks=all) — and nothing after; its lease has run out
  await gw.rt.db.tx((q) => reserveDocument(q, { id, from: COMMUNE, documentId, sha256, size: bytes.length, contentType: 'application/xml', blobKey: sha256, subject: 'x', recipients, clientId: `demo:${COMMUNE}` }))
  await gw.rt.blobs.put(bytes)
  const record: DocumentRecord = { id, from: COMMUNE, documentId, to: recipients.map((r) => r.organId), sha256, size: bytes.length, contentType: 'application/xml', acceptedAt: new Date().toISOString() }
  await gw.rt.bus.send(gw.rt.topics.documents, [{ key: COMMUNE, value: record }])
  await gw.rt.db.query(`update documents set claimed_until = now() - interval '1 second' where id = $1`, [id])

  const row = await eventually(async () => {
    const r = (await gw.rt.db.query<{ state: string; receipt: { recipients: { receipt?: unknown }[] } | null }>('select state, receipt from documents where id = $1', [id])).rows[0]
    return r?.state === 'accepted' ? r : null
  }, 30_000, 'the orphan accepted by the sweep')
  t.equal(row.receipt?.recipients.length, 2, 'with a receipt per recipient')
  t.ok(row.receipt?.recipients.every((r) => typeof r.receipt === 'object'), 'each signed by the gateway')

  const log = (await gw.rt.db.query<{ n: string }>(`select count(*) as n from message_log where document_uuid = $1 and kind = 'document.accepted'`, [id])).rows[0]!
  t.equal(Number(log.n), 1, 'one document.accepted entry in the message log')
  const list = await (await gw.call(COMMUNE, 'GET', '/v1/documents')).json() as { items: { id: string }[] }
  t.ok(list.items.some((d) => d.id === id), 'the sender sees it in its list')
  const inbox = await eventually(async () => {
    const r = await (await gw.call(PROVINCE, 'GET', '/v1/inbox')).json() as { items: { documentId: string }[] }
    return r.items.find((i) => i.documentId === documentId)
  }, 30_000, 'delivered to the province')
  t.ok(inbox, 'delivered once routed')

  const again = await gw.call(COMMUNE, 'POST', '/v1/documents', bytes)
  t.equal(again.status, 202, 'a resend of the same bytes is answered')
  t.equal(again.headers.get('idempotent-replayed'), 'true')
  t.equal((await again.json() as { id: string }).id, id, 'with the same document')
  const logAfter = (await gw.rt.db.query<{ n: string }>(`select count(*) as n from message_log where document_uuid = $1 and kind = 'document.accepted'`, [id])).rows[0]!
  t.equal(Number(logAfter.n), 1, 'still one entry')
})
