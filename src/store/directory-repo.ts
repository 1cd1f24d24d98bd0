/** Persistence of the agency directory. The in-memory index for routing is built from `listAgencies`. */
import type { Agency } from '../routing/types.ts'
import type { Sql } from './db.ts'

interface Row {
  organ_id: string; name: string; tier: Agency['tier']; parent: string | null; gateway: string | null
  endpoint: Agency['endpoint']; certificates: string[]; enabled: boolean
}

const toAgency = (r: Row): Agency => ({
  organId: r.organ_id, name: r.name, tier: r.tier, parent: r.parent, gateway: r.gateway,
  endpoint: r.endpoint, certificates: r.certificates, enabled: r.enabled,
})

export async function upsertAgencies(q: Sql, agencies: Agency[]): Promise<void> {
  for (const a of agencies) {
    await q.query(
      `insert into agencies (organ_id, name, tier, parent, gateway, endpoint, certificates, enabled, updated_at)
       values ($1, $2, $3, $4, $5, $6, $7, $8, now())
       on conflict (organ_id) do update set name = excluded.name, tier = excluded.tier, parent = excluded.parent,
         gateway = excluded.gateway, endpoint = excluded.endpoint, certificates = excluded.certificates,
         enabled = excluded.enabled, updated_at = now()`,
      [a.organId, a.name, a.tier, a.parent, a.gateway, JSON.stringify(a.endpoint), a.certificates, a.enabled],
    )
  }
}

export async function listAgencies(q: Sql): Promise<Agency[]> {
  return (await q.query<Row>('select * from agencies order by organ_id')).rows.map(toAgency)
}

export async function getAgency(q: Sql, organId: string): Promise<Agency | null> {
  const r = (await q.query<Row>('select * from agencies where organ_id = $1', [organId])).rows[0]
  return r ? toAgency(r) : null
}
