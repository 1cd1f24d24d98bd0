/**
 * The XML gate in front of signature work (LIBRARIES.md B6): UTF-8 only, no DOCTYPE/ENTITY, no
 * processing instructions other than the XML declaration (c14n implementations disagree on PIs outside
 * the document element, so they would be a divergence between us and xmlsec1), bounded depth; then a
 * namespace-aware @xmldom/xmldom parse that fails on any error. Plus edXML helpers over that DOM.
 */
import { DOMParser } from '@xmldom/xmldom'
import { GatewayError } from '../errors.ts'
import { retype } from '../schemas/retype.ts'

export const NS_QCVN = 'http://www.mic.gov.vn/TBT/QCVN_102_2016'
export const NS_DSIG = 'http://www.w3.org/2000/09/xmldsig#'

export const MAX_DEPTH = 64

const ELEMENT = 1
const TEXT = 3
const CDATA = 4
const PI = 7
const COMMENT = 8

export function decodeUtf8(input: Buffer | string): string {
  if (typeof input === 'string') return input.replace(/^\uFEFF/, '')
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(input)
  } catch {
    throw new GatewayError('XML_MALFORMED', 'the package is not valid UTF-8')
  }
}

export function parseXmlStrict(input: Buffer | string): { doc: Document; text: string } {
  const text = decodeUtf8(input)
  if (/<!DOCTYPE|<!ENTITY/i.test(text)) throw new GatewayError('XML_FORBIDDEN_CONSTRUCT', 'DOCTYPE or entity declarations are not allowed')
  const decl = text.match(/^<\?xml[^>]*encoding\s*=\s*["']([^"']+)["']/)
  if (decl && !/^utf-?8$/i.test(decl[1])) throw new GatewayError('XML_MALFORMED', `declared encoding ${decl[1]} is not UTF-8`)
  let doc: Document
  try {
    doc = retype<Document>(
      new DOMParser({
        onError: (level: string, msg: string) => {
          if (level !== 'warning') throw new Error(msg)
        },
      }).parseFromString(text, 'text/xml'),
    )
  } catch (e) {
    throw new GatewayError('XML_MALFORMED', (e as Error).message.replace(/^.*caused Error: /, ''))
  }
  if (!doc.documentElement) throw new GatewayError('XML_MALFORMED', 'no document element')
  // iterative walk: depth bound + PI refusal (the XML declaration shows up as a PI child of the document)
  const stack: [Node, number][] = [[doc.documentElement, 1]]
  for (let n = doc.firstChild; n; n = n.nextSibling) {
    if (n.nodeType === PI && !(n === doc.firstChild && n.nodeName === 'xml')) throw new GatewayError('XML_FORBIDDEN_CONSTRUCT', 'processing instructions are not allowed')
  }
  while (stack.length) {
    const [node, depth] = stack.pop()!
    if (depth > MAX_DEPTH) throw new GatewayError('XML_TOO_DEEP', `nesting deeper than ${MAX_DEPTH}`)
    for (let c = node.firstChild; c; c = c.nextSibling) {
      if (c.nodeType === PI) throw new GatewayError('XML_FORBIDDEN_CONSTRUCT', 'processing instructions are not allowed')
      if (c.nodeType === ELEMENT) stack.push([c, depth + 1])
    }
  }
  return { doc, text }
}

export const isElement = (n: Node | null): n is Element => !!n && n.nodeType === ELEMENT
export const isIgnorableText = (n: Node): boolean => n.nodeType === TEXT && /^[ \t\r\n]*$/.test(n.nodeValue ?? '')
export const NODE = { ELEMENT, TEXT, CDATA, PI, COMMENT }

export function childElements(el: Element | Document): Element[] {
  const out: Element[] = []
  for (let c = el.firstChild; c; c = c.nextSibling) if (isElement(c)) out.push(c)
  return out
}

/** All descendant elements (document order) matching a predicate — iterative, no xpath. */
export function findAll(root: Element, pred: (e: Element) => boolean): Element[] {
  const out: Element[] = []
  const stack: Element[] = [root]
  while (stack.length) {
    const e = stack.pop()!
    if (pred(e)) out.push(e)
    const kids = childElements(e)
    for (let i = kids.length - 1; i >= 0; i--) stack.push(kids[i])
  }
  return out
}

export const is = (e: Element, ns: string, local: string): boolean => e.namespaceURI === ns && e.localName === local

/** The only child element with this QCVN name; throws SIGNATURE_PROFILE_VIOLATION (via `fail`) otherwise. */
export function onlyChild(parent: Element, local: string, ns = NS_QCVN): Element | undefined {
  const hits = childElements(parent).filter((c) => is(c, ns, local))
  if (hits.length > 1) throw new GatewayError('SIGNATURE_PROFILE_VIOLATION', `more than one ${local} in ${parent.localName}`)
  return hits[0]
}

export interface EdxmlHeader {
  root: Element
  envelope: Element
  header: Element
  /** MessageHeader, or Status (Bkav spelling) for status packages — SPEC-NOTES §2.1 */
  message?: Element
  fromOrganId?: string
  traceHeaderList?: Element
}

/**
 * Locates the edXML skeleton (SPEC-NOTES §1.2) in a parsed document and reads From/OrganId. Every step
 * requires uniqueness: with two From (or two headers) a later consumer could read a different one than we did.
 */
export function edxmlHeader(doc: Document): EdxmlHeader {
  const root = doc.documentElement
  if (!is(root, NS_QCVN, 'edXML')) throw new GatewayError('SIGNATURE_PROFILE_VIOLATION', 'the document element is not edXML in the QCVN 102 namespace')
  const envelope = onlyChild(root, 'edXMLEnvelope')
  if (!envelope) throw new GatewayError('SIGNATURE_PROFILE_VIOLATION', 'no edXMLEnvelope')
  const header = onlyChild(envelope, 'edXMLHeader')
  if (!header) throw new GatewayError('SIGNATURE_PROFILE_VIOLATION', 'no edXMLHeader')
  const mh = onlyChild(header, 'MessageHeader')
  const st = onlyChild(header, 'Status')
  if (mh && st) throw new GatewayError('SIGNATURE_PROFILE_VIOLATION', 'both MessageHeader and Status')
  const message = mh ?? st
  const from = message ? onlyChild(message, 'From') : undefined
  const organ = from ? onlyChild(from, 'OrganId') : undefined
  const fromOrganId = organ ? textOnly(organ).trim() : undefined
  return { root, envelope, header, message, fromOrganId, traceHeaderList: onlyChild(header, 'TraceHeaderList') }
}

/** Text content of an element that must hold only text (no child elements, comments, PIs or CDATA). */
export function textOnly(e: Element): string {
  let s = ''
  for (let c = e.firstChild; c; c = c.nextSibling) {
    if (c.nodeType !== TEXT) throw new GatewayError('SIGNATURE_PROFILE_VIOLATION', `${e.localName} must contain text only`)
    s += c.nodeValue ?? ''
  }
  return s
}
