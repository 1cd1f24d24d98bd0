/**
 * `lgsp dlq list [--state dead|replayed|discarded|all] [--tier t] [--recipient id] [--document uuid] [--limit n] [--offset n]`
 * `lgsp dlq replay <id>`   `lgsp dlq discard <id> [--note text]`          (each with --json)
 *
 * The delivery dead-letter queue (the delivery worker writes it, operators act on it here) through the running
 * gateway's ops API — GET /v1/ops/dlq, POST /v1/ops/dlq/{id}/replay, POST /v1/ops/dlq/{id}/discard — never
 * its database, so every replay and discard is audited in the message log under the key's client id.
 * list defaults to the items still to handle (state dead). Output is a table, or the API's JSON with --json.
 * Exit 0 on success, 1 when the gateway refused (the problem's code, e.g. DLQ_ITEM_NOT_FOUND or
 * DLQ_ITEM_RESOLVED, is printed on stderr) or could not be reached, 2 on usage.
 * --url (LGSP_URL, default http://127.0.0.1:8080), --key (LGSP_KEY, default the "operator" key in
 * .data/demo-credentials.json), as every lgsp command that talks to a gateway.
 */
import { parseArgs } from 'node:util'
import type { DeadLetter } from '../../ops/dead-letters.ts'
import { usageError } from '../args.ts'
import { TARGET_OPTIONS_HELP, gatewayTarget } from '../gateway-target.ts'
import { CallFailed, gatewayCaller } from '../gateway-call.ts'

export const summary = 'delivery dead-letter queue via the ops API: `dlq list`, `dlq replay <id>`, `dlq discard <id> [--note …]`'

export const usage = `usage: lgsp dlq list [--state dead|replayed|discarded|all] [--tier central|province|district|commune] [--recipient <OrganId>]
                     [--document <uuid>] [--limit n] [--offset n] [--json]
       lgsp dlq replay <id> [--json]
       lgsp dlq discard <id> [--note text] [--json]
${TARGET_OPTIONS_HELP}
`

export async function run(argv: string[]): Promise<number> {
  let args
  try {
    args = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        url: { type: 'string' },
        key: { type: 'string' },
        json: { type: 'boolean' },
        state: { type: 'string' },
        tier: { type: 'string' },
        recipient: { type: 'string' },
        document: { type: 'string' },
        limit: { type: 'string' },
        offset: { type: 'string' },
        note: { type: 'string' },
      },
    })
  } catch (e) {
    process.stderr.write(usageError('dlq', (e as Error).message))
    return 2
  }
  const {
    positionals: [sub, id, ...extra],
    values: v,
  } = args
  if (!['list', 'replay', 'discard'].includes(sub ?? '')) {
    process.stderr.write(usage)
    return 2
  }
  const target = gatewayTarget(v)
  if (!target) return 2

  const call = gatewayCaller(target)
  const out = (s: string) => process.stdout.write(s.endsWith('\n') ? s : `${s}\n`)

  try {
    if (sub === 'list' && !id) {
      const state = v.state ?? 'dead'
      if (!['dead', 'replayed', 'discarded', 'all'].includes(state)) {
        process.stderr.write(`--state must be dead, replayed, discarded or all\n${usage}`)
        return 2
      }
      const qs = new URLSearchParams()
      if (state !== 'all') qs.set('state', state)
      for (const k of ['tier', 'recipient', 'document', 'limit', 'offset'] as const) if (v[k]) qs.set(k, v[k]!)
      const page = (await call('GET', `/v1/ops/dlq${qs.size ? `?${qs}` : ''}`)) as { total: number; items: DeadLetter[] }
      if (v.json) out(JSON.stringify(page, null, 2))
      else out(table(page.items) + `${page.items.length} of ${page.total} item(s)${state === 'all' ? '' : ` in state ${state}`}\n`)
      return 0
    }
    if ((sub === 'replay' || sub === 'discard') && id && extra.length === 0) {
      if (sub === 'replay' && v.note !== undefined) {
        process.stderr.write(`--note goes with discard\n${usage}`)
        return 2
      }
      const item = (await call(
        'POST',
        `/v1/ops/dlq/${encodeURIComponent(id)}/${sub}`,
        sub === 'discard' ? (v.note !== undefined ? { note: v.note } : {}) : undefined,
      )) as DeadLetter
      if (v.json) out(JSON.stringify(item, null, 2))
      else {
        out(
          `${item.state} ${item.id} by ${item.resolvedBy ?? '?'} at ${item.resolvedAt ?? '?'}: ${item.documentId} → ${item.recipient}` +
            (sub === 'replay' ? ` (back on ${item.origin.topic} for a fresh round of attempts)` : v.note ? ` (note: ${v.note})` : ''),
        )
      }
      return 0
    }
  } catch (e) {
    if (!(e instanceof CallFailed)) throw e
    if (v.json && e.problem !== undefined) out(JSON.stringify(e.problem, null, 2))
    process.stderr.write(`lgsp dlq: ${e.message}\n`)
    return 1
  }
  process.stderr.write(usage)
  return 2
}

/** Aligned columns; the id is printed whole (replay and discard take it). */
function table(items: DeadLetter[]): string {
  if (items.length === 0) return ''
  const clip = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s)
  const rows = [
    ['ID', 'STATE', 'FAILED AT', 'TIER', 'RECIPIENT', 'REASON', 'ATTEMPTS', 'DOCUMENT', 'LAST ERROR'],
    ...items.map((d) => [
      d.id,
      d.state,
      d.failedAt.replace(/\.\d+Z$/, 'Z'),
      d.tier,
      d.recipient,
      d.reason,
      String(d.attempts),
      clip(d.documentId, 48),
      clip(d.lastError.replace(/\s+/g, ' '), 60),
    ]),
  ]
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)))
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')).join('\n') + '\n'
}
