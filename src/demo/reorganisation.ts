/**
 * The demo's one merger, applied as a change table the way an operator would (docs/reorganisation.md):
 * a synthetic province H97 "Sông Lam" closes into Nghệ An (H41 keeps its code, as Decision 09/2025/QĐ-TTg
 * has a merged province keep one level-1 code), district Lam Sơn is dissolved into the province (no district
 * level since 1/7/2025) and its commune Lam Hạ merges into Lam Sơn, a commune directly under the province.
 * Fictional names in the real code shape; the eight demo agencies of directory.ts stay active.
 */
import type { Runtime } from '../runtime.ts'
import { parentOf } from '../routing/agency-code.ts'
import type { Agency, Tier } from '../routing/types.ts'
import { upsertAgencies } from '../store/directory-repo.ts'
import { saveClient } from '../store/clients-repo.ts'
import { applySuccessionTable } from '../ops/succession.ts'

const AGENCIES: [string, string, Tier, string | null][] = [
  ['000.00.00.H97', 'UBND tỉnh Sông Lam (demo)', 'province', null],
  ['000.00.32.H41', 'UBND huyện Lam Sơn (demo)', 'district', null],
  ['000.23.32.H41', 'UBND xã Lam Hạ (demo)', 'commune', null],
  ['000.00.46.H41', 'UBND xã Lam Sơn (demo)', 'commune', '000.00.00.H41'],
]

export const DEMO_CHANGE_TABLE = `old\tsuccessor\teffective\tnote
000.00.00.H97\t000.00.00.H41\t2025-07-01\tdemo: hợp nhất tỉnh
000.00.32.H41\t000.00.00.H41\t2025-07-01\tdemo: không tổ chức cấp huyện
000.23.32.H41\t000.00.46.H41\t2025-07-01\tdemo: sáp nhập xã
`

/** Adds the merger's agencies (and a key for the new commune to `creds`), then applies the change table once. */
export async function seedReorganisationDemo(rt: Runtime, creds: Record<string, string>, previous: Record<string, string>): Promise<void> {
  const agencies: Agency[] = AGENCIES.map(([organId, name, tier, parent]) => ({
    organId,
    name,
    tier,
    parent: parent ?? parentOf(organId),
    gateway: null,
    endpoint: { kind: 'inbox' },
    certificates: [],
    enabled: true,
  }))
  await rt.db.tx(async (q) => {
    await upsertAgencies(q, agencies)
    creds['000.00.46.H41'] = await saveClient(q, {
      id: 'demo:000.00.46.H41',
      name: 'UBND xã Lam Sơn (demo QLVB)',
      role: 'client',
      organIds: ['000.00.46.H41'],
      key: previous['000.00.46.H41'],
    })
  })
  await rt.reloadDirectory()
  await applySuccessionTable(rt, DEMO_CHANGE_TABLE, { dryRun: false, actor: 'demo' }) // a second start finds it already applied
}
