/**
 * The adapters this gateway can deliver through, by endpoint kind, and the boot wiring check (STYLE 4):
 * every endpoint kind named in the directory has an adapter, and every gateway it forwards to has
 * credentials in PEERS; otherwise start-up fails with what to add.
 */
import type { Runtime } from '../runtime.ts'
import type { DirectorySnapshot } from '../routing/directory-snapshot.ts'
import type { DeliveryAdapter } from './adapter.ts'
import { inboxAdapter } from './inbox.ts'
import { httpPushAdapter } from './http-push.ts'
import { soapPushAdapter } from './soap-push.ts'
import { peerFor, upstreamAdapter } from './upstream.ts'

export const ADAPTERS: ReadonlyMap<string, DeliveryAdapter> = new Map([inboxAdapter, httpPushAdapter, soapPushAdapter, upstreamAdapter].map((a) => [a.kind, a]))

/** Problems of the directory against this gateway's adapters and peers (empty = wired). */
export function wiringProblems(rt: Pick<Runtime, 'config'>, dir: DirectorySnapshot): string[] {
  const problems = new Map<string, string[]>()
  const add = (what: string, organId: string) => {
    const l = problems.get(what) ?? []
    if (l.length < 5) l.push(organId)
    problems.set(what, l)
  }
  for (const a of dir) {
    if (!ADAPTERS.has(a.endpoint.kind)) add(`no delivery adapter for endpoint kind "${a.endpoint.kind}" (add one to src/adapters/index.ts)`, a.organId)
    const gw = a.gateway ?? (a.endpoint.kind === 'gateway' ? a.endpoint.url : null)
    if (gw !== null && !peerFor(rt, gw)) add(`no credentials for gateway ${gw} (add {"url":"${gw}","key":…,"jurisdiction":[…]} to PEERS)`, a.organId)
  }
  if (rt.config.parentGatewayUrl && !peerFor(rt, rt.config.parentGatewayUrl)) {
    problems.set(`no credentials for the parent gateway ${rt.config.parentGatewayUrl} (add it to PEERS)`, ['PARENT_GATEWAY_URL'])
  }
  return [...problems].map(([what, who]) => `${what}: ${who.join(', ')}${who.length >= 5 ? ', …' : ''}`)
}

/** Throws when the wiring is incomplete; called once at boot, before any consumer starts. */
export function checkWiring(rt: Runtime): void {
  const p = wiringProblems(rt, rt.directory())
  if (p.length) throw new Error(`delivery wiring is incomplete:\n  ${p.join('\n  ')}`)
}
