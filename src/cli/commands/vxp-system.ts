/**
 * `lgsp vxp-system add --name <text> --organ <OrganId> [--organ …] [--id <systemId>] [--operator]`
 * `lgsp vxp-system list`   `lgsp vxp-system disable|enable|rotate <systemId>`        (each with --json)
 *
 * The client systems that call /vxp with the VNPT SDK (docs/vxp.md), through the running gateway's ops API
 * (GET/POST /v1/ops/vxp-systems…), never its database, so every change is audited in the message log. add
 * and rotate print the `systemid` and `secret` to put in the SDK's configuration — the only time the secret
 * is shown. Exit 0 on success, 1 when the gateway refused (the problem's code on stderr) or could not be
 * reached, 2 on usage.
 */
import type { VxpSystem } from '../../store/vxp-systems-repo.ts'
import { TARGET_OPTIONS_HELP, gatewayTarget } from '../gateway-target.ts'
import { CallFailed, gatewayCaller } from '../gateway-call.ts'
import { parseCommandArgs, usageError } from '../args.ts'

export const summary = 'VXP (VNPT SDK) client systems via the ops API: `vxp-system add|list|disable|enable|rotate`'

export const usage = `usage: lgsp vxp-system add --name <text> --organ <OrganId> [--organ <OrganId> …] [--id <systemId>] [--operator] [--json]
       lgsp vxp-system list [--json]
       lgsp vxp-system disable|enable|rotate <systemId> [--json]
${TARGET_OPTIONS_HELP}
`

export async function run(argv: string[]): Promise<number> {
  const args = parseCommandArgs('vxp-system', argv, {
    url: { type: 'string' },
    key: { type: 'string' },
    json: { type: 'boolean' },
    name: { type: 'string' },
    organ: { type: 'string', multiple: true },
    id: { type: 'string' },
    operator: { type: 'boolean' },
  })
  if (!args) return 2
  const {
    positionals: [sub, id, ...extra],
    values: v,
  } = args
  const mistake = (why: string) => {
    process.stderr.write(usageError('vxp-system', why))
    return 2
  }
  if (!['add', 'list', 'disable', 'enable', 'rotate'].includes(sub ?? '')) return mistake(`the subcommand is add, list, disable, enable or rotate, not ${sub ?? 'nothing'}`)
  if (extra.length || (sub === 'add' || sub === 'list' ? id !== undefined : !id))
    return mistake(sub === 'add' || sub === 'list' ? `${sub} takes no system id` : `${sub} takes one system id`)
  if (sub === 'add' && (!v.name || !v.organ?.length)) return mistake('add needs --name and at least one --organ')
  const target = gatewayTarget(v)
  if (!target) return 2
  const call = gatewayCaller(target)
  const out = (s: string) => process.stdout.write(s.endsWith('\n') ? s : `${s}\n`)
  const credentials = (r: { system: VxpSystem; secret: string }) =>
    `systemid=${r.system.systemId}\nsecret=${r.secret}\nservice.endpoint=${target.base}/vxp\n(the secret is shown only now; bound to ${r.system.organIds.join(', ') || 'no OrganId'})`

  try {
    if (sub === 'list') {
      const { items } = (await call('GET', '/v1/ops/vxp-systems')) as { items: VxpSystem[] }
      out(v.json ? JSON.stringify({ items }, null, 2) : table(items) + `${items.length} system(s)`)
    } else if (sub === 'add') {
      const r = (await call('POST', '/v1/ops/vxp-systems', { ...(v.id ? { systemId: v.id } : {}), name: v.name, organIds: v.organ, operator: v.operator ?? false })) as {
        system: VxpSystem
        secret: string
      }
      out(v.json ? JSON.stringify(r, null, 2) : credentials(r))
    } else {
      const r = (await call('POST', `/v1/ops/vxp-systems/${encodeURIComponent(id!)}/${sub}`)) as { system: VxpSystem; secret?: string }
      out(
        v.json
          ? JSON.stringify(r, null, 2)
          : r.secret !== undefined
            ? credentials({ system: r.system, secret: r.secret })
            : `${r.system.systemId} ${r.system.disabled ? 'disabled' : 'enabled'}`,
      )
    }
    return 0
  } catch (e) {
    if (!(e instanceof CallFailed)) throw e
    if (v.json && e.problem !== undefined) out(JSON.stringify(e.problem, null, 2))
    process.stderr.write(`lgsp vxp-system: ${e.message}\n`)
    return 1
  }
}

function table(items: VxpSystem[]): string {
  if (items.length === 0) return ''
  const rows = [
    ['SYSTEM ID', 'STATE', 'OPERATOR', 'ORGANIDS', 'NAME'],
    ...items.map((s) => [s.systemId, s.disabled ? 'disabled' : 'enabled', s.operator ? 'yes' : 'no', s.organIds.join(','), s.name]),
  ]
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)))
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')).join('\n') + '\n'
}
