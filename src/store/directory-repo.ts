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

// ── issue #5: the directory API ──

/**
 * Upserts many agencies in a few statements (chunks of 1,000 rows as one jsonb parameter): a national
 * directory of 111,000 agencies is ~111 statements instead of 111,000 round trips.
 */
export async function upsertAgenciesBulk(q: Sql, agencies: Agency[]): Promise<void> {
  for (let i = 0; i < agencies.length; i += 1000) {
    const chunk = agencies.slice(i, i + 1000).map((a) => ({
      organ_id: a.organId, name: a.name, tier: a.tier, parent: a.parent, gateway: a.gateway, endpoint: a.endpoint,
      certificates: a.certificates, enabled: a.enabled,
    }))
    await q.query(
      `insert into agencies (organ_id, name, tier, parent, gateway, endpoint, certificates, enabled, updated_at)
       select x.organ_id, x.name, x.tier, x.parent, x.gateway, x.endpoint, array(select jsonb_array_elements_text(x.certificates)), x.enabled, now()
       from jsonb_to_recordset($1::jsonb) as x(organ_id text, name text, tier text, parent text, gateway text, endpoint jsonb, certificates jsonb, enabled boolean)
       on conflict (organ_id) do update set name = excluded.name, tier = excluded.tier, parent = excluded.parent,
         gateway = excluded.gateway, endpoint = excluded.endpoint, certificates = excluded.certificates,
         enabled = excluded.enabled, updated_at = now()`,
      [JSON.stringify(chunk)],
    )
  }
}

/** true when the agency existed */
export async function deleteAgency(q: Sql, organId: string): Promise<boolean> {
  return (await q.query('delete from agencies where organ_id = $1', [organId])).rowCount > 0
}
