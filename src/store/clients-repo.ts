/** Client systems and operators, each with an API key bound to the OrganIds it may act for. */
import crypto from 'node:crypto'
import type { Sql } from './db.ts'

/** 'gateway': a trusted peer gateway (issue #5); its organIds are the jurisdiction patterns it may forward */
export type Role = 'client' | 'operator' | 'gateway'
export interface Principal { clientId: string; name: string; role: Role; organIds: ReadonlySet<string> }

export const hashKey = (key: string) => crypto.createHash('sha256').update(key, 'utf8').digest('hex')
export const newApiKey = () => `lgsp_${crypto.randomBytes(24).toString('base64url')}`

/** Creates (or re-binds) a client whose key is `key`; returns the key. */
export async function saveClient(q: Sql, c: { id: string; name: string; role: Role; organIds: string[]; key?: string }): Promise<string> {
  const key = c.key ?? newApiKey()
  await q.query(
    `insert into clients (id, name, key_hash, organ_ids, role) values ($1, $2, $3, $4, $5)
     on conflict (id) do update set name = excluded.name, key_hash = excluded.key_hash,
       organ_ids = excluded.organ_ids, role = excluded.role, disabled = false`,
    [c.id, c.name, hashKey(key), c.organIds, c.role],
  )
  return key
}

export async function findPrincipal(q: Sql, key: string): Promise<Principal | null> {
  const r = (await q.query<{ id: string; name: string; role: Role; organ_ids: string[] }>(
    'select id, name, role, organ_ids from clients where key_hash = $1 and not disabled', [hashKey(key)],
  )).rows[0]
  return r ? { clientId: r.id, name: r.name, role: r.role, organIds: new Set(r.organ_ids) } : null
}
