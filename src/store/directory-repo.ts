/** Persistence of the agency directory. The in-memory index for routing is built from `listAgencies`. */
import type { Agency } from '../routing/types.ts'
import type { Sql } from './db.ts'

interface Row {
  organ_id: string
  name: string
  tier: Agency['tier']
  parent: string | null
  gateway: string | null
  endpoint: Agency['endpoint']
  certificates: string[]
  enabled: boolean
  closed_day: string | null
  successors: string[] | null
  closure_note: string | null
}

const toAgency = (r: Row): Agency => ({
  organId: r.organ_id,
  name: r.name,
  tier: r.tier,
  parent: r.parent,
  gateway: r.gateway,
  endpoint: r.endpoint,
  certificates: r.certificates,
  enabled: r.enabled,
  ...(r.closed_day ? { closed: { on: r.closed_day, successors: r.successors ?? [], note: r.closure_note } } : {}),
})

// the closure date as text: a `date` read into a JS Date would shift with the process time zone
const SELECT = `select *, to_char(closed_on, 'YYYY-MM-DD') as closed_day from agencies`

// A closure is history: an upsert that carries none (an ordinary directory re-import) keeps the one stored,
// so re-importing an old directory file never reopens a closed code.
const KEEP_CLOSURE = `closed_on = coalesce(excluded.closed_on, agencies.closed_on),
         successors = case when excluded.closed_on is null then agencies.successors else excluded.successors end,
         closure_note = case when excluded.closed_on is null then agencies.closure_note else excluded.closure_note end`

export async function upsertAgencies(q: Sql, agencies: Agency[]): Promise<void> {
  for (const a of agencies) {
    await q.query(
      `insert into agencies (organ_id, name, tier, parent, gateway, endpoint, certificates, enabled, closed_on, successors, closure_note, updated_at)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9::date, $10, $11, now())
       on conflict (organ_id) do update set name = excluded.name, tier = excluded.tier, parent = excluded.parent,
         gateway = excluded.gateway, endpoint = excluded.endpoint, certificates = excluded.certificates,
         enabled = excluded.enabled, ${KEEP_CLOSURE}, updated_at = now()`,
      [
        a.organId,
        a.name,
        a.tier,
        a.parent,
        a.gateway,
        JSON.stringify(a.endpoint),
        a.certificates,
        a.enabled,
        a.closed?.on ?? null,
        a.closed?.successors ?? [],
        a.closed?.note ?? null,
      ],
    )
  }
}

export async function listAgencies(q: Sql): Promise<Agency[]> {
  return (await q.query<Row>(`${SELECT} order by organ_id`)).rows.map(toAgency)
}

export async function getAgency(q: Sql, organId: string): Promise<Agency | null> {
  const r = (await q.query<Row>(`${SELECT} where organ_id = $1`, [organId])).rows[0]
  return r ? toAgency(r) : null
}

// ── the directory API ──

/**
 * Upserts many agencies in a few statements (chunks of 1,000 rows as one jsonb parameter): a national
 * directory of 111,000 agencies is ~111 statements instead of 111,000 round trips.
 */
export async function upsertAgenciesBulk(q: Sql, agencies: Agency[]): Promise<void> {
  for (let i = 0; i < agencies.length; i += 1000) {
    const chunk = agencies.slice(i, i + 1000).map((a) => ({
      organ_id: a.organId,
      name: a.name,
      tier: a.tier,
      parent: a.parent,
      gateway: a.gateway,
      endpoint: a.endpoint,
      certificates: a.certificates,
      enabled: a.enabled,
      closed_on: a.closed?.on ?? null,
      successors: a.closed?.successors ?? [],
      closure_note: a.closed?.note ?? null,
    }))
    await q.query(
      `insert into agencies (organ_id, name, tier, parent, gateway, endpoint, certificates, enabled, closed_on, successors, closure_note, updated_at)
       select x.organ_id, x.name, x.tier, x.parent, x.gateway, x.endpoint, array(select jsonb_array_elements_text(x.certificates)), x.enabled,
         x.closed_on::date, array(select jsonb_array_elements_text(x.successors)), x.closure_note, now()
       from jsonb_to_recordset($1::jsonb) as x(organ_id text, name text, tier text, parent text, gateway text, endpoint jsonb, certificates jsonb, enabled boolean,
         closed_on text, successors jsonb, closure_note text)
       on conflict (organ_id) do update set name = excluded.name, tier = excluded.tier, parent = excluded.parent,
         gateway = excluded.gateway, endpoint = excluded.endpoint, certificates = excluded.certificates,
         enabled = excluded.enabled, ${KEEP_CLOSURE}, updated_at = now()`,
      [JSON.stringify(chunk)],
    )
  }
}

/** true when the agency existed */
export async function deleteAgency(q: Sql, organId: string): Promise<boolean> {
  return (await q.query('delete from agencies where organ_id = $1', [organId])).rowCount > 0
}

// ── closures (a change table applied, src/ops/succession.ts) ──

/** Stores the agency's closure: the day it closes, its successors and the table's note. */
export async function recordClosure(q: Sql, organId: string, on: string, successors: string[], note: string | null): Promise<void> {
  await q.query('update agencies set closed_on = $2::date, successors = $3, closure_note = $4, updated_at = now() where organ_id = $1', [organId, on, successors, note])
}

/**
 * Adds the certificate bindings of the closing agency `from` (its entry's, plus `extraFingerprints`: the
 * trust store's agency certificates of that code) to the entry of its successor `to`, without duplicates.
 */
export async function carryCertificatesToSuccessor(q: Sql, from: string, to: string, extraFingerprints: string[]): Promise<void> {
  await q.query(
    `update agencies s set certificates = array(select distinct unnest(s.certificates || o.certificates || $3::text[]))
      from agencies o where o.organ_id = $1 and s.organ_id = $2`,
    [from, to, extraFingerprints],
  )
}

/** Clears the agency's certificate bindings. */
export async function clearCertificates(q: Sql, organId: string): Promise<void> {
  await q.query(`update agencies set certificates = '{}' where organ_id = $1`, [organId])
}
