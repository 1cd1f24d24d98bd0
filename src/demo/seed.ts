/**
 * Seeds the demo: the directory and one API key per demo agency plus an operator key, written to
 * DATA_DIR/demo-credentials.json as {"<OrganId>": "<key>", …, "operator": "<key>", "vxp": {…}} (the VXP systems,
 * src/demo/vxp-systems.ts). Existing keys in that
 * file are kept, so a restart does not invalidate what a newcomer already copied.
 */
import fs from 'node:fs'
import path from 'node:path'
import type { Runtime } from '../runtime.ts'
import { upsertAgencies } from '../store/directory-repo.ts'
import { saveClient } from '../store/clients-repo.ts'
import { demoAgencies } from './directory.ts'
import { seedDemoVxpSystems } from './vxp-systems.ts'
import { seedReorganisationDemo } from './reorganisation.ts'

export async function seedDemo(rt: Runtime, opts: { reorganisation?: boolean } = {}): Promise<Record<string, string>> {
  const file = path.join(rt.config.dataDir, 'demo-credentials.json')
  const previous: Record<string, string> = fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) : {}
  const agencies = demoAgencies()
  const creds: Record<string, string> = {}
  await rt.db.tx(async (q) => {
    // only what is missing: a restart never undoes what an operator changed (an endpoint, a tier, a closure)
    await upsertAgencies(
      q,
      agencies.filter((a) => !rt.directory().has(a.organId)),
    )
    for (const a of agencies) {
      creds[a.organId] = await saveClient(q, { id: `demo:${a.organId}`, name: `${a.name} (demo QLVB)`, role: 'client', organIds: [a.organId], key: previous[a.organId] })
    }
    creds.operator = await saveClient(q, { id: 'demo:operator', name: 'Demo operator', role: 'operator', organIds: [], key: previous.operator })
  })
  await rt.reloadDirectory()
  const vxp = await seedDemoVxpSystems(rt, agencies, (previous as Record<string, unknown>).vxp) // VXP SDK clients (docs/vxp.md)
  if (opts.reorganisation) await seedReorganisationDemo(rt, creds, previous) // `npm start`: the demo merger (reorganisation.ts)
  fs.mkdirSync(rt.config.dataDir, { recursive: true })
  fs.writeFileSync(file, JSON.stringify({ ...creds, vxp }, null, 2) + '\n', { mode: 0o600 })
  return creds
}
