/**
 * The sender's list of sent documents (GET /v1/documents), newest first, with each recipient's current
 * status. Keyset paging on (accepted_at, id): the cursor carries accepted_at as PostgreSQL prints it, so it
 * round-trips at microsecond precision (a JS Date would cut it to milliseconds and skip or repeat rows).
 */
import type { Sql } from './db.ts'
import type { Tier } from '../routing/types.ts'

export interface ListedDocument {
  id: string
  documentId: string
  from: string
  subject: string | null
  acceptedAt: string
  recipients: { organId: string; tier: Tier; status: string }[]
}

export interface ListQuery {
  /** the caller's OrganIds; null = every sender (operator) */
  senders: string[] | null
  status?: string
  recipient?: string
  since?: string
  cursor?: { at: string; id: string }
  limit: number
}

export async function listSentDocuments(q: Sql, o: ListQuery): Promise<{ items: ListedDocument[]; next: { at: string; id: string } | null }> {
  const params: unknown[] = []
  const p = (v: unknown) => {
    params.push(v)
    return `$${params.length}`
  }
  const where = [`d.state = 'accepted'`]
  if (o.senders) where.push(`d.from_organ = any(${p(o.senders)})`)
  if (o.since) where.push(`d.accepted_at >= ${p(o.since)}::timestamptz`)
  if (o.recipient || o.status) {
    const leg = [`x.document_uuid = d.id`]
    if (o.recipient) leg.push(`x.recipient = ${p(o.recipient)}`)
    if (o.status) leg.push(`x.status = ${p(o.status)}`)
    where.push(`exists (select 1 from deliveries x where ${leg.join(' and ')})`)
  }
  if (o.cursor) where.push(`(d.accepted_at, d.id) < (${p(o.cursor.at)}::timestamptz, ${p(o.cursor.id)}::uuid)`)
  const rows = (
    await q.query<{ id: string; document_id: string; from_organ: string; subject: string | null; accepted_at: Date; at_text: string; recipients: string[] }>(
      `select d.id, d.document_id, d.from_organ, d.subject, d.accepted_at, d.accepted_at::text as at_text, d.recipients
     from documents d where ${where.join(' and ')} order by d.accepted_at desc, d.id desc limit ${p(o.limit + 1)}`,
      params,
    )
  ).rows
  const page = rows.slice(0, o.limit)
  const legs = page.length
    ? (
        await q.query<{ document_uuid: string; recipient: string; tier: Tier; status: string }>(
          'select document_uuid, recipient, tier, status from deliveries where document_uuid = any($1)',
          [page.map((r) => r.id)],
        )
      ).rows
    : []
  const items = page.map((r) => {
    const mine = new Map(legs.filter((l) => l.document_uuid === r.id).map((l) => [l.recipient, l]))
    return {
      id: r.id,
      documentId: r.document_id,
      from: r.from_organ,
      subject: r.subject,
      acceptedAt: new Date(r.accepted_at).toISOString(),
      recipients: r.recipients
        .map((o) => mine.get(o))
        .filter((l) => !!l)
        .map((l) => ({ organId: l!.recipient, tier: l!.tier, status: l!.status })),
    }
  })
  const last = page[page.length - 1]
  return { items, next: rows.length > o.limit && last ? { at: last.at_text, id: last.id } : null }
}
