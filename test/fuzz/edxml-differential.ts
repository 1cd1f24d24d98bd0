/**
 * Differential fuzzing of the XML readers an edXML package meets: libxml2 (the safety gate, XSD and the
 * routing envelope: src/schemas/envelope.ts), the @xmldom DOM the signature is verified on
 * (src/signing/verify-edxml.ts), and a recipient's ordinary parser (fast-xml-parser, namespace prefixes
 * dropped, as a typical QLVB reads a package). A generated variant of a real package — namespaces and
 * prefixes, whitespace, CDATA, character references, comments, duplicated and foreign elements, encodings,
 * BOM, changes after signing — is signed, then read by all three. The property: whenever the gateway would
 * accept the package (envelope read + signature verified, SIGNATURE_POLICY=required), the From, the To list
 * and the DocumentId the router uses equal those in the DOM the signature covered and those the recipient's
 * parser reads; and nothing throws anything but a coded GatewayError.
 * Used by test/unit/fuzz-differential.test.ts (fixed seed, bounded) and bench/fuzz-differential.ts (long run).
 */
import fs from 'node:fs'
import fc from 'fast-check'
import { XMLParser } from 'fast-xml-parser'
import { GatewayError } from '../../src/errors.ts'
import { readEnvelope } from '../../src/schemas/envelope.ts'
import { checkFieldLimits } from '../../src/schemas/field-limits.ts'
import { signEdxml } from '../../src/signing/sign-edxml.ts'
import { verifyEdxml, type VerifyEdxmlOptions } from '../../src/signing/verify-edxml.ts'
import { TrustStore, signerAllowedFor } from '../../src/signing/trust.ts'
import { NS_QCVN, childElements, edxmlHeader, is, onlyChild, parseXmlStrict, textOnly } from '../../src/signing/xml.ts'
import { pkiInit } from '../../src/signing/pki.ts'
import os from 'node:os'
import path from 'node:path'

const ROOT = path.resolve(import.meta.dirname, '../..')
const BASE = fs.readFileSync(path.join(ROOT, 'test/fixtures/demo/commune-to-province.edxml'), 'utf8')
const FROM = '000.21.30.H41'
const FIELDS = ['000.21.30.H41', '000.00.00.H41', '000.00.00.G22', '000.21.30.H41,2026/11/23,125/UBND-VP'] as const

export interface Reading {
  from: string | undefined
  to: string[]
  documentId: string | undefined
}
export type Outcome = { accepted: false; stage: 'sign' | 'envelope' | 'signature'; code: string } | { accepted: true; router: Reading; signed: Reading; recipient: Reading }

/** One variant: how to change the package before signing, and (optionally) after. */
export interface Variant {
  prefix: string
  ws: string
  encoding: 'UTF-8' | 'utf-8' | 'UTF-16' | 'ISO-8859-1' | 'none'
  bom: boolean
  field: number
  trick: 'none' | 'charref' | 'hexref' | 'cdata' | 'comment' | 'xmlspace' | 'amp-subject'
  dup: 'none' | 'From' | 'To' | 'DocumentId' | 'OrganId' | 'MessageHeader' | 'edXMLHeader'
  foreign: 'none' | 'other-ns-To' | 'rebound-prefix-To' | 'unprefixed-To' | 'nested-envelope'
  dropSecondTo: boolean
  after: 'none' | 'swap-to' | 'change-docid' | 'add-to' | 'comment' | 'retarget-prefix'
}

/** `common` most of the time, otherwise one of `rare`: so that many variants still pass and are compared. */
const mostly = <T>(common: T, ...rare: T[]): fc.Arbitrary<T> =>
  fc.oneof({ arbitrary: fc.constant(common), weight: 3 * rare.length }, { arbitrary: fc.constantFrom(...rare), weight: rare.length })

export const variantArb: fc.Arbitrary<Variant> = fc.record({
  prefix: fc.constantFrom('edXML', 'e', 'ns0', 'q_1', ''),
  ws: mostly('', ' ', '\n    ', '\t', '\u00a0'),
  encoding: mostly<Variant['encoding']>('UTF-8', 'utf-8', 'none', 'UTF-16', 'ISO-8859-1'),
  bom: fc.boolean(),
  field: fc.integer({ min: 0, max: FIELDS.length - 1 }),
  trick: mostly<Variant['trick']>('none', 'charref', 'hexref', 'cdata', 'comment', 'xmlspace', 'amp-subject'),
  dup: mostly<Variant['dup']>('none', 'From', 'To', 'DocumentId', 'OrganId', 'MessageHeader', 'edXMLHeader'),
  foreign: mostly<Variant['foreign']>('none', 'other-ns-To', 'rebound-prefix-To', 'unprefixed-To', 'nested-envelope'),
  dropSecondTo: fc.boolean(),
  after: mostly<Variant['after']>('none', 'swap-to', 'change-docid', 'add-to', 'comment', 'retarget-prefix'),
})

