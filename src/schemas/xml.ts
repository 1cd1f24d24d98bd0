/**
 * Namespace-aware parsing with libxml2-wasm behind the safety gate, and small DOM helpers.
 * Element matching uses (namespace URI, local name), never the prefix text.
 */
import { ParseOption, XmlDocument, XmlElement, XmlLibError, type XmlTreeNode } from 'libxml2-wasm'
import { GatewayError, type ErrorItem } from '../errors.ts'
import { checkSafety, DEFAULT_LIMITS, type Limits } from './safety.ts'

export const EDXML_NS = 'http://www.mic.gov.vn/TBT/QCVN_102_2016'
export const XMLDSIG_NS = 'http://www.w3.org/2000/09/xmldsig#'

/**
 * No network, no external entities, no entity substitution, no stderr noise; line numbers > 65535 kept.
 * XML_PARSE_HUGE lifts libxml2's 10 MB cap on one text node — an attachment's Base64 is one text node and
 * real packages carry tens of MB. Safe here because checkSafety() has already refused every DTD/entity
 * and bounded depth and size before libxml2 sees the bytes.
 */
export const PARSE_OPTIONS =
  ParseOption.XML_PARSE_HUGE |
  ParseOption.XML_PARSE_NONET |
  ParseOption.XML_PARSE_NO_XXE |
  ParseOption.XML_PARSE_NOERROR |
  ParseOption.XML_PARSE_NOWARNING |
  ParseOption.XML_PARSE_BIG_LINES |
  ParseOption.XML_PARSE_NO_SYS_CATALOG

// libxml2 names only the last of a type's alternative patterns ('[0-9]{2}\.[0-9]{2}\.[A-Z][0-9A-Z]{2}',
// the legacy three-group form), which misleads a sender whose code is meant to have four groups: say the
// national format instead (mã định danh, QĐ 20/2020/QĐ-TTg: CCC.BB.AA.XNN)
const AGENCY_CODE_FACET = /^Element '(?:\{[^}]*\})?OrganId': \[facet 'pattern'\] The value '([^']*)' is not accepted by the pattern '[^']*'\.?$/

const readable = (message: string) => {
  const m = AGENCY_CODE_FACET.exec(message)
  return m ? `Element 'OrganId': '${m[1]}' is not an agency code of the form CCC.BB.AA.XNN (e.g. 000.21.30.H41; the legacy BB.AA.XNN is also accepted)` : message
}

export function libErrors(e: unknown): ErrorItem[] {
  if (e instanceof XmlLibError && Array.isArray(e.details) && e.details.length > 0) {
    return e.details.map((d) => ({ ...(d.line ? { line: d.line } : {}), message: readable(String(d.message).trim()) }))
  }
  return [{ message: e instanceof Error ? e.message : String(e) }]
}

/** Safety gate, then parse. The caller owns the document and must dispose() it. */
export function parseXml(bytes: Buffer, limits: Limits = DEFAULT_LIMITS): XmlDocument {
  checkSafety(bytes, limits)
  try {
    return XmlDocument.fromBuffer(bytes, { option: PARSE_OPTIONS, encoding: 'UTF-8' })
  } catch (e) {
    const errors = libErrors(e)
    const first = errors[0]
    throw new GatewayError('XML_MALFORMED', first ? `${first.message}${first.line ? ` (line ${first.line})` : ''}` : undefined, {
      errors,
      cause: e,
    })
  }
}

/** Parse, run fn, always dispose. */
export function withDocument<T>(bytes: Buffer, limits: Limits | undefined, fn: (doc: XmlDocument) => T): T {
  const doc = parseXml(bytes, limits)
  try {
    return fn(doc)
  } finally {
    doc.dispose()
  }
}

export function childElements(el: XmlElement): XmlElement[] {
  const out: XmlElement[] = []
  for (let c: XmlTreeNode | null = el.firstChild; c; c = c.next) if (c instanceof XmlElement) out.push(c)
  return out
}

export function isEd(el: XmlElement, local: string): boolean {
  return el.name === local && el.namespaceUri === EDXML_NS
}

export function child(el: XmlElement | undefined, local: string): XmlElement | undefined {
  if (!el) return undefined
  for (let c: XmlTreeNode | null = el.firstChild; c; c = c.next) if (c instanceof XmlElement && isEd(c, local)) return c
  return undefined
}

export function children(el: XmlElement | undefined, local: string): XmlElement[] {
  if (!el) return []
  return childElements(el).filter((c) => isEd(c, local))
}

/** Text content of an element, or undefined when the element is absent. */
export function textOf(el: XmlElement | undefined): string | undefined {
  return el ? el.content : undefined
}

export function escapeText(s: string): string {
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/.test(s)) {
    throw new GatewayError('BAD_REQUEST', 'A value contains a character that XML 1.0 cannot carry')
  }
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\r/g, '&#13;')
}

export function escapeAttr(s: string): string {
  return escapeText(s).replace(/"/g, '&quot;').replace(/\t/g, '&#9;').replace(/\n/g, '&#10;')
}

const tsFormat = new Intl.DateTimeFormat('en-GB', {
  timeZone: 'Asia/Ho_Chi_Minh',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hourCycle: 'h23',
})

/** yyyy/MM/dd HH:mm:ss in Asia/Ho_Chi_Minh time (UTC+7, no DST). */
export function formatTimestamp(d: Date): string {
  if (Number.isNaN(d.getTime())) throw new GatewayError('BAD_REQUEST', 'Invalid timestamp')
  const p: Record<string, string> = {}
  for (const part of tsFormat.formatToParts(d)) p[part.type] = part.value
  return `${p.year}/${p.month}/${p.day} ${p.hour}:${p.minute}:${p.second}`
}

/** yyyy/MM/dd in Asia/Ho_Chi_Minh time. */
export function formatDate(d: Date): string {
  return formatTimestamp(d).slice(0, 10)
}
