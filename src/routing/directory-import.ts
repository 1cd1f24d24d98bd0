/**
 * Directory import: TSV / CSV / JSON files → Agency[] with a stored tier.
 *
 * Columns (by header name, or positionally when the file has no header):
 *   organId, name, tier?, parent?, endpoint?, gateway?   (+ enabled?, certificates?, closedOn?, successors? by header only)
 * The header is optional: a 2-column TSV such as the Tây Ninh directory (`OrganId<TAB>name`) imports
 * as is. Header aliases: organId|organ_id|code|ma_dinh_danh, name|ten|organName, tier|cap,
 * parent|parentId|parent_organ_id, endpoint, gateway, enabled, certificates.
 *
 * Cell syntax:
 *   tier          central | province | district | commune (empty → tier-rules.ts infers one)
 *   parent        an agency code (empty → the code parent, parentOf())
 *   endpoint      inbox | http:<url> | soap:<url> | gateway:<url-or-id> | a bare http(s) URL (= http)
 *                 (empty → inbox). JSON may also give the Endpoint object itself.
 *   gateway       base URL or id of the owning gateway (empty → this gateway)
 *   enabled       true|false|1|0|yes|no (empty → true)
 *   certificates  ';' or '|' separated fingerprints / subject names
 *   closedOn      yyyy-mm-dd: the agency is closed from that day (history: its code stays resolvable);
 *                 empty → active, or the closure already stored is kept (succession.ts, docs/reorganisation.md)
 *   successors    ';' or '|' separated agency codes taking over a closed agency's duties
 * Names are cleaned (NFC, zero-width characters dropped, spaces collapsed) — the Tây Ninh file has
 * U+200B inside "huyện​ Bến Cầu".
 *
 * Errors are per line and never abort the file: a bad line is skipped and reported in `errors`; a
 * duplicated organId keeps the first line and is reported in `warnings`. Tier precedence: overrides >
 * tier column > tier-rules.ts (which sees the tiers already assigned to parents).
 */
import { readFile } from 'node:fs/promises'
import { extname } from 'node:path'
import type { ErrorItem } from '../errors.ts'
import { agencyCodeProblem, isAgencyCode, parentOf } from './agency-code.ts'
import { assignTiers, isTier, overrideFor, type TierOverrides, type TierSource } from './tier-rules.ts'
import { isIsoDate } from './succession.ts'
import { TIERS, type Agency, type Closure, type Endpoint, type Tier } from './types.ts'

export type DirectoryFormat = 'tsv' | 'csv' | 'json'

export interface ImportIssue extends ErrorItem {
  organId?: string
}

export interface ImportOptions {
  format: DirectoryFormat
  /** organId → tier; always wins over the file and the rules */
  overrides?: TierOverrides
  /** gateway for rows that leave the column empty (default null = this gateway) */
  defaultGateway?: string | null
}

export interface ImportResult {
  agencies: Agency[]
  /** lines that were skipped */
  errors: ImportIssue[]
  /** imported, but worth a look (duplicates, missing parents, unused overrides, unknown columns) */
  warnings: ImportIssue[]
  /** data rows read (blank and comment lines excluded) */
  rows: number
  byTier: Record<Tier, number>
  bySource: Record<TierSource, number>
}

type Field = 'organId' | 'name' | 'tier' | 'parent' | 'endpoint' | 'gateway' | 'enabled' | 'certificates' | 'closedOn' | 'successors'
const POSITIONAL: Field[] = ['organId', 'name', 'tier', 'parent', 'endpoint', 'gateway']
const ALIASES: Record<string, Field> = {
  organid: 'organId',
  code: 'organId',
  madinhdanh: 'organId',
  ma: 'organId',
  id: 'organId',
  name: 'name',
  ten: 'name',
  organname: 'name',
  tencoquan: 'name',
  tier: 'tier',
  cap: 'tier',
  parent: 'parent',
  parentid: 'parent',
  parentorganid: 'parent',
  parentcode: 'parent',
  endpoint: 'endpoint',
  gateway: 'gateway',
  enabled: 'enabled',
  certificates: 'certificates',
  certs: 'certificates',
  closedon: 'closedOn',
  closed: 'closedOn',
  ngaydong: 'closedOn',
  successors: 'successors',
  successor: 'successors',
  kethua: 'successors',
}
const headerKey = (s: string): string =>
  s
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/đ/gi, 'd')
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '')

