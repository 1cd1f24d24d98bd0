/**
 * Certificate helpers shared by the trust store, XML-DSig and JWS code: parsing PEM/DER/base64 into
 * node:crypto X509Certificate, normalised fingerprints, readable subject names and the OrganId a demo or
 * agency certificate carries in its subject (OU or serialNumber, per the PKI profile in pki.ts).
 */
import { X509Certificate } from 'node:crypto'
import { pemBlocks } from './der.ts'

/** sha256 fingerprint as lower-case hex without colons — the form bindings are written in. */
export const fingerprintHex = (cert: X509Certificate): string => cert.fingerprint256.replace(/:/g, '').toLowerCase()

export const normFingerprint = (fp: string): string => fp.replace(/[:\s]/g, '').toLowerCase()

// Parsing an X509Certificate costs ~100 µs and was ~16% of a 14 KB verify; signers resend the same
// certificates, so keep a small LRU keyed by the DER bytes.
const cache = new Map<string, X509Certificate>()
const CACHE_MAX = 512

export function certFromDer(der: Buffer): X509Certificate {
  const k = der.toString('base64')
  let c = cache.get(k)
  if (c) {
    cache.delete(k)
  } else {
    c = new X509Certificate(der)
    if (cache.size >= CACHE_MAX) cache.delete(cache.keys().next().value!)
  }
  cache.set(k, c)
  return c
}

export function certsFromPem(pem: string | Buffer): X509Certificate[] {
  const text = Buffer.isBuffer(pem) ? pem.toString('latin1') : pem
  return pemBlocks(text, 'CERTIFICATE').map(certFromDer)
}

export function toCert(c: X509Certificate | string | Buffer): X509Certificate {
  if (c instanceof X509Certificate) return c
  const list = certsFromPem(c)
  if (list.length === 0) return certFromDer(Buffer.isBuffer(c) ? c : Buffer.from(c, 'base64'))
  return list[0]
}

/** node prints "C=VN\nO=…\nCN=…" (most significant first); RFC 4514/2253 order is the reverse, comma-joined. */
export function rfc2253(name: string): string {
  return name
    .split('\n')
    .filter(Boolean)
    .reverse()
    .map((rdn) => {
      const i = rdn.indexOf('=')
      return `${rdn.slice(0, i)}=${rdn.slice(i + 1).replace(/([,+"\\<>;])/g, '\\$1')}`
    })
    .join(',')
}

export const subjectOf = (cert: X509Certificate): string => rfc2253(cert.subject)

const ORGAN_ID = /^\d{3}\.\d{2}\.\d{2}\.[A-Z][0-9A-Z]{2}$/

/** OrganId carried in the subject (OU=… or serialNumber=…), if any. */
export function organIdOf(cert: X509Certificate): string | undefined {
  for (const line of cert.subject.split('\n')) {
    const m = line.match(/^(OU|serialNumber)=(.*)$/)
    if (m && ORGAN_ID.test(m[2])) return m[2]
  }
  return undefined
}

export const isOrganId = (s: string): boolean => ORGAN_ID.test(s)
