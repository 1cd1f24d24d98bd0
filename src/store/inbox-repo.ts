/** The pull inbox: one row per (document, recipient), written by the delivery worker. */
import crypto from 'node:crypto'
import type { Sql } from './db.ts'
import { isUuid, type Alongside } from './ledger-repo.ts'

export interface InboxItem {
  id: string
  documentUuid: string
  recipient: string
  from: string
  documentId: string
  subject: string | null
  sha256: string
  size: number
  blobKey: string
  contentType: string
  deliveredAt: string
  ackedAt: string | null
  /** the closed code the package names, when it was delivered to that agency's successor */
  addressedTo?: string | null
}

const SELECT = `select i.id, i.document_uuid, i.recipient, i.delivered_at, i.acked_at, d.from_organ, d.document_id,
  d.subject, d.sha256, d.size, d.blob_key, d.content_type, dl.addressed_to from inbox i join documents d on d.id = i.document_uuid
  left join deliveries dl on dl.document_uuid = i.document_uuid and dl.recipient = i.recipient`

const toItem = (r: Record<string, unknown>): InboxItem => ({
  id: r.id as string,
  documentUuid: r.document_uuid as string,
  recipient: r.recipient as string,
  from: r.from_organ as string,
  documentId: r.document_id as string,
  subject: (r.subject as string | null) ?? null,
  sha256: r.sha256 as string,
  size: Number(r.size),
  blobKey: r.blob_key as string,
  contentType: r.content_type as string,
  deliveredAt: new Date(r.delivered_at as string).toISOString(),
  ackedAt: r.acked_at ? new Date(r.acked_at as string).toISOString() : null,
  ...(r.addressed_to ? { addressedTo: r.addressed_to as string } : {}),
})

/**
 * The inbox row as a write alongside the leg's DELIVERED (src/delivery/contract.ts): one statement puts
 * both, or neither. Idempotent: a second delivery of the same (document, recipient) writes no row.
 */
export const inboxRow = (documentUuid: string, recipient: string): Alongside => ({
  sql: (p) => `insert into inbox (id, document_uuid, recipient) values (${p(crypto.randomUUID())}::uuid, ${p(documentUuid)}::uuid, ${p(recipient)}::text)
    on conflict (document_uuid, recipient) do nothing returning 1`,
})

export async function listInbox(q: Sql, organIds: string[], opts: { includeAcked: boolean; limit: number }): Promise<InboxItem[]> {
  const rows = (
    await q.query(`${SELECT} where i.recipient = any($1) ${opts.includeAcked ? '' : 'and i.acked_at is null'} order by i.delivered_at, i.id limit $2`, [organIds, opts.limit])
  ).rows
  return rows.map(toItem)
}

export async function getInboxItem(q: Sql, id: string): Promise<InboxItem | null> {
  if (!isUuid(id)) return null
  const r = (await q.query(`${SELECT} where i.id = $1`, [id])).rows[0]
  return r ? toItem(r) : null
}

export async function markAcked(q: Sql, id: string, at: string): Promise<void> {
  await q.query('update inbox set acked_at = coalesce(acked_at, $2) where id = $1', [id, at])
}

/** Every OrganId with something un-acked waiting, documents or statuses (a relay lists only those). */
export async function addresseesWaiting(q: Sql): Promise<string[]> {
  return (
    await q.query<{ o: string }>('select distinct recipient as o from inbox where acked_at is null union select distinct addressee from status_inbox where acked_at is null')
  ).rows.map((r) => r.o)
}

/** The inbox items of one document, one per recipient it reached here. */
export async function inboxItemsOf(q: Sql, documentUuid: string): Promise<{ id: string; recipient: string; delivered_at: Date }[]> {
  return (await q.query<{ id: string; recipient: string; delivered_at: Date }>('select id, recipient, delivered_at from inbox where document_uuid = $1', [documentUuid])).rows
}

/** The documents in `recipient`'s inbox it has not acknowledged. */
export async function unreadDocumentsOf(q: Sql, recipient: string): Promise<string[]> {
  return (await q.query<{ document_uuid: string }>('select document_uuid from inbox where recipient = $1 and acked_at is null', [recipient])).rows.map((r) => r.document_uuid)
}