/** The unsigned variant text (before signing). */
export function buildVariant(v: Variant): string {
  let x = BASE
  if (v.dropSecondTo) x = x.replace(/\s*<edXML:To>\s*<edXML:OrganId>000\.00\.00\.G22[\s\S]*?<\/edXML:To>/, '')
  const value = FIELDS[v.field]!
  const tag = value.includes(',') ? 'DocumentId' : 'OrganId'
  const open = `<edXML:${tag}>${value}</edXML:${tag}>`
  if (x.includes(open)) {
    const ch = value[1]!
    const rest = value.slice(2)
    const inner = {
      none: value,
      charref: `${value[0]}&#${ch.charCodeAt(0)};${rest}`,
      hexref: `${value[0]}&#x${ch.charCodeAt(0).toString(16)};${rest}`,
      cdata: `<![CDATA[${value}]]>`,
      comment: `${value.slice(0, 4)}<!-- c -->${value.slice(4)}`,
      xmlspace: value,
      'amp-subject': value,
    }[v.trick]
    const attr = v.trick === 'xmlspace' ? ' xml:space="preserve"' : ''
    x = x.replace(open, `<edXML:${tag}${attr}>${v.ws}${inner}${v.ws}</edXML:${tag}>`)
  }
  if (v.trick === 'amp-subject') x = x.replace('mưa lũ trên', 'mưa &amp; lũ trên')
  const dupOf = (re: RegExp) => {
    x = x.replace(re, (m) => m + m)
  }
  if (v.dup === 'From') dupOf(/<edXML:From>[\s\S]*?<\/edXML:From>/)
  if (v.dup === 'To') dupOf(/<edXML:To>[\s\S]*?<\/edXML:To>/)
  if (v.dup === 'DocumentId') x = x.replace(/(<edXML:DocumentId>[^<]*<\/edXML:DocumentId>)/, '$1<edXML:DocumentId>000.21.30.H41,2026/11/23,999/UBND-VP</edXML:DocumentId>')
  if (v.dup === 'OrganId') x = x.replace(/(<edXML:From>\s*<edXML:OrganId>[^<]*<\/edXML:OrganId>)/, '$1<edXML:OrganId>000.00.00.G14</edXML:OrganId>')
  if (v.dup === 'MessageHeader') dupOf(/<edXML:MessageHeader>[\s\S]*?<\/edXML:MessageHeader>/)
  if (v.dup === 'edXMLHeader') dupOf(/<edXML:edXMLHeader>[\s\S]*?<\/edXML:edXMLHeader>/)
  const evilTo = '<edXML:OrganId>000.00.00.G14</edXML:OrganId>'
  if (v.foreign === 'other-ns-To') x = x.replace('<edXML:DocumentId>', `<x:To xmlns:x="urn:other"><x:OrganId>000.00.00.G14</x:OrganId></x:To><edXML:DocumentId>`)
  if (v.foreign === 'rebound-prefix-To') x = x.replace('<edXML:DocumentId>', `<edXML:To xmlns:edXML="urn:other">${evilTo}</edXML:To><edXML:DocumentId>`)
  if (v.foreign === 'unprefixed-To') x = x.replace('<edXML:DocumentId>', `<To xmlns="urn:other"><OrganId>000.00.00.G14</OrganId></To><edXML:DocumentId>`)
  if (v.foreign === 'nested-envelope')
    x = x.replace(
      '</edXML:edXMLEnvelope>',
      `<edXML:edXMLEnvelope><edXML:edXMLHeader><edXML:MessageHeader><edXML:From>${evilTo}</edXML:From></edXML:MessageHeader></edXML:edXMLHeader></edXML:edXMLEnvelope></edXML:edXMLEnvelope>`,
    )
  if (v.prefix !== 'edXML') {
    x =
      v.prefix === ''
        ? x.replace(/<(\/?)edXML:/g, '<$1').replace(' xmlns:edXML="', ' xmlns="')
        : x.replace(/<(\/?)edXML:/g, `<$1${v.prefix}:`).replace(' xmlns:edXML="', ` xmlns:${v.prefix}="`)
  }
  x = x.replace(/^<\?xml[^>]*\?>\n?/, v.encoding === 'none' ? '' : `<?xml version="1.0" encoding="${v.encoding}"?>\n`)
  return (v.bom ? '\uFEFF' : '') + x
}

