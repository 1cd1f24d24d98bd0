/**
 * JWS (RFC 7515) for the JSON form of a package, and gateway-signed receipts as detached JWS
 * (RFC 7515 Appendix F). node:crypto only. Same trust rules as XML-DSig: the x5c chain is validated in
 * the TrustStore before its key is used; the sender read from the signed payload must be the declared
 * sender and be bound to the signer.
 *
 * Profile: alg ∈ {RS256, RS512, ES256} (RSA ≥ 2048, P-256); x5c required; `jwk`, `jku`, `x5u` (keys from
 * the message or from URLs), `crit` and `b64:false` are refused; compact serialisation or flattened JSON.
 */
import { KeyObject, X509Certificate, createPrivateKey, sign as cryptoSign, verify as cryptoVerify } from 'node:crypto'
import { GatewayError } from '../errors.ts'
import { certsFromPem, fingerprintHex, normFingerprint, subjectOf } from './certs.ts'
import type { TrustStore } from './trust.ts'
import type { Verdict } from './verify-edxml.ts'

export type JwsAlg = 'RS256' | 'RS512' | 'ES256'

const ALGS: Record<JwsAlg, { hash: string; kty: 'rsa' | 'ec' }> = {
  RS256: { hash: 'sha256', kty: 'rsa' },
  RS512: { hash: 'sha512', kty: 'rsa' },
  ES256: { hash: 'sha256', kty: 'ec' },
}

export interface FlattenedJws {
  protected: string
  payload: string
  signature: string
}

const b64u = (b: Buffer | string): string => Buffer.from(b).toString('base64url')
const violation = (d: string): GatewayError => new GatewayError('SIGNATURE_PROFILE_VIOLATION', d)

function fromB64u(s: string, what: string): Buffer {
  if (!/^[A-Za-z0-9_-]*$/.test(s)) throw violation(`${what} is not base64url`)
  return Buffer.from(s, 'base64url')
}

function privateKeyOf(key: KeyObject | string | Buffer): KeyObject {
  return key instanceof KeyObject ? key : createPrivateKey(key)
}

function algFor(key: KeyObject): JwsAlg {
  if (key.asymmetricKeyType === 'rsa') return 'RS256'
  if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') return 'ES256'
  throw new GatewayError('BAD_REQUEST', `unsupported signing key ${key.asymmetricKeyType}`)
}

function rawSign(alg: JwsAlg, input: string, key: KeyObject): string {
  const a = ALGS[alg]
  return b64u(cryptoSign(a.hash, Buffer.from(input), a.kty === 'ec' ? { key, dsaEncoding: 'ieee-p1363' } : key))
}

function chainOf(chain: (string | Buffer)[], key: KeyObject): X509Certificate[] {
  const certs = chain.flatMap((p) => certsFromPem(p))
  if (!certs.length) throw new GatewayError('BAD_REQUEST', 'no signer certificate')
  if (!certs[0].checkPrivateKey(key)) throw new GatewayError('BAD_REQUEST', 'the private key does not match the signer certificate')
  return certs
}

/**
 * Signs `payloadJson` (a string is signed byte for byte; anything else is JSON.stringify'd).
 * Returns compact serialisation unless `format: 'flattened'`.
 */
export function signJws(payloadJson: unknown, key: KeyObject | string | Buffer, chain: (string | Buffer)[], opts: { format?: 'compact'; typ?: string }): string
export function signJws(payloadJson: unknown, key: KeyObject | string | Buffer, chain: (string | Buffer)[], opts: { format: 'flattened'; typ?: string }): FlattenedJws
export function signJws(payloadJson: unknown, key: KeyObject | string | Buffer, chain: (string | Buffer)[]): string
export function signJws(
  payloadJson: unknown,
  key: KeyObject | string | Buffer,
  chain: (string | Buffer)[],
  opts: { format?: 'compact' | 'flattened'; typ?: string } = {},
): string | FlattenedJws {
  const priv = privateKeyOf(key)
  const certs = chainOf(chain, priv)
  const alg = algFor(priv)
  const header = { alg, typ: opts.typ ?? 'JOSE', x5c: certs.map((c) => c.raw.toString('base64')) }
  const protectedB64 = b64u(JSON.stringify(header))
  const payloadB64 = b64u(typeof payloadJson === 'string' ? payloadJson : JSON.stringify(payloadJson))
  const signature = rawSign(alg, `${protectedB64}.${payloadB64}`, priv)
  return opts.format === 'flattened' ? { protected: protectedB64, payload: payloadB64, signature } : `${protectedB64}.${payloadB64}.${signature}`
}

interface Checked {
  leaf: X509Certificate
  chain: string[]
  alg: JwsAlg
  header: Record<string, unknown>
}

