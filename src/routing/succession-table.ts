/**
 * The change table: operators apply a reorganisation as data instead of retyping the directory
 * (REFORM-2025.md: old and new directory shapes coexist; Decision 09/2025/QĐ-TTg closes the codes of
 * merged provinces). Pure: text → rows → a checked plan against a directory snapshot; no I/O.
 *
 * File: tab- or comma-separated (RFC 4180 quoting for CSV), a header row naming the columns
 *   old         the code being closed
 *   successor   the code taking over (one row per successor when duties are split; empty = dissolved)
 *   effective   ISO date yyyy-mm-dd (00:00 Vietnam time, succession.ts)
 *   note        optional, kept with the closure
 *   bindings    optional: keep (default) | carry | disable — what happens to the API keys, webhooks and
 *               directory certificate bindings of the closing code (src/ops/succession.ts)
 * Blank lines and lines starting with '#' are skipped.
 *
 * Conflicts (the whole table is refused when there is one): a code not in the directory (a successor may
 * instead be owned by another gateway the directory routes to), a code closed twice with different dates
 * or notes, a successor that is itself closed (in the directory or by this table: name the final successor),
 * an agency succeeding itself, a loop, `carry` with several successors. Re-applying a closure already
 * stored is not a conflict: it is reported as already applied.
 */
import type { ErrorItem } from '../errors.ts'
import { agencyCodeProblem, jurisdictionOf } from './agency-code.ts'
import { readCsv } from './directory-import.ts'
import type { DirectorySnapshot } from './directory-snapshot.ts'
import { isIsoDate } from './succession.ts'

export const BINDINGS = ['keep', 'carry', 'disable'] as const
export type BindingsPolicy = (typeof BINDINGS)[number]

export interface SuccessionRow {
  line: number
  old: string
  successor: string | null
  effective: string
  note: string | null
  bindings: BindingsPolicy
}

export interface PlannedClosure {
  organId: string
  name: string
  on: string
  successors: string[]
  note: string | null
  bindings: BindingsPolicy
  lines: number[]
}

export interface SuccessionIssue extends ErrorItem {
  old?: string
  successor?: string
}

export interface SuccessionPlan {
  rows: number
  /** closures to write */
  closures: PlannedClosure[]
  /** closures already stored exactly so (re-applying the table changes nothing for them) */
  alreadyApplied: string[]
  /** lines that cannot be read (bad code, date, missing column) */
  errors: SuccessionIssue[]
  /** rows that conflict with each other or with the directory */
  conflicts: SuccessionIssue[]
}

const COLUMNS = ['old', 'successor', 'effective', 'note', 'bindings'] as const
type Column = (typeof COLUMNS)[number]

/** Read the file. Errors are per line; a missing header column is one error for the file. */
export function parseSuccessionTable(text: string): { rows: SuccessionRow[]; errors: SuccessionIssue[] } {
  const body = text.replace(/^\ufeff/, '')
  const firstLine = body.split(/\r\n|\n|\r/, 1)[0] ?? ''
  const records = readCsv(body, firstLine.includes('\t') ? '\t' : ',')
  const errors: SuccessionIssue[] = []
  const rows: SuccessionRow[] = []
  const header = records[0]
  if (!header) return { rows, errors: [{ line: 1, message: 'empty change table: expected a header row naming old, successor, effective' }] }
  const index = new Map<Column, number>()
  header.cells.forEach((c, i) => {
    const k = c.trim().toLowerCase() as Column
    if ((COLUMNS as readonly string[]).includes(k) && !index.has(k)) index.set(k, i)
  })
  const missing = (['old', 'successor', 'effective'] as const).filter((c) => !index.has(c))
  if (missing.length) return { rows, errors: [{ line: header.line, message: `the header must name the columns old, successor, effective (missing: ${missing.join(', ')})` }] }
  const cell = (cells: string[], c: Column) => (index.has(c) ? (cells[index.get(c)!] ?? '').trim() : '')
  for (const { line, cells } of records.slice(1)) {
    const old = cell(cells, 'old')
    const successor = cell(cells, 'successor')
    const effective = cell(cells, 'effective')
    const bindings = (cell(cells, 'bindings').toLowerCase() || 'keep') as BindingsPolicy
    const problem = agencyCodeProblem(old) ?? (successor ? agencyCodeProblem(successor) : null)
    if (problem) errors.push({ line, old, message: problem })
    else if (!isIsoDate(effective)) errors.push({ line, old, message: `effective ${JSON.stringify(effective)} is not a yyyy-mm-dd date` })
    else if (!BINDINGS.includes(bindings)) errors.push({ line, old, message: `bindings ${JSON.stringify(bindings)} is not one of ${BINDINGS.join(', ')}` })
    else rows.push({ line, old, successor: successor || null, effective, note: cell(cells, 'note') || null, bindings })
  }
  return { rows, errors }
}