/** NFC, zero-width and control characters dropped, whitespace collapsed, trimmed. */
export function cleanName(s: string): string {
  return s
    .normalize('NFC')
    .replace(/[\u200b-\u200d\u2060\ufeff\u0000-\u0008\u000b-\u001f\u007f]/g, '')
    .replace(/[\s\u00a0]+/g, ' ')
    .trim()
}

/** Parse an endpoint cell; throws Error with a readable message. */
export function parseEndpoint(cell: string | undefined | null): Endpoint {
  const s = (cell ?? '').trim()
  if (s === '' || s.toLowerCase() === 'inbox') return { kind: 'inbox' }
  if (/^https?:\/\//i.test(s)) return { kind: 'http', url: checkUrl(s) }
  const m = /^(http|soap|gateway)\s*[:\s]\s*(\S.*)$/i.exec(s)
  if (!m) throw new Error(`endpoint ${JSON.stringify(s)} is not inbox, http:<url>, soap:<url>, gateway:<url> or an http(s) URL`)
  const kind = m[1].toLowerCase() as 'http' | 'soap' | 'gateway'
  const url = m[2].trim()
  return kind === 'gateway' ? { kind, url } : { kind, url: checkUrl(url) }
}

function checkUrl(u: string): string {
  let url: URL
  try {
    url = new URL(u)
  } catch {
    throw new Error(`endpoint URL ${JSON.stringify(u)} is not a valid URL`)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`endpoint URL ${JSON.stringify(u)} must be http(s)`)
  return u
}

function endpointFromJson(v: unknown): Endpoint {
  if (v === undefined || v === null || typeof v === 'string') return parseEndpoint(v as string | undefined)
  if (typeof v === 'object') {
    const o = v as { kind?: unknown; url?: unknown }
    if (o.kind === 'inbox') return { kind: 'inbox' }
    if ((o.kind === 'http' || o.kind === 'soap' || o.kind === 'gateway') && typeof o.url === 'string' && o.url.trim() !== '') {
      return o.kind === 'gateway' ? { kind: 'gateway', url: o.url.trim() } : { kind: o.kind, url: checkUrl(o.url.trim()) }
    }
  }
  throw new Error(`endpoint ${JSON.stringify(v)} must be {kind:'inbox'} or {kind:'http'|'soap'|'gateway', url}`)
}

function parseBool(s: string): boolean {
  const v = s.trim().toLowerCase()
  if (['', 'true', '1', 'yes', 'y'].includes(v)) return true
  if (['false', '0', 'no', 'n'].includes(v)) return false
  throw new Error(`enabled ${JSON.stringify(s)} is not true/false`)
}

// --- record readers --------------------------------------------------------------------------

interface RawRecord {
  line: number
  cells: string[]
}

/** TSV: one record per line, cells split on TAB, no quoting (names may contain quotes). */
function readTsv(text: string): RawRecord[] {
  const out: RawRecord[] = []
  const lines = text.split(/\r\n|\n|\r/)
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]
    if (l.trim() === '' || l.startsWith('#')) continue
    out.push({ line: i + 1, cells: l.split('\t') })
  }
  return out
}

/** RFC 4180 CSV (quotes, doubled quotes, newlines inside quotes, CRLF). Comma or semicolon. */
export function readCsv(text: string, delimiter = ','): RawRecord[] {
  const out: RawRecord[] = []
  let cells: string[] = []
  let cell = ''
  let quoted = false
  let line = 1
  let recordLine = 1
  let sawQuote = false
  const endRecord = (): void => {
    cells.push(cell)
    const blank = cells.length === 1 && cells[0].trim() === '' && !sawQuote
    if (!blank && !(cells[0].startsWith('#') && !sawQuote)) out.push({ line: recordLine, cells })
    cells = []
    cell = ''
    sawQuote = false
  }
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          cell += '"'
          i++
        } else quoted = false
      } else {
        if (ch === '\n') line++
        cell += ch
      }
      continue
    }
    if (ch === '"' && cell.trim() === '') {
      quoted = true
      sawQuote = true
      cell = ''
    } else if (ch === delimiter) {
      cells.push(cell)
      cell = ''
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++
      endRecord()
      line++
      recordLine = line
    } else cell += ch
  }
  if (cell !== '' || cells.length > 0) endRecord()
  return out
}

