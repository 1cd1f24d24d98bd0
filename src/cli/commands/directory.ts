/**
 * `lgsp directory import <file> [--format tsv|csv|json] [--override <OrganId>=<tier> …] [--dry-run] [--strict]`
 * `lgsp directory list [--q text] [--tier t] [--parent id] [--limit n]`   `lgsp directory get <OrganId>`
 * `lgsp directory succession import <file> [--dry-run]`   (a change table: ./directory-succession.ts)
 *
 * Goes through the running gateway's API (never its database): --url (or LGSP_URL, default
 * http://127.0.0.1:8080) and --key (or LGSP_KEY, default the "operator" key in .data/demo-credentials.json).
 * import prints the report (imported, by tier, per-line errors and warnings); exit 0 when the gateway took
 * the file (per-line errors included, unless --strict), 1 when it refused it or was unreachable, 2 on usage.
 */
import fs from 'node:fs'
import { parseArgs } from 'node:util'
import { usageError } from '../args.ts'
import { TARGET_OPTIONS_HELP, gatewayTarget } from '../gateway-target.ts'

export const summary = 'agency directory via the API: `directory import <file>`, `directory list`, `directory get <id>`, `directory succession import <file>`'

export const usage = `usage: lgsp directory import <file> [--format tsv|csv|json] [--override <OrganId>=<tier> …] [--dry-run] [--strict]
       lgsp directory list [--q text] [--tier central|province|district|commune] [--parent <OrganId>] [--status active|closed] [--limit n]
       lgsp directory get <OrganId>
       lgsp directory succession import <file> [--dry-run]   (header: old, successor, effective[, note, bindings])
${TARGET_OPTIONS_HELP}
`

const CONTENT_TYPE: Record<string, string> = { tsv: 'text/tab-separated-values', csv: 'text/csv', json: 'application/json' }

export async function run(argv: string[]): Promise<number> {
  let args
  try {
    args = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        url: { type: 'string' },
        key: { type: 'string' },
        format: { type: 'string' },
        override: { type: 'string', multiple: true },
        'dry-run': { type: 'boolean' },
        strict: { type: 'boolean' },
        q: { type: 'string' },
        tier: { type: 'string' },
        parent: { type: 'string' },
        status: { type: 'string' },
        limit: { type: 'string' },
      },
    })
  } catch (e) {
    process.stderr.write(usageError('directory', (e as Error).message))
    return 2
  }
  const {
    positionals: [sub, arg, file],
    values: v,
  } = args
  const target = gatewayTarget(v)
  if (!target) return 2
  const { base, key } = target
  const call = async (method: string, p: string, body?: string, contentType?: string) => {
    let res: Response
    try {
      res = await fetch(base + p, {
        method,
        body,
        signal: AbortSignal.timeout(120_000),
        headers: { authorization: `Bearer ${key}`, ...(contentType ? { 'content-type': contentType } : {}) },
      })
    } catch (e) {
      process.stderr.write(`cannot reach ${base}: ${(e as Error & { cause?: Error }).cause?.message ?? (e as Error).message}\n`)
      return null
    }
    const text = await res.text()
    let json: unknown = text
    try {
      json = JSON.parse(text)
    } catch {
      /* not JSON */
    }
    if (!res.ok) {
      const prob = json as { code?: string; detail?: string }
      process.stderr.write(`${method} ${base}${p}: HTTP ${res.status} ${prob?.code ?? ''} ${prob?.detail ?? text}\n`)
      return null
    }
    return json
  }

  if (sub === 'import' && arg) {
    let text: string
    try {
      text = fs.readFileSync(arg, 'utf8')
    } catch (e) {
      process.stderr.write(`cannot read ${arg}: ${(e as Error).message}\n`)
      return 1
    }
    const format = v.format ?? (/\.json$/i.test(arg) ? 'json' : /\.csv$/i.test(arg) ? 'csv' : /\.(tsv|tab)$/i.test(arg) ? 'tsv' : undefined)
    if (format && !CONTENT_TYPE[format]) {
      process.stderr.write(`--format must be tsv, csv or json\n${usage}`)
      return 2
    }
    const qs = new URLSearchParams()
    if (format) qs.set('format', format)
    if (v['dry-run']) qs.set('dryRun', 'true')
    for (const o of v.override ?? []) qs.append('override', o)
    const report = (await call('POST', `/v1/agencies/import${qs.size ? `?${qs}` : ''}`, text, CONTENT_TYPE[format ?? 'tsv'] ?? 'text/plain')) as {
      rows: number
      imported: number
      errors: { line?: number; path?: string; message: string }[]
      warnings: unknown[]
    } | null
    if (!report) return 1
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`)
    for (const e of report.errors) process.stderr.write(`error ${e.line !== undefined ? `line ${e.line}` : (e.path ?? '')}: ${e.message}\n`)
    process.stderr.write(
      `${report.imported} of ${report.rows} rows imported into ${base} (${report.errors.length} errors, ${report.warnings.length} warnings)${v['dry-run'] ? ' [dry run]' : ''}\n`,
    )
    return v.strict && report.errors.length ? 1 : 0
  }
  if (sub === 'succession' && arg === 'import' && file) {
    return (await import('./directory-succession.ts')).successionImport(call, file, v['dry-run'] ?? false)
  }
  if (sub === 'list') {
    const qs = new URLSearchParams()
    for (const k of ['q', 'tier', 'parent', 'status', 'limit'] as const) if (v[k]) qs.set(k, v[k]!)
    const r = await call('GET', `/v1/agencies${qs.size ? `?${qs}` : ''}`)
    if (!r) return 1
    process.stdout.write(`${JSON.stringify(r, null, 2)}\n`)
    return 0
  }
  if (sub === 'get' && arg) {
    const r = await call('GET', `/v1/agencies/${encodeURIComponent(arg)}`)
    if (!r) return 1
    process.stdout.write(`${JSON.stringify(r, null, 2)}\n`)
    return 0
  }
  process.stderr.write(usage)
  return 2
}
