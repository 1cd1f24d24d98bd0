/**
 * `lgsp log verify [--url U] [--key K] [--json]`
 * `lgsp log show [--after seq] [--limit n] [--document uuid]`
 *
 * verify fetches the whole message log through the ops API (GET /v1/ops/log, paged) and walks the hash chain
 * here, with the same code as the gateway but without taking the gateway's word for it: every row's hash is
 * recomputed from its columns, every link to the previous row checked, seq gaps and a head beyond the last row
 * reported as removed rows. Exit 0 when the chain is intact, 1 when a row was altered or removed (each
 * named, with its seq and entry key), 2 on usage or when the gateway cannot be reached.
 * --url (LGSP_URL, default http://127.0.0.1:8080), --key (LGSP_KEY, default the "operator" key in
 * .data/demo-credentials.json), as every lgsp command that talks to a gateway.
 */
import { parseArgs } from 'node:util'
import { verifyChain, type LogRow } from '../../store/message-log-repo.ts'
import { usageError } from '../args.ts'
import { TARGET_OPTIONS_HELP, gatewayTarget } from '../gateway-target.ts'

export const summary = 'tamper-evident message log: `log verify` (walks the hash chain, names altered/removed rows), `log show`'

export const usage = `usage: lgsp log verify [--json]
       lgsp log show [--after seq] [--limit n] [--document uuid]
${TARGET_OPTIONS_HELP}
`
const PAGE = 2000

class Unreachable extends Error {}

export async function run(argv: string[]): Promise<number> {
  let args
  try {
    args = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { url: { type: 'string' }, key: { type: 'string' }, json: { type: 'boolean' }, after: { type: 'string' }, limit: { type: 'string' }, document: { type: 'string' } },
    })
  } catch (e) {
    process.stderr.write(usageError('log', (e as Error).message))
    return 2
  }
  const {
    positionals: [sub],
    values: v,
  } = args
  const target = gatewayTarget(v)
  if (!target) return 2
  const { base, key } = target
  const page = async (after: number, limit: number, document?: string): Promise<{ head: { seq: number; hash: string }; items: LogRow[] }> => {
    const qs = new URLSearchParams({ after: String(after), limit: String(limit), ...(document ? { document } : {}) })
    let res: Response
    try {
      res = await fetch(`${base}/v1/ops/log?${qs}`, { headers: { authorization: `Bearer ${key}` }, signal: AbortSignal.timeout(60_000) })
    } catch (e) {
      throw new Unreachable(`cannot reach ${base}: ${(e as Error).message}`)
    }
    if (res.status !== 200) throw new Unreachable(`${base}/v1/ops/log answered ${res.status}: ${(await res.text()).slice(0, 300)}`)
    return (await res.json()) as { head: { seq: number; hash: string }; items: LogRow[] }
  }

  try {
    if (sub === 'show') {
      const r = await page(Number(v.after ?? 0), Math.min(5000, Number(v.limit ?? 100)), v.document)
      for (const row of r.items) process.stdout.write(`${JSON.stringify(row)}\n`)
      return 0
    }
    if (sub !== 'verify') {
      process.stderr.write(usage)
      return 2
    }
    // the head is read first: rows appended while we walk are beyond it and do not count as removed
    const first = await page(0, PAGE)
    const head = first.head
    async function* rows() {
      let r = first
      for (;;) {
        for (const row of r.items) if (row.seq <= head.seq) yield row
        const last = r.items[r.items.length - 1]
        if (r.items.length < PAGE || !last || last.seq >= head.seq) return
        r = await page(last.seq, PAGE)
      }
    }
    const result = await verifyChain(rows(), head)
    if (v.json) process.stdout.write(`${JSON.stringify(result)}\n`)
    else if (result.ok) process.stdout.write(`message log intact: ${result.checked} rows, head ${head.seq} ${head.hash}\n`)
    else {
      process.stdout.write(`message log BROKEN: ${result.problems.length} problem(s) in ${result.checked} rows (head ${head.seq})\n`)
      for (const p of result.problems) process.stdout.write(`  row ${p.seq}: ${p.problem} — ${p.detail}\n`)
    }
    return result.ok ? 0 : 1
  } catch (e) {
    process.stderr.write(`lgsp log: ${(e as Error).message}\n`)
    return 2
  }
}