/** Group rows per closing code and check them against the directory and each other. */
export function planSuccession(snapshot: DirectorySnapshot, rows: readonly SuccessionRow[], errors: SuccessionIssue[] = []): SuccessionPlan {
  const conflicts: SuccessionIssue[] = []
  const groups = new Map<string, SuccessionRow[]>()
  for (const r of rows) groups.set(r.old, [...(groups.get(r.old) ?? []), r])

  const known = (code: string) => {
    if (snapshot.has(code)) return true
    // a code owned by another gateway: the directory routes its level-1 root there
    const root = snapshot.get(jurisdictionOf(code))
    return !!root && (root.gateway !== null || root.endpoint.kind === 'gateway')
  }
  const closures: PlannedClosure[] = []
  const alreadyApplied: string[] = []
  for (const [old, list] of groups) {
    const first = list[0]!
    const lines = list.map((r) => r.line)
    const conflict = (message: string, r: SuccessionRow = first) => conflicts.push({ line: r.line, old, ...(r.successor ? { successor: r.successor } : {}), message })
    const agency = snapshot.get(old)
    if (!agency) {
      conflict(`${old} is not in the directory`)
      continue
    }
    const dates = new Set(list.map((r) => r.effective))
    if (dates.size > 1) {
      conflict(`${old} is given several effective dates (${[...dates].join(', ')}) on lines ${lines.join(', ')}`)
      continue
    }
    const notes = new Set(list.map((r) => r.note).filter((n) => n !== null))
    if (notes.size > 1) {
      conflict(`${old} is given several notes on lines ${lines.join(', ')}`)
      continue
    }
    const policies = new Set(list.map((r) => r.bindings))
    if (policies.size > 1) {
      conflict(`${old} is given several bindings policies (${[...policies].join(', ')})`)
      continue
    }
    const successors = [...new Set(list.map((r) => r.successor).filter((s): s is string => s !== null))]
    if (successors.length && list.some((r) => r.successor === null)) {
      conflict(`${old} has both successors and an empty successor (dissolved) row`)
      continue
    }
    let bad = false
    for (const r of list) {
      const s = r.successor
      if (s === null) continue
      if (s === old) {
        conflict(`${old} cannot succeed itself`, r)
        bad = true
        continue
      }
      if (!known(s)) {
        conflict(`successor ${s} is not in the directory (nor owned by a gateway it routes to)`, r)
        bad = true
        continue
      }
      const sa = snapshot.get(s)
      if (sa?.closed) {
        conflict(
          `successor ${s} is itself closed (on ${sa.closed.on}${sa.closed.successors.length ? `, into ${sa.closed.successors.join(', ')}` : ''}): name its successor instead`,
          r,
        )
        bad = true
        continue
      }
      if (groups.has(s)) {
        conflict(`successor ${s} is itself closed by this table (line ${groups.get(s)![0]!.line}): name its successor instead`, r)
        bad = true
      }
    }
    if (first.bindings === 'carry' && successors.length !== 1) {
      conflict(`${old}: bindings can be carried to exactly one successor (${successors.length} given)`)
      bad = true
    }
    if (bad) continue
    const on = first.effective
    const note = first.note
    if (agency.closed) {
      const same = agency.closed.on === on && sameSet(agency.closed.successors, successors)
      if (same) alreadyApplied.push(old)
      else conflict(`${old} is already closed on ${agency.closed.on} into ${agency.closed.successors.join(', ') || 'nothing'}`)
      continue
    }
    closures.push({ organId: old, name: agency.name, on, successors, note, bindings: first.bindings, lines })
  }
  for (const loop of loopsOf(groups)) conflicts.push({ line: groups.get(loop[0]!)![0]!.line, old: loop[0], message: `loop: ${loop.join(' → ')}` })
  return { rows: rows.length + errors.length, closures, alreadyApplied, errors, conflicts }
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x) => b.includes(x))
}

/** Loops among the table's rows (old → successor edges), each reported once from its smallest code. */
function loopsOf(groups: ReadonlyMap<string, SuccessionRow[]>): string[][] {
  // self-edges are reported as "cannot succeed itself"
  const edges = new Map([...groups].map(([old, list]) => [old, list.map((r) => r.successor).filter((s): s is string => s !== null && s !== old)]))
  const loops: string[][] = []
  const seen = new Set<string>()
  const walk = (node: string, path: string[]) => {
    const at = path.indexOf(node)
    if (at >= 0) {
      const loop = path.slice(at)
      const key = [...loop].sort().join(',')
      if (!seen.has(key)) {
        seen.add(key)
        loops.push([...loop, node])
      }
      return
    }
    if (path.length > groups.size) return
    for (const next of edges.get(node) ?? []) walk(next, [...path, node])
  }
  for (const start of edges.keys()) walk(start, [])
  return loops
}
