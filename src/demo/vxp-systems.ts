/**
 * The demo's VXP client systems: one per demo agency, bound to that agency's OrganId, so a QLVB built on the
 * VNPT SDK can point `service.endpoint` at http://<gateway>/vxp at once. Written into
 * DATA_DIR/demo-credentials.json as "vxp": {"<OrganId>": {"systemId", "secret"}}; secrets already there are
 * kept, so a restart does not invalidate a configured SDK.
 */
import type { Runtime } from '../runtime.ts'
import type { Agency } from '../routing/types.ts'
import { saveVxpSystem, secretBoxKey } from '../store/vxp-systems-repo.ts'

export type DemoVxpCredentials = Record<string, { systemId: string; secret: string }>

export const demoSystemIdOf = (organId: string) => `demo.${organId}`

export async function seedDemoVxpSystems(rt: Runtime, agencies: readonly Agency[], previous: unknown): Promise<DemoVxpCredentials> {
  const kept = (previous && typeof previous === 'object' ? previous : {}) as Partial<DemoVxpCredentials>
  const key = secretBoxKey(rt.config)
  const out: DemoVxpCredentials = {}
  await rt.db.tx(async (q) => {
    for (const a of agencies) {
      const systemId = demoSystemIdOf(a.organId)
      const old = kept[a.organId]
      const { secret } = await saveVxpSystem(q, key, {
        systemId,
        name: `${a.name} (demo QLVB, VXP SDK)`,
        organIds: [a.organId],
        ...(old?.systemId === systemId && typeof old.secret === 'string' ? { secret: old.secret } : {}),
      })
      out[a.organId] = { systemId, secret }
    }
  })
  return out
}
