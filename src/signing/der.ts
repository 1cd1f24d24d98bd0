/**
 * A minimal DER reader for the few X.509 / CRL fields node:crypto does not expose: keyUsage bits,
 * basicConstraints pathLen, critical-extension OIDs, validity, and whole CRLs (RFC 5280 §4.1, §5.1).
 * Definite lengths and low tag numbers only — that is all DER certificates and CRLs use; anything else
 * throws, and callers map the throw to a refusal. No dependency: node-forge's ASN.1 code has a CVE
 * record (LIBRARIES.md B7) and pkijs would pull asn1js + WebCrypto for ~150 lines of parsing.
 */

export interface Tlv {
  tag: number
  /** offset of the tag byte */
  start: number
  /** offset of the first content byte */
  body: number
  /** offset just past the content */
  end: number
  buf: Buffer
}

export function readTlv(buf: Buffer, pos = 0, limit = buf.length): Tlv {
  if (pos + 2 > limit) throw new Error('DER: truncated')
  const tag = buf[pos]
  if ((tag & 0x1f) === 0x1f) throw new Error('DER: high tag numbers unsupported')
  let len = buf[pos + 1]
  let body = pos + 2
  if (len & 0x80) {
    const n = len & 0x7f
    if (n === 0 || n > 4) throw new Error('DER: unsupported length form')
    if (body + n > limit) throw new Error('DER: truncated length')
    len = 0
    for (let i = 0; i < n; i++) len = len * 256 + buf[body + i]
    body += n
  }
  const end = body + len
  if (end > limit) throw new Error('DER: truncated content')
  return { tag, start: pos, body, end, buf }
}

export function children(t: Tlv): Tlv[] {
  const out: Tlv[] = []
  for (let p = t.body; p < t.end;) {
    const c = readTlv(t.buf, p, t.end)
    out.push(c)
    p = c.end
  }
  return out
}

export const content = (t: Tlv): Buffer => t.buf.subarray(t.body, t.end)
export const raw = (t: Tlv): Buffer => t.buf.subarray(t.start, t.end)

export function oid(t: Tlv): string {
  if (t.tag !== 0x06) throw new Error('DER: expected OID')
  const b = content(t)
  const parts: number[] = []
  let v = 0
  for (let i = 0; i < b.length; i++) {
    v = v * 128 + (b[i] & 0x7f)
    if (!(b[i] & 0x80)) {
      if (parts.length === 0) parts.push(v < 80 ? Math.floor(v / 40) : 2, v < 80 ? v % 40 : v - 80)
      else parts.push(v)
      v = 0
    }
  }
  return parts.join('.')
}

/** INTEGER as upper-case hex without leading zero bytes (the form node's X509Certificate.serialNumber uses). */
export function intHex(t: Tlv): string {
  if (t.tag !== 0x02) throw new Error('DER: expected INTEGER')
  return normSerial(content(t).toString('hex'))
}

export const normSerial = (hex: string): string => hex.replace(/^(00)+(?=.)/, '').toUpperCase() || '0'

export function time(t: Tlv): Date {
  const s = content(t).toString('latin1')
  let m: RegExpMatchArray | null
  if (t.tag === 0x17 && (m = s.match(/^(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)Z$/))) {
    const yy = Number(m[1])
    return new Date(Date.UTC(yy >= 50 ? 1900 + yy : 2000 + yy, Number(m[2]) - 1, +m[3], +m[4], +m[5], +m[6]))
  }
  if (t.tag === 0x18 && (m = s.match(/^(\d{4})(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)Z$/))) {
    return new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, +m[3], +m[4], +m[5], +m[6]))
  }
  throw new Error('DER: bad time')
}

const isTime = (t: Tlv | undefined): t is Tlv => t !== undefined && (t.tag === 0x17 || t.tag === 0x18)

/** Signature algorithm OIDs we accept on certificates and CRLs, mapped to the node:crypto digest name. */
export const SIG_ALGS: Record<string, string> = {
  '1.2.840.113549.1.1.11': 'sha256', // sha256WithRSAEncryption
  '1.2.840.113549.1.1.12': 'sha384',
  '1.2.840.113549.1.1.13': 'sha512',
  '1.2.840.10045.4.3.2': 'sha256', // ecdsa-with-SHA256
  '1.2.840.10045.4.3.3': 'sha384',
  '1.2.840.10045.4.3.4': 'sha512',
}

export interface CertInfo {
  serial: string
  issuerDer: Buffer
  subjectDer: Buffer
  notBefore: Date
  notAfter: Date
  sigAlg: string
  /** keyUsage bits by name; undefined when the extension is absent */
  keyUsage?: Set<string>
  ca: boolean
  pathLen?: number
  /** OIDs of critical extensions this validator does not understand */
  unknownCritical: string[]
}

const KU_NAMES = ['digitalSignature', 'nonRepudiation', 'keyEncipherment', 'dataEncipherment', 'keyAgreement', 'keyCertSign', 'cRLSign', 'encipherOnly', 'decipherOnly']
// Critical extensions we either enforce (15, 19) or may safely ignore for document signing (RFC 5280 §4.2).
const KNOWN_CRITICAL = new Set(['2.5.29.15', '2.5.29.19', '2.5.29.37', '2.5.29.17', '2.5.29.32', '2.5.29.14', '2.5.29.35'])

