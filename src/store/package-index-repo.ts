/** The index of a streamed package (migration 014): its skeleton's blob key and its attachment runs. */
import type { Sql } from './db.ts'
import type { ElidedRun } from '../schemas/skeleton.ts'

export interface PackageIndex {
  blobKey: string
  skeletonKey: string
  nonce: string
  runs: ElidedRun[]
}

export async function recordPackageIndex(q: Sql, x: PackageIndex): Promise<void> {
  await q.query('insert into package_index (blob_key, skeleton_key, nonce, runs) values ($1, $2, $3, $4) on conflict (blob_key) do nothing', [
    x.blobKey,
    x.skeletonKey,
    x.nonce,
    JSON.stringify(x.runs),
  ])
}

export async function packageIndexOf(q: Sql, blobKey: string): Promise<PackageIndex | null> {
  const r = await q.query<{ skeleton_key: string; nonce: string; runs: ElidedRun[] | string }>('select skeleton_key, nonce, runs from package_index where blob_key = $1', [blobKey])
  const row = r.rows[0]
  if (!row) return null
  return { blobKey, skeletonKey: row.skeleton_key, nonce: row.nonce, runs: typeof row.runs === 'string' ? (JSON.parse(row.runs) as ElidedRun[]) : row.runs }
}