/** Header profile + chain + signature. `payloadB64` is the (possibly detached) payload segment. */
async function checkJws(protectedB64: string, payloadB64: string, signatureB64: string, trust: TrustStore, at: Date): Promise<Checked> {
  let header: Record<string, unknown>
  try {
    header = JSON.parse(fromB64u(protectedB64, 'protected header').toString('utf8'))
  } catch (e) {
    if (e instanceof GatewayError) throw e
    throw violation('the protected header is not JSON')
  }
  if (!header || typeof header !== 'object' || Array.isArray(header)) throw violation('the protected header is not an object')
  const alg = header.alg as JwsAlg
  if (typeof alg !== 'string' || !Object.hasOwn(ALGS, alg)) throw new GatewayError('SIGNATURE_ALGORITHM_REFUSED', `alg ${String(header.alg)} is not allowed`)
  for (const k of ['jwk', 'jku', 'x5u', 'crit']) if (k in header) throw violation(`header parameter ${k} is not accepted`)
  if ('b64' in header) throw violation('unencoded payloads (b64) are not accepted')
  const x5c = header.x5c
  if (!Array.isArray(x5c) || x5c.length === 0 || !x5c.every((c) => typeof c === 'string' && /^[A-Za-z0-9+/]+={0,2}$/.test(c)))
    throw violation('x5c (signer certificate chain) is required')
  let certs: X509Certificate[]
  try {
    certs = x5c.map((c: string) => new X509Certificate(Buffer.from(c, 'base64')))
  } catch {
    throw violation('x5c holds something that is not a certificate')
  }
  await trust.refreshDueCrls()
  const chain = trust.validate(certs[0], certs.slice(1), at)
  const leaf = certs[0]
  const a = ALGS[alg]
  const pk = leaf.publicKey
  if (pk.asymmetricKeyType !== a.kty) throw new GatewayError('SIGNATURE_ALGORITHM_REFUSED', `${alg} with a ${pk.asymmetricKeyType} key`)
  if (a.kty === 'rsa' && (pk.asymmetricKeyDetails?.modulusLength ?? 0) < 2048) throw new GatewayError('SIGNATURE_ALGORITHM_REFUSED', 'RSA key under 2048 bits')
  if (a.kty === 'ec' && pk.asymmetricKeyDetails?.namedCurve !== 'prime256v1') throw new GatewayError('SIGNATURE_ALGORITHM_REFUSED', 'ES256 requires P-256')
  let ok = false
  try {
    ok = cryptoVerify(a.hash, Buffer.from(`${protectedB64}.${payloadB64}`), a.kty === 'ec' ? { key: pk, dsaEncoding: 'ieee-p1363' } : pk, fromB64u(signatureB64, 'signature'))
  } catch {
    ok = false
  }
  if (!ok) throw new GatewayError('SIGNATURE_INVALID', 'the JWS signature does not verify')
  return { leaf, chain: chain.subjects, alg, header }
}

function split(jws: string | FlattenedJws): [string, string, string] {
  if (typeof jws !== 'string') {
    if (!jws || typeof jws.protected !== 'string' || typeof jws.payload !== 'string' || typeof jws.signature !== 'string')
      throw violation('flattened JWS needs protected, payload and signature')
    if ('header' in jws) throw violation('unprotected JWS header parameters are not accepted')
    return [jws.protected, jws.payload, jws.signature]
  }
  const parts = jws.trim().split('.')
  if (parts.length !== 3) throw violation('compact JWS must have three parts')
  return parts as [string, string, string]
}

/** Where the sender sits in a JSON package: from.organId, From.OrganId, or a plain `from` string. */
export function defaultFromOf(payload: unknown): string | undefined {
  const p = payload as Record<string, any> | null
  if (!p || typeof p !== 'object') return undefined
  const v = p.from?.organId ?? p.From?.OrganId ?? p.from
  return typeof v === 'string' ? v : undefined
}

export interface VerifyJwsOptions {
  trust: TrustStore
  signerAllowedFor(organId: string, cert: X509Certificate): boolean
  from: string
  fromOf?: (payload: unknown) => string | undefined
  at?: Date
}

export async function verifyJws(jws: string | FlattenedJws, opts: VerifyJwsOptions): Promise<{ payload: unknown; payloadBytes: Buffer; verdict: Verdict }> {
  const at = opts.at ?? new Date()
  const [h, p, s] = split(jws)
  const c = await checkJws(h, p, s, opts.trust, at)
  const payloadBytes = fromB64u(p, 'payload')
  let payload: unknown
  try {
    payload = JSON.parse(payloadBytes.toString('utf8'))
  } catch {
    throw violation('the JWS payload is not JSON')
  }
  const from = (opts.fromOf ?? defaultFromOf)(payload)
  if (!from) throw violation('the signed payload names no sender')
  if (from !== opts.from) throw new GatewayError('SIGNER_NOT_SENDER', `the signed sender is ${from}, the declared sender is ${opts.from}`)
  if (!opts.signerAllowedFor(from, c.leaf)) throw new GatewayError('SIGNER_NOT_SENDER', `"${subjectOf(c.leaf)}" is not bound to ${from}`)
  return {
    payload,
    payloadBytes,
    verdict: {
      signed: true,
      signer: { subject: subjectOf(c.leaf), fingerprint256: fingerprintHex(c.leaf), issuer: c.chain[1] ?? '' },
      algorithm: c.alg,
      chain: c.chain,
      from,
      verifiedAt: at.toISOString(),
    },
  }
}

