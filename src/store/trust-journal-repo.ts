/** The trust store's change journal (migration 015): what operators added and removed, in order. */
import type { Sql } from './db.ts'

export type TrustKind = 'roots' | 'intermediates' | 'agencies' | 'crls'
export interface TrustChange {
  seq: number
  action: 'add' | 'remove' | 'crl'
  kind: TrustKind
  fingerprint: string | null
  organId: string | null
  der: Buffer | null
}

export async function appendTrustChange(q: Sql, c: Omit<TrustChange, 'seq'>): Promise<number> {
  const r = await q.query<{ seq: string }>('insert into trust_journal (action, kind, fingerprint, organ_id, der) values ($1, $2, $3, $4, $5) returning seq', [
    c.action,
    c.kind,
    c.fingerprint,
    c.organId,
    c.der,
  ])
  return Number(r.rows[0]!.seq)
}

export async function trustChangesAfter(q: Sql, seq: number): Promise<TrustChange[]> {
  const r = await q.query<{ seq: string; action: TrustChange['action']; kind: TrustKind; fingerprint: string | null; organ_id: string | null; der: Buffer | Uint8Array | null }>(
    'select seq, action, kind, fingerprint, organ_id, der from trust_journal where seq > $1 order by seq',
    [seq],
  )
  return r.rows.map((x) => ({ seq: Number(x.seq), action: x.action, kind: x.kind, fingerprint: x.fingerprint, organId: x.organ_id, der: x.der ? Buffer.from(x.der) : null }))
}
