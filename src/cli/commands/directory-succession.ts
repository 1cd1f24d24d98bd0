/**
 * `lgsp directory succession import <file> [--dry-run]`: sends a change table (old, successor, effective[,
 * note, bindings]; tab- or comma-separated, header row) to the running gateway's ops API
 * (POST /v1/ops/succession), prints the JSON report on stdout and one line per closing agency on stderr.
 * Applying runs the dry run first and stops there, printing every conflicting row, when there is one (the
 * gateway would refuse the table whole anyway; this way the operator sees each row, not one problem).
 * Exit 0 when applied (or a dry run found nothing wrong), 1 when rows conflict or the gateway refused it.
 */
import fs from 'node:fs'
import type { SuccessionReport } from '../../ops/succession.ts'

export type GatewayCall = (method: string, path: string, body?: string, contentType?: string) => Promise<unknown>

export async function successionImport(call: GatewayCall, file: string, dryRun: boolean): Promise<number> {
  let text: string
  try {
    text = fs.readFileSync(file, 'utf8')
  } catch (e) {
    process.stderr.write(`cannot read ${file}: ${(e as Error).message}\n`)
    return 1
  }
  const firstLine = text.split(/\r?\n/, 1)[0] ?? ''
  const contentType = firstLine.includes('\t') ? 'text/tab-separated-values' : 'text/csv'
  const post = async (dry: boolean) => (await call('POST', `/v1/ops/succession${dry ? '?dryRun=true' : ''}`, text, contentType)) as SuccessionReport | null
  const first = await post(true)
  if (!first) return 1
  const conflicting = first.conflicts.length + first.errors.length > 0
  const report = dryRun || conflicting ? first : await post(false)
  if (!report) return 1
  if (conflicting && !dryRun) dryRun = true // nothing was applied: report it as the dry run it was
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`)
  for (const c of report.closures) {
    process.stderr.write(
      `${dryRun ? 'would close' : 'closed'} ${c.organId} (${c.name}) on ${c.on} → ${c.successors.join(', ') || 'no successor'}: ` +
        `${c.inFlight} in flight, ${c.unreadInbox} unread in its inbox, ${c.webhooks} webhooks, ${c.apiKeys} API keys, ` +
        `${c.certificates.directory + c.certificates.trustStore} certificates (bindings: ${c.bindings})\n`,
    )
  }
  for (const id of report.alreadyApplied) process.stderr.write(`already closed as the table says: ${id}\n`)
  for (const e of [...report.errors, ...report.conflicts]) process.stderr.write(`conflict line ${e.line ?? '?'}: ${e.message}\n`)
  process.stderr.write(
    `${report.closures.length} agencies ${dryRun ? 'would close' : 'closed'}, ${report.conflicts.length + report.errors.length} conflicts${dryRun ? ' [dry run]' : ''}\n`,
  )
  return report.conflicts.length + report.errors.length ? 1 : 0
}