// --- import ----------------------------------------------------------------------------------

interface Row {
  line?: number
  path?: string
  organId: string
  name: string
  tier: Tier | null
  parent: string | null
  endpoint: Endpoint
  gateway: string | null
  enabled: boolean
  certificates: string[]
  closed: Closure | null
}

type Cells = Partial<Record<Field, unknown>>

function toRow(cells: Cells, where: { line?: number; path?: string }, defaultGateway: string | null): Row {
  const str = (v: unknown, field: string): string => {
    if (v === undefined || v === null) return ''
    if (typeof v !== 'string') throw new Error(`${field} must be a string`)
    return v.trim()
  }
  const organId = str(cells.organId, 'organId')
  if (organId === '') throw new Error('missing organId')
  const problem = agencyCodeProblem(organId)
  if (problem) throw new Error(problem)
  const name = cleanName(str(cells.name, 'name'))
  if (name === '') throw new Error(`${organId}: missing name`)
  const tierCell = str(cells.tier, 'tier').toLowerCase()
  if (tierCell !== '' && !isTier(tierCell)) throw new Error(`${organId}: tier ${JSON.stringify(tierCell)} is not one of ${TIERS.join(', ')}`)
  const parentCell = str(cells.parent, 'parent')
  if (parentCell !== '') {
    const pp = agencyCodeProblem(parentCell)
    if (pp) throw new Error(`${organId}: parent: ${pp}`)
    if (parentCell === organId) throw new Error(`${organId}: an agency cannot be its own parent`)
  }
  let endpoint: Endpoint
  try {
    endpoint = where.path !== undefined ? endpointFromJson(cells.endpoint) : parseEndpoint(str(cells.endpoint, 'endpoint'))
  } catch (e) {
    throw new Error(`${organId}: ${(e as Error).message}`)
  }
  const gw = str(cells.gateway, 'gateway')
  let enabled = true
  if (typeof cells.enabled === 'boolean') enabled = cells.enabled
  else if (cells.enabled !== undefined && cells.enabled !== null) {
    try {
      enabled = parseBool(str(cells.enabled, 'enabled'))
    } catch (e) {
      throw new Error(`${organId}: ${(e as Error).message}`)
    }
  }
  const certificates = listCell(cells.certificates, `${organId}: certificates`)
  const closed = closureOf(organId, str(cells.closedOn, 'closedOn'), listCell(cells.successors, `${organId}: successors`))
  return {
    closed,
    line: where.line,
    path: where.path,
    organId,
    name,
    tier: tierCell === '' ? null : (tierCell as Tier),
    parent: parentCell === '' ? parentOf(organId) : parentCell,
    endpoint,
    gateway: gw === '' ? defaultGateway : gw,
    enabled,
    certificates,
  }
}

/** A list cell: a JSON array of strings, or one string separated by ';' or '|'. */
function listCell(v: unknown, what: string): string[] {
  if (Array.isArray(v)) {
    if (!v.every((c) => typeof c === 'string')) throw new Error(`${what} must be strings`)
    return (v as string[]).map((c) => c.trim()).filter(Boolean)
  }
  if (v !== undefined && v !== null && typeof v !== 'string') throw new Error(`${what} must be a string`)
  return ((v as string | undefined) ?? '')
    .split(/[;|]/)
    .map((c) => c.trim())
    .filter(Boolean)
}

