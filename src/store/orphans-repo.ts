/**
 * Reservations whose Kafka record was written but whose acceptance was never recorded: the request that
 * wrote the record died (a crash, a SIGKILL) between Kafka's confirmation and the ledger update. The
 * router's ROUTED event is the proof that the record was durable: only such rows are found, and only when
 * their lease (claimed_until) has run out, i.e. their request is certainly gone.
 */
import type { Sql } from './db.ts'
import type { Tier } from '../routing/types.ts'

export interface OrphanRow {
  id: string
  from_organ: string
  document_id: string
  sha256: string
  size: string
  content_type: string
  recipients: string[]
  routed_at: string
}

/** Claims up to `limit` orphans for `leaseS` seconds (a conditional update: of several replicas, one wins). */
export async function claimOrphans(q: Sql, limit: number, leaseS: number): Promise<OrphanRow[]> {
  const r = await q.query<OrphanRow>(
    `update documents d set claimed_until = now() + make_interval(secs => $2)
       where d.id in (
         select id from documents p where p.state = 'pending' and p.claimed_until < now()
           and exists (select 1 from delivery_events e where e.document_uuid = p.id and e.status = 'ROUTED')
         order by p.created_at limit $1)
         and d.state = 'pending' and d.claimed_until < now()
       returning d.id, d.from_organ, d.document_id, d.sha256, d.size, d.content_type, d.recipients,
         (select min(e.at) from delivery_events e where e.document_uuid = d.id and e.status = 'ROUTED') as routed_at`,
    [limit, leaseS],
  )
  return r.rows
}

export async function legsOf(q: Sql, id: string): Promise<{ organId: string; tier: Tier }[]> {
  return (await q.query<{ organId: string; tier: Tier }>('select recipient as "organId", tier from deliveries where document_uuid = $1', [id])).rows
}