/** Changes made after signing (the signature should no longer verify; if it does, the readers must still agree). */
export function afterSigning(signed: string, v: Variant): string {
  const p = v.prefix === '' ? '' : `${v.prefix}:`
  switch (v.after) {
    case 'swap-to':
      return signed.replace('000.00.00.H41</', '000.00.00.G14</')
    case 'change-docid':
      return signed.replace('125/UBND-VP</', '126/UBND-VP</')
    case 'add-to':
      return signed.replace(`<${p}DocumentId>`, `<${p}To><${p}OrganId>000.00.00.G14</${p}OrganId></${p}To><${p}DocumentId>`)
    case 'comment':
      return signed.replace(`<${p}DocumentId>`, `<!-- x --><${p}DocumentId>`)
    case 'retarget-prefix':
      return v.prefix === ''
        ? signed
        : signed.replace(`xmlns:${v.prefix}="http://www.mic.gov.vn/TBT/QCVN_102_2016"`, `xmlns:${v.prefix}="http://www.mic.gov.vn/TBT/QCVN_102_2016" xmlns:z="urn:z"`)
    default:
      return signed
  }
}

/** What the DOM the signature was verified on says (namespace-aware, the verifier's own helpers). */
function signedReading(bytes: Buffer): Reading {
  const { doc } = parseXmlStrict(bytes)
  const h = edxmlHeader(doc)
  const m = h.message!
  const to = childElements(m)
    .filter((c) => is(c, NS_QCVN, 'To'))
    .map((t) => textOnly(onlyChild(t, 'OrganId')!).trim())
  const d = onlyChild(m, 'DocumentId')
  return { from: h.fromOrganId, to, documentId: d ? textOnly(d).trim() : undefined }
}

// htmlEntities: decode character references (&#48; &#x30;) as any conforming XML parser does
const fxp = new XMLParser({ removeNSPrefix: true, ignoreAttributes: true, trimValues: true, isArray: (name) => name === 'To', parseTagValue: false, htmlEntities: true })
/** What a recipient's ordinary parser reads: fast-xml-parser, prefixes dropped, the first of each name. */
function recipientReading(bytes: Buffer): Reading {
  const o = fxp.parse(bytes.toString('utf8').replace(/^\uFEFF/, '')) as Record<string, any>
  const first = <T>(v: T | T[]): T => (Array.isArray(v) ? v[0]! : v)
  const mh = first(first(first(o.edXML?.edXMLEnvelope)?.edXMLHeader)?.MessageHeader)
  const s = (v: unknown) => (v === undefined || v === null ? undefined : String(typeof v === 'object' ? ((v as { '#text'?: unknown })['#text'] ?? '') : v).trim())
  return {
    from: s(first(mh?.From)?.OrganId),
    to: (mh?.To ?? []).map((t: { OrganId?: unknown }) => s(first(t.OrganId as unknown)) ?? ''),
    documentId: s(first(mh?.DocumentId)),
  }
}

export interface Differential {
  run(v: Variant): Promise<Outcome>
  close(): void
}

export async function differential(): Promise<Differential> {
  const pki = await pkiInit(path.join(os.tmpdir(), 'lgsp-gateway-test-pki-v1'))
  const a = pki.agencies.find((x) => x.organId === FROM)!
  const key = fs.readFileSync(a.key, 'utf8')
  const chain = [fs.readFileSync(a.cert, 'utf8'), fs.readFileSync(pki.intermediate, 'utf8')]
  const trust = await TrustStore.fromDirectory(pki.dir)
  const base: Omit<VerifyEdxmlOptions, 'from'> = { trust, policy: { required: true, allowSha1: false }, signerAllowedFor: signerAllowedFor(trust.agencyBinding()) }
  const coded = (e: unknown): string => {
    if (e instanceof GatewayError) return e.code
    throw e // a crash: anything but a coded refusal fails the property
  }
  return {
    async run(v) {
      let signed: string
      try {
        signed = signEdxml(buildVariant(v), key, chain)
      } catch (e) {
        return { accepted: false, stage: 'sign', code: coded(e) }
      }
      const bytes = Buffer.from(afterSigning(signed, v), 'utf8')
      let router: Reading
      try {
        const env = readEnvelope(bytes, { maxBytes: 64 * 2 ** 20, maxDepth: 64 })
        if (env.kind !== 'edoc') return { accepted: false, stage: 'envelope', code: 'NOT_EDOC' }
        checkFieldLimits(env)
        router = { from: env.from, to: env.to, documentId: env.documentId }
      } catch (e) {
        return { accepted: false, stage: 'envelope', code: coded(e) }
      }
      try {
        const verdict = await verifyEdxml(bytes, { ...base, from: router.from! })
        const s = signedReading(bytes)
        if (verdict.from !== s.from) throw new Error(`verdict.from ${verdict.from} ≠ DOM From ${s.from}`)
        return { accepted: true, router, signed: s, recipient: recipientReading(bytes) }
      } catch (e) {
        return { accepted: false, stage: 'signature', code: coded(e) }
      }
    },
    close: () => trust.close(),
  }
}

export const sameReading = (a: Reading, b: Reading) => a.from === b.from && a.documentId === b.documentId && a.to.length === b.to.length && a.to.every((x, i) => x === b.to[i])
