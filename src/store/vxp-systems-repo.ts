/**
 * VXP client systems (the `systemid` + `secret` an SDK is configured with), each bound to the OrganIds it
 * may act for, like an API key. The HMAC check needs the secret itself, so it is kept encrypted
 * (AES-256-GCM, a fresh IV per secret, the system id as associated data so a ciphertext cannot be moved to
 * another system) and returned in clear only when created or rotated.
 */
import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import type { Config } from '../config/config.ts'
import type { Sql } from './db.ts'

export interface VxpSystem {
  systemId: string
  name: string
  organIds: string[]
  operator: boolean
  disabled: boolean
  createdAt: string
  rotatedAt: string | null
}

const boxKeys = new WeakMap<object, Buffer>()

/** The secret-at-rest key: SHA-256 of VXP_SECRET_KEY, else of a key generated once into DATA_DIR/vxp-secret.key. */
export function secretBoxKey(config: Pick<Config, 'vxpSecretKey' | 'dataDir'>): Buffer {
  let k = boxKeys.get(config)
  if (!k) boxKeys.set(config, (k = readBoxKey(config)))
  return k
}

function readBoxKey(config: Pick<Config, 'vxpSecretKey' | 'dataDir'>): Buffer {
  let material = config.vxpSecretKey
  if (!material) {
    const file = path.join(config.dataDir, 'vxp-secret.key')
    if (!fs.existsSync(file)) {
      fs.mkdirSync(config.dataDir, { recursive: true })
      try {
        fs.writeFileSync(file, crypto.randomBytes(32).toString('base64url') + '\n', { mode: 0o600, flag: 'wx' })
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e // another process wrote it first
      }
    }
    material = fs.readFileSync(file, 'utf8').trim()
  }
  return crypto.createHash('sha256').update(material, 'utf8').digest()
}

function seal(key: Buffer, systemId: string, secret: string): string {
  const iv = crypto.randomBytes(12)
  const c = crypto.createCipheriv('aes-256-gcm', key, iv).setAAD(Buffer.from(systemId, 'utf8'))
  const body = Buffer.concat([c.update(secret, 'utf8'), c.final()])
  return ['v1', iv.toString('base64'), c.getAuthTag().toString('base64'), body.toString('base64')].join('.')
}

function open(key: Buffer, systemId: string, sealed: string): string {
  const [v, iv, tag, body] = sealed.split('.')
  if (v !== 'v1' || !iv || !tag || body === undefined) throw new Error(`VXP secret of ${systemId} is not in a known form`)
  const d = crypto.createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64')).setAAD(Buffer.from(systemId, 'utf8'))
  d.setAuthTag(Buffer.from(tag, 'base64'))
  return Buffer.concat([d.update(Buffer.from(body, 'base64')), d.final()]).toString('utf8')
}

export const newVxpSecret = () => crypto.randomBytes(32).toString('hex')

type Row = { system_id: string; name: string; organ_ids: string[]; operator: boolean; disabled: boolean; created_at: Date; rotated_at: Date | null; secret_enc: string }
const toSystem = (r: Row): VxpSystem => ({
  systemId: r.system_id,
  name: r.name,
  organIds: r.organ_ids,
  operator: r.operator,
  disabled: r.disabled,
  createdAt: new Date(r.created_at).toISOString(),
  rotatedAt: r.rotated_at ? new Date(r.rotated_at).toISOString() : null,
})

/**
 * Creates a system, or — when `secret` is given for an existing id (the demo keeping what a newcomer
 * copied) — re-binds it. Returns the secret in clear: the only time it is shown.
 */
export async function saveVxpSystem(
  q: Sql,
  key: Buffer,
  s: { systemId: string; name: string; organIds: string[]; operator?: boolean; secret?: string },
): Promise<{ system: VxpSystem; secret: string }> {
  const secret = s.secret ?? newVxpSecret()
  const r = (
    await q.query<Row>(
      `insert into vxp_systems (system_id, name, secret_enc, organ_ids, operator) values ($1, $2, $3, $4, $5)
     on conflict (system_id) do update set name = excluded.name, secret_enc = excluded.secret_enc, organ_ids = excluded.organ_ids,
       operator = excluded.operator, disabled = false
     returning *`,
      [s.systemId, s.name, seal(key, s.systemId, secret), s.organIds, s.operator ?? false],
    )
  ).rows[0]!
  return { system: toSystem(r), secret }
}

/** Only creates: false when the id is taken (the ops API answers 409-like refusal). */
export async function vxpSystemExists(q: Sql, systemId: string): Promise<boolean> {
  return (await q.query('select 1 from vxp_systems where system_id = $1', [systemId])).rowCount > 0
}

export async function listVxpSystems(q: Sql): Promise<VxpSystem[]> {
  return (await q.query<Row>('select * from vxp_systems order by system_id')).rows.map(toSystem)
}

/** The system and its secret in clear, for checking one request's HMAC; null when unknown. */
export async function findVxpSystem(q: Sql, key: Buffer, systemId: string): Promise<{ system: VxpSystem; secret: string } | null> {
  const r = (await q.query<Row>('select * from vxp_systems where system_id = $1', [systemId])).rows[0]
  return r ? { system: toSystem(r), secret: open(key, r.system_id, r.secret_enc) } : null
}

export async function setVxpSystemDisabled(q: Sql, systemId: string, disabled: boolean): Promise<VxpSystem | null> {
  const r = (await q.query<Row>('update vxp_systems set disabled = $2 where system_id = $1 returning *', [systemId, disabled])).rows[0]
  return r ? toSystem(r) : null
}

/** A new secret; the old one stops verifying at once (the SDK holds one secret, so there is no overlap). */
export async function rotateVxpSecret(q: Sql, key: Buffer, systemId: string): Promise<{ system: VxpSystem; secret: string } | null> {
  const secret = newVxpSecret()
  const r = (await q.query<Row>('update vxp_systems set secret_enc = $2, rotated_at = now() where system_id = $1 returning *', [systemId, seal(key, systemId, secret)])).rows[0]
  return r ? { system: toSystem(r), secret } : null
}

/**
 * Records a request signature; false when it was already seen (a replay). Signatures older than `keepMs`
 * are dropped first: outside the freshness window the timestamp check refuses them anyway.
 */
export async function firstSighting(q: Sql, hashHeader: string, systemId: string, keepMs: number): Promise<boolean> {
  await q.query('delete from vxp_seen_signatures where seen_at < $1', [new Date(Date.now() - keepMs).toISOString()])
  const r = await q.query('insert into vxp_seen_signatures (hash_header, system_id) values ($1, $2) on conflict (hash_header) do nothing', [hashHeader, systemId])
  return r.rowCount > 0
}
