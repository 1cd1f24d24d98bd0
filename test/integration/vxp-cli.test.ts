/**
 * `lgsp vxp-system add | list | disable | enable | rotate` in its own process against a real gateway: the
 * credentials it prints work with an SDK-shaped client on /vxp, disable and rotate take effect at once,
 * every change is in the message log without the secret, and a client key is refused.
 */
import t from 'tap'
import { startGateway } from '../helpers/gateway.ts'
import { lgsp } from '../helpers/ops.ts'
import { vxpCall } from '../helpers/vxp-client.ts'

const COMMUNE = '000.22.31.H41'

t.test('lgsp vxp-system provisions systems that the SDK-shaped client can use', async (t) => {
  const gw = await startGateway(t)
  const cli = (...args: string[]) => lgsp(['vxp-system', ...args], { LGSP_URL: gw.url, LGSP_KEY: gw.creds.operator! })
  const endpoint = `${gw.url}/vxp`
  const status = async (creds: { systemId: string; secret: string }) => (await vxpCall(endpoint, creds, 'getAgenciesList')).json?.ErrorCode

  const add = await cli('add', '--id', 'vxp.congthanh', '--name', 'QLVB xã Công Thành', '--organ', COMMUNE)
  t.equal(add.code, 0, add.stderr)
  const secret = /^secret=(\w+)$/m.exec(add.stdout)?.[1]
  t.ok(secret, 'add prints the secret')
  t.match(add.stdout, /^systemid=vxp\.congthanh$/m)
  t.match(add.stdout, new RegExp(`^service\\.endpoint=${gw.url.replace(/[.:/]/g, '\\$&')}/vxp$`, 'm'), 'and the one line of SDK configuration')
  const creds = { systemId: 'vxp.congthanh', secret: secret! }
  t.equal(await status(creds), '0', 'the printed credentials work on /vxp')
  const dup = await cli('add', '--id', 'vxp.congthanh', '--name', 'again', '--organ', COMMUNE)
  t.equal(dup.code, 1)
  t.match(dup.stderr, /HTTP 409 VXP_SYSTEM_EXISTS/)

  const list = await cli('list')
  t.equal(list.code, 0, list.stderr)
  t.match(list.stdout, /^SYSTEM ID\s+STATE\s+OPERATOR\s+ORGANIDS\s+NAME$/m)
  t.match(list.stdout, /^vxp\.congthanh\s+enabled\s+no\s+000\.22\.31\.H41\s+QLVB xã Công Thành$/m)
  t.notMatch(list.stdout, secret!, 'list never shows a secret')

  t.equal((await cli('disable', 'vxp.congthanh')).stdout, 'vxp.congthanh disabled\n')
  t.equal(await status(creds), 'UNAUTHENTICATED', 'disabled: refused at once')
  t.equal((await cli('enable', 'vxp.congthanh')).code, 0)
  t.equal(await status(creds), '0', 'enabled again')
  const rotated = await cli('rotate', 'vxp.congthanh', '--json')
  t.equal(rotated.code, 0, rotated.stderr)
  const fresh = (JSON.parse(rotated.stdout) as { secret: string }).secret
  t.not(fresh, secret)
  t.equal(await status(creds), 'VXP_SIGNATURE_INVALID', 'the old secret stops verifying')
  t.equal(await status({ systemId: 'vxp.congthanh', secret: fresh }), '0', 'the new one works')

  const log = (await (await gw.call('operator', 'GET', '/v1/ops/log?limit=1000')).json()) as { items: { action: string | null; actor?: string }[] }
  t.same(
    log.items.map((r) => r.action).filter((a) => a?.startsWith('vxp-system.')),
    ['vxp-system.add', 'vxp-system.disable', 'vxp-system.enable', 'vxp-system.rotate'],
    'every change audited',
  )
  const stored = JSON.stringify(log) + JSON.stringify((await gw.rt.db.query('select * from vxp_systems')).rows)
  t.notMatch(stored, fresh, 'the secret is neither in the message log nor in clear in the table')

  t.equal((await cli('rotate', 'vxp.nobody')).code, 1, 'unknown system: exit 1')
  t.equal((await cli('add', '--name', 'no organ')).code, 2, 'usage: add needs --organ')
  const denied = await lgsp(['vxp-system', 'list', '--url', gw.url, '--key', gw.creds[COMMUNE]!])
  t.equal(denied.code, 1, 'a client key is refused')
  t.match(denied.stderr, /HTTP 403 FORBIDDEN/)
})
