/** Client systems and operators, each with an API key bound to the OrganIds it may act for. */
import crypto from 'node:crypto'
import type { Sql } from './db.ts'
import { writing } from './generations.ts'

/** 'gateway': a trusted peer gateway; its organIds are the jurisdiction patterns it may forward */
export type Role = 'client' | 'operator' | 'gateway'
export interface Principal {
  clientId: string
  name: string
  role: Role
  organIds: ReadonlySet<string>
}

export const hashKey = (key: string) => crypto.createHash('sha256').update(key, 'utf8').digest('hex')
export const newApiKey = () => `lgsp_${crypto.randomBytes(24).toString('base64url')}`

/** Creates (or re-binds) a client whose key is `key`; returns the key. */
export async function saveClient(q: Sql, c: { id: string; name: string; role: Role; organIds: string[]; key?: string }): Promise<string> {
  return writing('clients', async () => {
    const key = c.key ?? newApiKey()
    await q.query(
      `insert into clients (id, name, key_hash, organ_ids, role) values ($1, $2, $3, $4, $5)
       on conflict (id) do update set name = excluded.name, key_hash = excluded.key_hash,
         organ_ids = excluded.organ_ids, role = excluded.role, disabled = false`,
      [c.id, c.name, hashKey(key), c.organIds, c.role],
    )
    return key
  })
}

/**
 * The principal of a key: the current key of an enabled client, or its previous key while the rotation's
 * overlap window lasts (`until`: when that window ends; null for a current key). src/gateway/principals.ts
 * caches the answer until the clients table changes (src/store/generations.ts).
 */
export async function findPrincipal(q: Sql, key: string): Promise<{ principal: Principal; until: Date | null } | null> {
  const h = hashKey(key)
  const r = (
    await q.query<{ id: string; name: string; role: Role; organ_ids: string[]; until: Date | null }>(
      `select id, name, role, organ_ids, case when key_hash = $1 then null else previous_until end as until from clients
     where not disabled and (key_hash = $1 or (previous_key_hash = $1 and previous_until > now()))`,
      [h],
    )
  ).rows[0]
  return r ? { principal: { clientId: r.id, name: r.name, role: r.role, organIds: new Set(r.organ_ids) }, until: r.until ? new Date(r.until) : null } : null
}

export interface ClientKeyInfo {
  id: string
  name: string
  role: Role
  organIds: string[]
  disabled: boolean
  createdAt: string | null
  rotatedAt: string | null
  /** the previous key is still accepted until this instant (null: no overlap running) */
  previousValidUntil: string | null
}

const iso = (v: unknown) => (v ? new Date(v as string).toISOString() : null)

export async function listClientKeys(q: Sql): Promise<ClientKeyInfo[]> {
  const rows = (await q.query<Record<string, unknown>>('select * from clients order by id')).rows
  return rows.map((r) => ({
    id: r.id as string,
    name: r.name as string,
    role: r.role as Role,
    organIds: r.organ_ids as string[],
    disabled: r.disabled as boolean,
    createdAt: iso(r.created_at),
    rotatedAt: iso(r.rotated_at),
    previousValidUntil: r.previous_until && new Date(r.previous_until as string) > new Date() ? iso(r.previous_until) : null,
  }))
}

/** A new key for the client; the current one stays valid for `overlapMs` (0 = revoked at once). Null: no such client. */
export async function rotateClientKey(q: Sql, id: string, overlapMs: number): Promise<{ key: string; previousValidUntil: string | null } | null> {
  return writing('clients', async () => {
    const key = newApiKey()
    const r = await q.query<{ previous_until: Date | null }>(
      `update clients set previous_key_hash = key_hash, previous_until = now() + ($3::bigint * interval '1 millisecond'),
         key_hash = $2, rotated_at = now() where id = $1 and not disabled returning previous_until`,
      [id, hashKey(key), overlapMs],
    )
    if (r.rowCount === 0) return null
    return { key, previousValidUntil: overlapMs > 0 ? iso(r.rows[0]!.previous_until) : null }
  })
}

/** Disables the client: its current and previous keys stop working with the next request. */
export async function revokeClient(q: Sql, id: string): Promise<boolean> {
  return writing('clients', async () => {
    const r = await q.query('update clients set disabled = true, previous_key_hash = null, previous_until = null where id = $1', [id])
    return r.rowCount > 0
  })
}

/** Disables every peer-gateway client not in `keep` (a link removed from PEERS stops authenticating). */
export async function disablePeersExcept(q: Sql, keep: string[]): Promise<void> {
  return writing('clients', async () => {
    await q.query(`update clients set disabled = true where role = 'gateway' and not (id = any($1))`, [keep])
  })
}

/** Every client key acting for `from` may also act for `to` (its successor); a key that already may is left alone. */
export async function extendClientKeysToSuccessor(q: Sql, from: string, to: string): Promise<void> {
  return writing('clients', async () => {
    await q.query(`update clients set organ_ids = array_append(organ_ids, $2) where role = 'client' and $1 = any(organ_ids) and not ($2 = any(organ_ids))`, [from, to])
  })
}

/** Takes `organId` off every client key acting for it; returns the ids of the keys changed. */
export async function removeOrganFromClientKeys(q: Sql, organId: string): Promise<string[]> {
  return writing('clients', async () => {
    return (
      await q.query<{ id: string }>(`update clients set organ_ids = array_remove(organ_ids, $1) where role = 'client' and $1 = any(organ_ids) returning id`, [organId])
    ).rows.map((r) => r.id)
  })
}

/** Disables those of the clients `ids` left acting for no OrganId (a key that may act for nobody is no key). */
export async function disableClientsWithoutOrgans(q: Sql, ids: string[]): Promise<void> {
  return writing('clients', async () => {
    await q.query('update clients set disabled = true where id = any($1) and cardinality(organ_ids) = 0', [ids])
  })
}
