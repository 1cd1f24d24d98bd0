/**
 * Client API keys rotate with an overlap window and are revoked at once, through the ops API and
 * `lgsp keys` in its own process, against a real gateway: during the overlap both keys work, after it only
 * the new one; a revoked client's keys fail with the very next request; only operators manage keys.
 */
import t from 'tap'
import { startGateway } from '../helpers/gateway.ts'
import { lgsp } from '../helpers/ops.ts'

const COMMUNE = '000.21.30.H41'
const PROVINCE = '000.00.00.H41'

t.test('rotate with overlap, revoke at once; lgsp keys list | rotate | revoke', async (t) => {
  const gw = await startGateway(t)
  const env = { LGSP_URL: gw.url, LGSP_KEY: gw.creds.operator! }
  type Key = { id: string; organIds: string[]; disabled: boolean; previousValidUntil: string | null }
  const keys = async () => ((await (await gw.call('operator', 'GET', '/v1/ops/keys')).json()) as { items: Key[] }).items
  const idOf = async (organId: string) => (await keys()).find((k) => k.organIds.includes(organId) && k.organIds.length === 1)!.id
  const inbox = (key: string) => gw.call(key, 'GET', '/v1/inbox').then((r) => r.status)
  t.equal((await gw.call(COMMUNE, 'GET', '/v1/ops/keys')).status, 403, 'a client key may not manage keys')

  // rotation with a 2 s overlap
  const commune = await idOf(COMMUNE)
  const oldKey = gw.creds[COMMUNE]!
  const rot = await gw.call('operator', 'POST', `/v1/ops/keys/${encodeURIComponent(commune)}/rotate`, JSON.stringify({ overlapSeconds: 2 }), { 'content-type': 'application/json' })
  t.equal(rot.status, 200)
  const { key: newKey, previousValidUntil } = (await rot.json()) as { key: string; previousValidUntil: string }
  t.match(newKey, /^lgsp_/)
  t.ok(previousValidUntil, 'the overlap is reported')
  t.equal(await inbox(newKey), 200, 'the new key works')
  t.equal(await inbox(oldKey), 200, 'the old key works during the overlap')
  await new Promise((r) => setTimeout(r, 2300))
  t.equal(await inbox(oldKey), 401, 'the old key fails after the overlap')
  t.equal(await inbox(newKey), 200, 'the new key still works')

  // the CLI: list, rotate without overlap, revoke
  const list = await lgsp(['keys', 'list'], env)
  t.equal(list.code, 0, 'lgsp keys list')
  t.match(list.stdout, commune)
  const province = await idOf(PROVINCE)
  const r0 = await lgsp(['keys', 'rotate', province, '--overlap', '0', '--json'], env)
  t.equal(r0.code, 0, 'lgsp keys rotate --overlap 0')
  const provinceKey = (JSON.parse(r0.stdout) as { key: string }).key
  t.equal(await inbox(gw.creds[PROVINCE]!), 401, 'overlap 0: the old key fails at once')
  t.equal(await inbox(provinceKey), 200)
  const rv = await lgsp(['keys', 'revoke', province], env)
  t.equal(rv.code, 0, 'lgsp keys revoke')
  t.equal(await inbox(provinceKey), 401, 'a revoked client fails with the very next request')
  t.ok((await keys()).find((k) => k.id === province)?.disabled, 'listed as revoked')
  const again = await lgsp(['keys', 'rotate', province], env)
  t.equal(again.code, 1, 'a revoked client cannot be rotated back to life')
  t.match(again.stderr, /NOT_FOUND/)
  t.equal((await lgsp(['keys', 'rotate'], env)).code, 2, 'usage')
})
