/**
 * Agency identifiers (mã định danh, edXML OrganId): `CCC.BB.AA.XNN`, read right to left.
 *
 *   XNN  level 1: one letter (G ministries/central, H provinces, A Party bloc, …) + 2 alphanumerics
 *   AA   level 2 (2 digits)   BB  level 3 (2 digits)   CCC  level 4 (3 digits); unused groups are zero.
 *
 * Parent = zero the left-most non-zero group (Bkav edoc `getParentDomain()`), so
 * 000.21.31.H53 (UBND xã An Thạnh) → 000.00.31.H53 (UBND huyện Bến Cầu) → 000.00.00.H53 (UBND tỉnh Tây Ninh).
 *
 * The code level is NOT the administrative tier (a level-2 code under a province is either a Sở or a
 * district); see tier-rules.ts. Codes are case-sensitive: the letter must be upper case, as in every
 * real directory; no whitespace is trimmed here.
 */
import { GatewayError } from '../errors.ts'

export type AgencyLevel = 1 | 2 | 3 | 4

export interface AgencyCode {
  /** the code as given (already canonical: nothing is normalised) */
  code: string
  /** level-4 group, 3 digits */
  ccc: string
  /** level-3 group, 2 digits */
  bb: string
  /** level-2 group, 2 digits */
  aa: string
  /** level-1 group: letter + 2 alphanumerics, e.g. H53 */
  xnn: string
  /** the level-1 letter: G (central), H (province), A (Party bloc), … */
  bloc: string
  /** number of non-zero groups = depth in the parent chain (1 for a level-1 agency) */
  level: AgencyLevel
}

const CODE_RE = /^(\d{3})\.(\d{2})\.(\d{2})\.([A-Z][0-9A-Z]{2})$/

function explain(code: string): string {
  if (typeof code !== 'string') return 'agency code must be a string'
  if (code.length === 0) return 'agency code is empty'
  if (code !== code.trim()) return `agency code ${JSON.stringify(code)} has surrounding whitespace`
  const groups = code.split('.')
  if (groups.length !== 4) return `agency code ${JSON.stringify(code)} must have 4 dot-separated groups (CCC.BB.AA.XNN), found ${groups.length}`
  const [c, b, a, x] = groups
  if (!/^\d{3}$/.test(c)) return `agency code ${JSON.stringify(code)}: level-4 group must be 3 digits`
  if (!/^\d{2}$/.test(b)) return `agency code ${JSON.stringify(code)}: level-3 group must be 2 digits`
  if (!/^\d{2}$/.test(a)) return `agency code ${JSON.stringify(code)}: level-2 group must be 2 digits`
  if (/^[A-Za-z][0-9A-Za-z]{2}$/.test(x)) return `agency code ${JSON.stringify(code)}: level-1 group must be upper case`
  return `agency code ${JSON.stringify(code)}: level-1 group must be one letter and 2 alphanumerics (e.g. H53)`
}

/** Why `code` is not a valid agency code, or null when it is. */
export function agencyCodeProblem(code: unknown): string | null {
  if (typeof code === 'string' && CODE_RE.test(code)) return null
  return explain(code as string)
}

export function isAgencyCode(code: unknown): code is string {
  return typeof code === 'string' && CODE_RE.test(code)
}

/** Parse and validate; throws GatewayError INVALID_AGENCY_CODE with a precise reason. */
export function parseAgencyCode(code: string): AgencyCode {
  const m = typeof code === 'string' ? CODE_RE.exec(code) : null
  if (!m) throw new GatewayError('INVALID_AGENCY_CODE', explain(code), { extra: { organId: code } })
  const [, ccc, bb, aa, xnn] = m
  const level = (1 + (aa !== '00' ? 1 : 0) + (bb !== '00' ? 1 : 0) + (ccc !== '000' ? 1 : 0)) as AgencyLevel
  return { code, ccc, bb, aa, xnn, bloc: xnn[0], level }
}