// ---- gateway receipts ----

export interface Receipt {
  documentId: string
  /** sha256 (hex) of the package bytes as received */
  sha256: string
  recipient: string
  status: string
  /** ISO 8601 */
  time: string
}

export interface SignedReceipt extends Receipt {
  /** detached compact JWS: `<protected>..<signature>` over the canonical receipt JSON */
  signature: string
}

const RECEIPT_FIELDS = ['documentId', 'recipient', 'sha256', 'status', 'time'] as const

/** Canonical JSON of the receipt: fixed (sorted) key order, strings only — RFC 8785 for this shape. */
export function canonicalReceipt(r: Receipt): string {
  const o: Record<string, string> = {}
  for (const k of RECEIPT_FIELDS) {
    if (typeof r[k] !== 'string') throw new GatewayError('BAD_REQUEST', `receipt.${k} must be a string`)
    o[k] = r[k]
  }
  return JSON.stringify(o)
}

export function signReceipt(receipt: Receipt, gatewayKey: KeyObject | string | Buffer, gatewayCert: string | Buffer | (string | Buffer)[]): SignedReceipt {
  return receiptSigner(gatewayKey, gatewayCert)(receipt)
}

/**
 * A signer of receipts with the key parsed, the chain checked against it and the protected header built
 * once: the gateway signs two receipts per document, and doing that work again each time cost as much as
 * the RSA signature itself.
 */
export function receiptSigner(gatewayKey: KeyObject | string | Buffer, gatewayCert: string | Buffer | (string | Buffer)[]): (receipt: Receipt) => SignedReceipt {
  const priv = privateKeyOf(gatewayKey)
  const certs = chainOf(Array.isArray(gatewayCert) ? gatewayCert : [gatewayCert], priv)
  const alg = algFor(priv)
  const protectedB64 = b64u(JSON.stringify({ alg, typ: 'lgsp-receipt+jws', x5c: certs.map((c) => c.raw.toString('base64')) }))
  return (receipt) => {
    const payloadB64 = b64u(canonicalReceipt(receipt))
    const out = {} as SignedReceipt
    for (const k of RECEIPT_FIELDS) out[k] = receipt[k]
    out.signature = `${protectedB64}..${rawSign(alg, `${protectedB64}.${payloadB64}`, priv)}`
    return out
  }
}

/**
 * Verifies a gateway receipt. Without `gatewayFingerprints` any certificate that chains in the trust
 * store is accepted (the verdict names it); pass the gateway's pinned fingerprint(s) to require it.
 */
export async function verifyReceipt(receipt: SignedReceipt, trust: TrustStore, opts: { gatewayFingerprints?: string[]; at?: Date } = {}): Promise<Verdict & { receipt: Receipt }> {
  const at = opts.at ?? new Date()
  if (!receipt || typeof receipt !== 'object') throw violation('not a receipt')
  const extra = Object.keys(receipt).filter((k) => k !== 'signature' && !(RECEIPT_FIELDS as readonly string[]).includes(k))
  if (extra.length) throw violation(`unsigned receipt fields: ${extra.join(', ')}`)
  if (typeof receipt.signature !== 'string') throw new GatewayError('SIGNATURE_REQUIRED', 'the receipt carries no signature')
  const parts = receipt.signature.split('.')
  if (parts.length !== 3 || parts[1] !== '') throw violation('receipt signature must be a detached compact JWS')
  const payload = canonicalReceipt(receipt)
  const c = await checkJws(parts[0], b64u(payload), parts[2], trust, at)
  if (c.header.typ !== 'lgsp-receipt+jws') throw violation('not a receipt signature (typ)')
  if (opts.gatewayFingerprints && !opts.gatewayFingerprints.map(normFingerprint).includes(fingerprintHex(c.leaf))) {
    throw new GatewayError('SIGNER_NOT_SENDER', `"${subjectOf(c.leaf)}" is not the gateway`)
  }
  const r = {} as Receipt
  for (const k of RECEIPT_FIELDS) r[k] = receipt[k]
  return {
    signed: true,
    signer: { subject: subjectOf(c.leaf), fingerprint256: fingerprintHex(c.leaf), issuer: c.chain[1] ?? '' },
    algorithm: c.alg,
    chain: c.chain,
    verifiedAt: at.toISOString(),
    receipt: r,
  }
}
