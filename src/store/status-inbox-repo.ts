/**
 * The status inbox: edXML status packages addressed to an agency — statuses about documents it sent, and
 * recall requests (13) about documents it received — pulled and acked like the national axis's
 * `messagetype=status`. Rows are written by the receipts projection, in the same transaction as the timeline
 * event, and are unique by the receipts event key.
 */
import crypto from 'node:crypto'
import type { Sql } from './db.ts'
import { isUuid, type Alongside } from './ledger-repo.ts'
import type { Verdict } from '../signing/verify-edxml.ts'

export interface StatusInboxRow {
  id: string
  seq: number
  documentUuid: string
  documentId: string
  documentFrom: string
  addressee: string
  recipient: string
  from: string
  statusCode: string
  description: string | null
  at: string
  statusBlob: string
  contentType: string
  outOfOrder: boolean
  ackedAt: string | null
  /** the signature verdict taken when the status entered the gateway; null for statuses the gateway built */
  signature: Verdict | null
}

/**
 * The status-inbox row as a write alongside the status's timeline event (src/store/ledger-repo.ts
 * recordEventsWith): one statement, and the row only where the event was written — a status about no leg
 * of this document, or a replay, adds none. Unique by the receipts event key.
 */
export const statusRow = (s: Omit<StatusInboxRow, 'id' | 'seq' | 'documentId' | 'documentFrom' | 'ackedAt'> & { eventKey: string }): Alongside => ({
  sql: (p) =>
    `insert into status_inbox (id, event_key, document_uuid, addressee, recipient, from_organ, status_code, description, at, status_blob, content_type, out_of_order, signature)
     select ${p(crypto.randomUUID())}::uuid, ${p(s.eventKey)}::text, ${p(s.documentUuid)}::uuid, ${p(s.addressee)}::text, ${p(s.recipient)}::text, ${p(s.from)}::text,
       ${p(s.statusCode)}::text, ${p(s.description)}::text, ${p(s.at)}::timestamptz, ${p(s.statusBlob)}::text, ${p(s.contentType)}::text, ${p(s.outOfOrder)}::boolean,
       ${p(s.signature === null ? null : JSON.stringify(s.signature))}::jsonb
     where exists (select 1 from event) on conflict (event_key) do nothing returning 1`,
})

const SELECT = `select s.*, d.document_id, d.from_organ as document_from from status_inbox s join documents d on d.id = s.document_uuid`

const toRow = (r: Record<string, unknown>): StatusInboxRow => ({
  id: r.id as string,
  seq: Number(r.seq),
  documentUuid: r.document_uuid as string,
  documentId: r.document_id as string,
  documentFrom: r.document_from as string,
  addressee: r.addressee as string,
  recipient: r.recipient as string,
  from: r.from_organ as string,
  statusCode: r.status_code as string,
  description: (r.description as string | null) ?? null,
  at: new Date(r.at as string).toISOString(),
  statusBlob: r.status_blob as string,
  contentType: r.content_type as string,
  outOfOrder: r.out_of_order as boolean,
  ackedAt: r.acked_at ? new Date(r.acked_at as string).toISOString() : null,
  signature: (r.signature as Verdict | null) ?? null,
})

/** In arrival order (seq); `after` is the seq of the last item already seen (cursor paging). */
export async function listStatuses(q: Sql, organIds: string[], o: { includeAcked: boolean; after: number; limit: number; document?: string }): Promise<StatusInboxRow[]> {
  const params: unknown[] = [organIds, o.after, o.limit]
  let where = 's.addressee = any($1) and s.seq > $2'
  if (!o.includeAcked) where += ' and s.acked_at is null'
  if (o.document) {
    params.push(o.document)
    where += ` and s.document_uuid = $${params.length}`
  }
  return (await q.query(`${SELECT} where ${where} order by s.seq limit $3`, params)).rows.map(toRow)
}

export async function getStatus(q: Sql, id: string): Promise<StatusInboxRow | null> {
  if (!isUuid(id)) return null
  const r = (await q.query(`${SELECT} where s.id = $1`, [id])).rows[0]
  return r ? toRow(r) : null
}

export async function ackStatus(q: Sql, id: string): Promise<string> {
  const r = (await q.query<{ acked_at: Date }>('update status_inbox set acked_at = coalesce(acked_at, now()) where id = $1 returning acked_at', [id])).rows[0]
  return new Date(r!.acked_at).toISOString()
}
