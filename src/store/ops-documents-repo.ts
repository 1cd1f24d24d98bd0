/**
 * Operator views over the ledger, across every sender and recipient: search, stuck legs (accepted, not
 * delivered, older than a threshold), failed legs, and the redelivery schedule. Read-only.
 */
import type { Sql } from './db.ts'
import { isUuid } from './ledger-repo.ts'

export interface DocumentHit {
  id: string
  documentId: string
  from: string
  subject: string | null
  recipients: { organId: string; tier: string; status: string }[]
  acceptedAt: string | null
  sha256: string
  size: number
}

/**
 * `q` matches the gateway id exactly, or the edXML DocumentId / subject as a substring (case-insensitive);
 * `status` any leg's current status (e.g. DELIVERY_FAILED, 01, ROUTED); `sender` / `recipient` OrganIds.
 */
export async function searchDocuments(
  q: Sql,
  f: { q?: string; status?: string; sender?: string; recipient?: string; limit: number; offset: number },
): Promise<{ total: number; items: DocumentHit[] }> {
  const params: unknown[] = []
  const where: string[] = [`doc.state = 'accepted'`]
  const p = (v: unknown) => {
    params.push(v)
    return `$${params.length}`
  }
  const text = f.q?.trim()
  if (text) {
    if (isUuid(text)) where.push(`doc.id = ${p(text)}`)
    else {
      const like = p(`%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`)
      where.push(`(doc.document_id ilike ${like} or doc.subject ilike ${like})`)
    }
  }
  if (f.sender) where.push(`doc.from_organ = ${p(f.sender)}`)
  if (f.recipient) where.push(`${p(f.recipient)} = any(doc.recipients)`)
  if (f.status) where.push(`exists (select 1 from deliveries s where s.document_uuid = doc.id and s.status = ${p(f.status)})`)
  const w = where.join(' and ')
  const total = (await q.query<{ n: number }>(`select count(*)::int as n from documents doc where ${w}`, [...params])).rows[0]?.n ?? 0
  const page = `limit ${p(f.limit)} offset ${p(f.offset)}` // parameters, so the statement text stays one of a few (src/store/db.ts prepares them)
  const rows = (
    await q.query<{
      id: string
      document_id: string
      from_organ: string
      subject: string | null
      accepted_at: Date | null
      sha256: string
      size: string
      legs: { organId: string; tier: string; status: string }[] | null
    }>(
      `select doc.id, doc.document_id, doc.from_organ, doc.subject, doc.accepted_at, doc.sha256, doc.size,
            (select json_agg(json_build_object('organId', d.recipient, 'tier', d.tier, 'status', d.status)) from deliveries d where d.document_uuid = doc.id) as legs
     from documents doc where ${w} order by doc.created_at desc, doc.id ${page}`,
      params,
    )
  ).rows
  return {
    total,
    items: rows.map((r) => ({
      id: r.id,
      documentId: r.document_id,
      from: r.from_organ,
      subject: r.subject,
      recipients: r.legs ?? [],
      acceptedAt: r.accepted_at ? new Date(r.accepted_at).toISOString() : null,
      sha256: r.sha256,
      size: Number(r.size),
    })),
  }
}

export interface LegView {
  id: string
  documentId: string
  from: string
  recipient: string
  tier: string
  status: string
  acceptedAt: string | null
  updatedAt: string
  ageSeconds: number
  lastDetail?: unknown
}

const legView = (r: {
  id: string
  document_id: string
  from_organ: string
  recipient: string
  tier: string
  status: string
  accepted_at: Date | null
  updated_at: Date
  age: number
  detail?: unknown
}): LegView => ({
  id: r.id,
  documentId: r.document_id,
  from: r.from_organ,
  recipient: r.recipient,
  tier: r.tier,
  status: r.status,
  acceptedAt: r.accepted_at ? new Date(r.accepted_at).toISOString() : null,
  updatedAt: new Date(r.updated_at).toISOString(),
  ageSeconds: Math.round(r.age),
  ...(r.detail ? { lastDetail: r.detail } : {}),
})

/** Legs accepted but still PENDING/ROUTED after `olderThanSeconds`: the router or a tier consumer is behind, or the leg is retrying. */
export async function stuckDeliveries(q: Sql, olderThanSeconds: number, limit: number): Promise<LegView[]> {
  return (
    await q.query<Parameters<typeof legView>[0]>(
      `select doc.id, doc.document_id, doc.from_organ, d.recipient, d.tier, d.status, doc.accepted_at, d.updated_at,
            extract(epoch from now() - doc.accepted_at)::float8 as age,
            (select json_build_object('attempts', r.attempts, 'lastError', r.last_error, 'dueAt', r.due_at, 'endpoint', r.endpoint)
             from delivery_retries r where r.document_uuid = d.document_uuid and r.recipient = d.recipient) as detail
     from deliveries d join documents doc on doc.id = d.document_uuid
     where doc.state = 'accepted' and d.status in ('PENDING', 'ACCEPTED', 'ROUTED') and doc.accepted_at < now() - make_interval(secs => $1::float8)
     order by doc.accepted_at limit $2`,
      [olderThanSeconds, limit],
    )
  ).rows.map(legView)
}

/** Legs whose current status is DELIVERY_FAILED, newest first, with the failure detail. */
export async function failedDeliveries(q: Sql, limit: number): Promise<LegView[]> {
  return (
    await q.query<Parameters<typeof legView>[0]>(
      `select doc.id, doc.document_id, doc.from_organ, d.recipient, d.tier, d.status, doc.accepted_at, d.updated_at,
            extract(epoch from now() - d.updated_at)::float8 as age,
            (select e.detail from delivery_events e where e.document_uuid = d.document_uuid and e.recipient = d.recipient and e.status = 'DELIVERY_FAILED' order by e.seq desc limit 1) as detail
     from deliveries d join documents doc on doc.id = d.document_uuid
     where d.status = 'DELIVERY_FAILED' order by d.updated_at desc limit $1`,
      [limit],
    )
  ).rows.map(legView)
}

/** The redelivery schedule, soonest first. */
export async function retrySchedule(q: Sql, limit: number) {
  return (
    await q.query<{ document_uuid: string; recipient: string; tier: string; endpoint: string; attempts: number; first_at: Date; due_at: Date; last_error: string | null }>(
      `select document_uuid, recipient, record->>'tier' as tier, endpoint, attempts, first_at, due_at, last_error from delivery_retries order by due_at limit $1`,
      [limit],
    )
  ).rows.map((r) => ({
    id: r.document_uuid,
    recipient: r.recipient,
    tier: r.tier,
    endpoint: r.endpoint,
    attempts: r.attempts,
    firstAttemptAt: new Date(r.first_at).toISOString(),
    dueAt: new Date(r.due_at).toISOString(),
    lastError: r.last_error,
  }))
}
