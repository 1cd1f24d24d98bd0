/**
 * `lgsp keys list`   `lgsp keys rotate <client id> [--overlap seconds]`   `lgsp keys revoke <client id>`   (each with --json)
 *
 * Client API keys through the running gateway's ops API (GET /v1/ops/keys, POST /v1/ops/keys/{id}/rotate,
 * POST /v1/ops/keys/{id}/revoke), never its database, so every change is audited in the message log.
 * rotate prints the new key once; the old one keeps working for --overlap seconds (default 86400, 0 = at
 * once). revoke disables the client: its keys fail from the next request on.
 * Exit 0 on success, 1 when the gateway refused or could not be reached, 2 on usage.
 */
import { parseArgs } from 'node:util'
import type { ClientKeyInfo } from '../../store/clients-repo.ts'
import { TARGET_OPTIONS_HELP, gatewayTarget } from '../gateway-target.ts'
import { CallFailed, gatewayCaller } from '../gateway-call.ts'
import { usageError } from '../args.ts'

export const summary = 'client API keys via the ops API: `keys list`, `keys rotate <client> [--overlap s]`, `keys revoke <client>`'

export const usage = `usage: lgsp keys list [--json]
       lgsp keys rotate <client id> [--overlap seconds] [--json]
       lgsp keys revoke <client id> [--json]
${TARGET_OPTIONS_HELP}
`

export async function run(argv: string[]): Promise<number> {
  let args
  try {
    args = parseArgs({ args: argv, allowPositionals: true, options: { url: { type: 'string' }, key: { type: 'string' }, json: { type: 'boolean' }, overlap: { type: 'string' } } })
  } catch (e) {
    process.stderr.write(usageError('keys', (e as Error).message))
    return 2
  }
  const {
    positionals: [sub, id, ...extra],
    values: v,
  } = args
  const ok = (sub === 'list' && !id) || ((sub === 'rotate' || sub === 'revoke') && id && extra.length === 0)
  const overlap = v.overlap === undefined ? undefined : Number(v.overlap)
  if (!ok || (overlap !== undefined && (sub !== 'rotate' || !Number.isInteger(overlap) || overlap < 0))) {
    process.stderr.write(usageError('keys', 'name a subcommand: list, rotate <client id> or revoke <client id>'))
    return 2
  }
  const target = gatewayTarget(v)
  if (!target) return 2
  const call = gatewayCaller(target)
  const out = (s: string) => process.stdout.write(s.endsWith('\n') ? s : `${s}\n`)
  try {
    if (sub === 'list') {
      const { items } = (await call('GET', '/v1/ops/keys')) as { items: ClientKeyInfo[] }
      if (v.json) out(JSON.stringify(items, null, 2))
      else
        out(
          items
            .map(
              (k) =>
                `${k.id.padEnd(28)} ${k.role.padEnd(9)} ${k.disabled ? 'REVOKED ' : 'active  '} ${k.organIds.join(',')}${k.previousValidUntil ? `  (previous key until ${k.previousValidUntil})` : ''}`,
            )
            .join('\n'),
        )
      return 0
    }
    const path = `/v1/ops/keys/${encodeURIComponent(id!)}/${sub}`
    const r = (await call('POST', path, sub === 'rotate' ? (overlap !== undefined ? { overlapSeconds: overlap } : {}) : undefined)) as {
      key?: string
      previousValidUntil?: string | null
    }
    if (v.json) out(JSON.stringify(r, null, 2))
    else if (sub === 'rotate')
      out(`new key for ${id}: ${r.key}\n${r.previousValidUntil ? `the previous key works until ${r.previousValidUntil}` : 'the previous key no longer works'}`)
    else out(`${id} revoked: its keys no longer work`)
    return 0
  } catch (e) {
    if (!(e instanceof CallFailed)) throw e
    if (v.json && e.problem !== undefined) out(JSON.stringify(e.problem, null, 2))
    process.stderr.write(`lgsp keys: ${e.message}\n`)
    return 1
  }
}