function closureOf(organId: string, on: string, successors: string[]): Closure | null {
  if (on === '') {
    if (successors.length) throw new Error(`${organId}: successors given without closedOn (the date the closure takes effect)`)
    return null
  }
  if (!isIsoDate(on)) throw new Error(`${organId}: closedOn ${JSON.stringify(on)} is not a yyyy-mm-dd date`)
  for (const s of successors) {
    const p = agencyCodeProblem(s)
    if (p) throw new Error(`${organId}: successor: ${p}`)
    if (s === organId) throw new Error(`${organId}: an agency cannot succeed itself`)
  }
  return { on, successors }
}

function delimitedCells(records: RawRecord[], warnings: ImportIssue[]): { line: number; cells: Cells }[] {
  if (records.length === 0) return []
  let columns: (Field | null)[] = POSITIONAL
  let start = 0
  const first = records[0].cells.map((c) => c.replace(/^\ufeff/, '').trim())
  const firstKey = headerKey(first[0] ?? '')
  if (!isAgencyCode(first[0]) && ALIASES[firstKey] === 'organId') {
    columns = first.map((h) => {
      const f = ALIASES[headerKey(h)] ?? null
      if (f === null && h !== '') warnings.push({ line: records[0].line, message: `unknown column ${JSON.stringify(h)} ignored` })
      return f
    })
    start = 1
  }
  const out: { line: number; cells: Cells }[] = []
  for (let r = start; r < records.length; r++) {
    const { line, cells } = records[r]
    const c: Cells = {}
    for (let i = 0; i < cells.length && i < columns.length; i++) {
      const f = columns[i]
      if (f) c[f] = i === 0 ? cells[i].replace(/^\ufeff/, '') : cells[i]
    }
    if (cells.length > columns.length && cells.slice(columns.length).some((x) => x.trim() !== '')) {
      warnings.push({ line, message: `${cells.length - columns.length} extra column(s) ignored` })
    }
    out.push({ line, cells: c })
  }
  return out
}

function jsonCells(text: string, errors: ImportIssue[]): { path: string; cells: Cells }[] {
  let doc: unknown
  try {
    doc = JSON.parse(text.replace(/^\ufeff/, ''))
  } catch (e) {
    errors.push({ line: 1, message: `not valid JSON: ${(e as Error).message}` })
    return []
  }
  let list: unknown
  let base = ''
  if (Array.isArray(doc)) list = doc
  else if (doc && typeof doc === 'object' && Array.isArray((doc as { agencies?: unknown }).agencies)) {
    list = (doc as { agencies: unknown[] }).agencies
    base = '/agencies'
  } else {
    errors.push({ path: '', message: 'JSON directory must be an array of agencies or {"agencies": [...]}' })
    return []
  }
  const out: { path: string; cells: Cells }[] = []
  ;(list as unknown[]).forEach((item, i) => {
    const path = `${base}/${i}`
    if (!item || typeof item !== 'object' || Array.isArray(item)) {
      errors.push({ path, message: 'each agency must be an object' })
      return
    }
    const c: Cells = {}
    for (const [k, v] of Object.entries(item)) {
      const f = ALIASES[headerKey(k)]
      if (f) c[f] = v
    }
    out.push({ path, cells: c })
  })
  return out
}