/**
 * 1–4: the number of non-zero groups. For ordinary codes this is the position of the left-most
 * non-zero group (000.21.31.H53 → 3). For "gapped" codes seen in the wild (001.00.10.H47, UBND huyện
 * Duy Xuyên in a Quảng Nam sample) it is the depth in the parent chain (3), so levelOf(parentOf(c)) is
 * always levelOf(c) - 1.
 */
export function levelOf(code: string): AgencyLevel {
  return parseAgencyCode(code).level
}

/** Zero the left-most non-zero group; null for a level-1 code. */
export function parentOf(code: string): string | null {
  const p = parseAgencyCode(code)
  if (p.ccc !== '000') return `000.${p.bb}.${p.aa}.${p.xnn}`
  if (p.bb !== '00') return `000.00.${p.aa}.${p.xnn}`
  if (p.aa !== '00') return `000.00.00.${p.xnn}`
  return null
}

/** Parent chain, nearest first, ending with the level-1 code (empty for a level-1 code). */
export function ancestorsOf(code: string): string[] {
  const out: string[] = []
  for (let p = parentOf(code); p !== null; p = parentOf(p)) out.push(p)
  return out
}

/** True when `ancestor` is a strict ancestor of `code` in the parent chain. */
export function isDescendantOf(code: string, ancestor: string): boolean {
  return ancestorsOf(code).includes(ancestor)
}

/** The level-1 code owning `code`: 000.21.31.H53 → 000.00.00.H53. */
export function jurisdictionOf(code: string): string {
  return `000.00.00.${parseAgencyCode(code).xnn}`
}

// ---------------------------------------------------------------------------------------------
// Gateway jurisdictions
//
// A pattern is a glob over the whole code: `*` = any run of characters, `?` = one character, e.g.
//   `*.H41`       every Nghệ An code        `*.G*`        every central (G..) code
//   `*.31.H53`    the Bến Cầu district subtree (000.00.31.H53 and everything under it)
//   `000.00.00.G22` one agency               `*`           everything
// A bare level-1 group (`H41`) is shorthand for `*.H41`. Patterns are upper-cased. A jurisdiction is
// a list of patterns (or one string with comma/space separated patterns); a code matches if any does.

const PATTERN_RE = /^[0-9A-Z.*?]+$/
const compiled = new Map<string, RegExp>()

function compilePattern(raw: string): RegExp {
  const hit = compiled.get(raw)
  if (hit) return hit
  let p = raw.trim().toUpperCase()
  if (/^[A-Z][0-9A-Z?*]{0,2}$/.test(p) && !p.startsWith('*')) p = `*.${p}`
  if (!PATTERN_RE.test(p)) throw new TypeError(`invalid jurisdiction pattern ${JSON.stringify(raw)}: only digits, upper-case letters, '.', '*' and '?' are allowed`)
  const re = new RegExp(`^${p.replace(/\./g, '\\.').replace(/\*/g, '.*').replace(/\?/g, '.')}$`)
  if (compiled.size > 10_000) compiled.clear()
  compiled.set(raw, re)
  return re
}

/** Split a jurisdiction given as a list or as one comma/space separated string into patterns. */
export function jurisdictionPatterns(pattern: string | readonly string[]): string[] {
  const list = typeof pattern === 'string' ? [pattern] : pattern
  return list.flatMap((p) => p.split(/[\s,]+/)).filter((p) => p.length > 0)
}

/** Throws TypeError for a malformed pattern (configuration error); use at startup to fail fast. */
export function validateJurisdiction(pattern: string | readonly string[]): void {
  for (const p of jurisdictionPatterns(pattern)) compilePattern(p)
}

/** Does `code` fall in the jurisdiction? Malformed codes never match. An empty list matches nothing. */
export function jurisdictionMatches(code: string, pattern: string | readonly string[]): boolean {
  if (!isAgencyCode(code)) return false
  for (const p of jurisdictionPatterns(pattern)) if (compilePattern(p).test(code)) return true
  return false
}