export function parseCert(der: Buffer): CertInfo {
  const cert = readTlv(der)
  const [tbs, sigAlg] = children(cert)
  let f = children(tbs)
  if (f[0].tag === 0xa0) f = f.slice(1) // [0] version
  const [serial, , issuer, validity, subject] = f
  const [nb, na] = children(validity)
  const info: CertInfo = {
    serial: intHex(serial),
    issuerDer: Buffer.from(raw(issuer)),
    subjectDer: Buffer.from(raw(subject)),
    notBefore: time(nb),
    notAfter: time(na),
    sigAlg: oid(children(sigAlg)[0]),
    ca: false,
    unknownCritical: [],
  }
  const extsWrap = f.find((t) => t.tag === 0xa3)
  if (extsWrap) {
    for (const ext of children(children(extsWrap)[0])) {
      const e = children(ext)
      const id = oid(e[0])
      const critical = e.length === 3 && e[1].tag === 0x01 && content(e[1])[0] !== 0
      const value = readTlv(content(e[e.length - 1]))
      if (id === '2.5.29.15') {
        const bits = content(value)
        const set = new Set<string>()
        for (let i = 0; i < KU_NAMES.length; i++) {
          const byte = bits[1 + (i >> 3)]
          if (byte !== undefined && byte & (0x80 >> (i & 7))) set.add(KU_NAMES[i])
        }
        info.keyUsage = set
      } else if (id === '2.5.29.19') {
        for (const c of children(value)) {
          if (c.tag === 0x01) info.ca = content(c)[0] !== 0
          else if (c.tag === 0x02) info.pathLen = parseInt(content(c).toString('hex') || '0', 16)
        }
      } else if (critical && !KNOWN_CRITICAL.has(id)) info.unknownCritical.push(id)
    }
  }
  return info
}

export interface CrlInfo {
  issuerDer: Buffer
  thisUpdate: Date
  nextUpdate?: Date
  /** revoked serials (normalised hex) → revocation date */
  revoked: Map<string, Date>
  tbs: Buffer
  sigAlg: string
  signature: Buffer
  /** critical CRL extensions we do not understand (e.g. deltaCRLIndicator) */
  unknownCritical: string[]
}

// issuingDistributionPoint (28) is often critical; we accept full CRLs that use it without scoping rules.
const KNOWN_CRL_CRITICAL = new Set(['2.5.29.20', '2.5.29.35', '2.5.29.28'])

export function parseCrl(der: Buffer): CrlInfo {
  const crl = readTlv(der)
  if (crl.end !== der.length) throw new Error('DER: trailing bytes after CRL')
  const [tbs, sigAlg, sigVal] = children(crl)
  let f = children(tbs)
  if (f[0].tag === 0x02) f = f.slice(1) // version
  const [, issuer, thisUpdate, ...rest] = f
  const info: CrlInfo = {
    issuerDer: Buffer.from(raw(issuer)),
    thisUpdate: time(thisUpdate),
    revoked: new Map(),
    tbs: Buffer.from(raw(tbs)),
    sigAlg: oid(children(sigAlg)[0]),
    signature: Buffer.from(content(sigVal).subarray(1)), // BIT STRING: drop the unused-bits byte
    unknownCritical: [],
  }
  let i = 0
  if (isTime(rest[i])) info.nextUpdate = time(rest[i++])
  if (rest[i] && rest[i].tag === 0x30) {
    for (const entry of children(rest[i++])) {
      const [sn, date, exts] = children(entry)
      info.revoked.set(intHex(sn), time(date))
      if (exts) for (const ext of children(exts)) checkCritical(ext, new Set(['2.5.29.21', '2.5.29.24']), info.unknownCritical)
    }
  }
  if (rest[i] && rest[i].tag === 0xa0) for (const ext of children(children(rest[i])[0])) checkCritical(ext, KNOWN_CRL_CRITICAL, info.unknownCritical)
  return info
}

function checkCritical(ext: Tlv, known: Set<string>, out: string[]): void {
  const e = children(ext)
  const id = oid(e[0])
  if (e.length === 3 && e[1].tag === 0x01 && content(e[1])[0] !== 0 && !known.has(id)) out.push(id)
}

/** PEM blocks of one label → DER buffers. */
export function pemBlocks(text: string, label: string): Buffer[] {
  const re = new RegExp(`-----BEGIN ${label}-----([\\s\\S]*?)-----END ${label}-----`, 'g')
  return [...text.matchAll(re)].map((m) => Buffer.from(m[1].replace(/\s+/g, ''), 'base64'))
}

export const toPem = (der: Buffer, label = 'CERTIFICATE'): string =>
  `-----BEGIN ${label}-----\n${der
    .toString('base64')
    .replace(/(.{64})/g, '$1\n')
    .replace(/\n$/, '')}\n-----END ${label}-----\n`