/** Parse a directory file's text. Never throws for bad content: see `errors` and `warnings`. */
export function importDirectory(text: string, opts: ImportOptions): ImportResult {
  const errors: ImportIssue[] = []
  const warnings: ImportIssue[] = []
  const defaultGateway = opts.defaultGateway ?? null

  const items: { line?: number; path?: string; cells: Cells }[] =
    opts.format === 'json' ? jsonCells(text, errors) : delimitedCells(opts.format === 'tsv' ? readTsv(text) : readCsv(text, sniffCsvDelimiter(text)), warnings)

  const rows: Row[] = []
  const firstSeen = new Map<string, Row>()
  for (const it of items) {
    const where = it.path !== undefined ? { path: it.path } : { line: it.line }
    let row: Row
    try {
      row = toRow(it.cells, where, defaultGateway)
    } catch (e) {
      const id = typeof it.cells.organId === 'string' ? it.cells.organId.trim() : undefined
      errors.push({ ...where, ...(id ? { organId: id } : {}), message: (e as Error).message })
      continue
    }
    const prev = firstSeen.get(row.organId)
    if (prev) {
      const at = prev.line !== undefined ? `line ${prev.line}` : prev.path
      warnings.push({ ...where, organId: row.organId, message: `duplicate of ${at} (${JSON.stringify(prev.name)}); this one (${JSON.stringify(row.name)}) is ignored` })
      continue
    }
    firstSeen.set(row.organId, row)
    rows.push(row)
  }

  const { tiers, unresolved } = assignTiers(rows, opts.overrides)
  const unresolvedWhy = new Map(unresolved.map((u) => [u.organId, u.reason]))
  const agencies: Agency[] = []
  const byTier = Object.fromEntries(TIERS.map((t) => [t, 0])) as Record<Tier, number>
  const bySource: Record<TierSource, number> = { override: 0, explicit: 0, rule: 0, parent: 0 }
  for (const r of rows) {
    const where = r.path !== undefined ? { path: r.path } : { line: r.line }
    const t = tiers.get(r.organId)
    if (!t) {
      errors.push({ ...where, organId: r.organId, message: `${r.organId}: ${unresolvedWhy.get(r.organId) ?? 'no tier'}` })
      continue
    }
    if (r.parent !== null && !firstSeen.has(r.parent)) {
      warnings.push({ ...where, organId: r.organId, message: `${r.organId}: parent ${r.parent} is not in this file` })
    }
    byTier[t.tier]++
    bySource[t.source]++
    agencies.push({
      organId: r.organId,
      name: r.name,
      tier: t.tier,
      parent: r.parent,
      gateway: r.gateway,
      endpoint: r.endpoint,
      certificates: r.certificates,
      enabled: r.enabled,
      ...(r.closed ? { closed: r.closed } : {}),
    })
  }
  if (opts.overrides) {
    const ids = opts.overrides instanceof Map ? [...opts.overrides.keys()] : Object.keys(opts.overrides)
    for (const id of ids)
      if (!firstSeen.has(id) && overrideFor(opts.overrides, id)) warnings.push({ organId: id, message: `tier override for ${id} matches no agency in the file` })
  }
  errors.sort(byPosition)
  warnings.sort(byPosition)
  return { agencies, errors, warnings, rows: items.length, byTier, bySource }
}

/** File order: by line, or by the array index at the end of a JSON path; unplaced issues last. */
function byPosition(a: ImportIssue, b: ImportIssue): number {
  const pos = (i: ImportIssue): number => i.line ?? (i.path !== undefined && /\/(\d+)$/.test(i.path) ? Number(/\/(\d+)$/.exec(i.path)![1]) : Infinity)
  const d = pos(a) - pos(b)
  return Number.isNaN(d) ? 0 : d
}

function sniffCsvDelimiter(text: string): string {
  const firstLine = text.slice(0, Math.max(0, text.search(/\r|\n/)) || text.length)
  const commas = (firstLine.match(/,/g) ?? []).length
  const semis = (firstLine.match(/;/g) ?? []).length
  return semis > commas ? ';' : ','
}

/** Format from the file name (.tsv/.tab/.txt, .csv, .json), else from the content. */
export function detectFormat(fileName: string, text?: string): DirectoryFormat {
  const ext = extname(fileName).toLowerCase()
  if (ext === '.json') return 'json'
  if (ext === '.csv') return 'csv'
  if (ext === '.tsv' || ext === '.tab') return 'tsv'
  const t = (text ?? '').replace(/^\ufeff/, '').trimStart()
  if (t.startsWith('[') || t.startsWith('{')) return 'json'
  const firstLine = t.split(/\r|\n/, 1)[0] ?? ''
  return firstLine.includes('\t') ? 'tsv' : 'csv'
}

/** Read a UTF-8 directory file and import it (format from `opts.format` or detectFormat()). */
export async function importDirectoryFile(path: string, opts: Partial<ImportOptions> = {}): Promise<ImportResult> {
  const text = await readFile(path, 'utf8')
  return importDirectory(text, { ...opts, format: opts.format ?? detectFormat(path, text) })
}
