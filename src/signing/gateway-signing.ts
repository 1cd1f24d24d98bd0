/**
 * The gateway's side of signatures, built once per runtime: the trust store (TRUST_DIR, CRLs refreshed
 * in the background), the signer binding backed by the directory (agency.certificates: sha256
 * fingerprints or subject names) plus agency certificates in the trust store, the deployment policy,
 * and the gateway's own key for signed receipts.
 */
import fs from 'node:fs'
import { X509Certificate } from 'node:crypto'
import type { Logger } from 'pino'
import type { Config } from '../config/config.ts'
import type { DirectorySnapshot } from '../routing/directory-snapshot.ts'
import { TrustStore, signerAllowedFor, type SignerBindingEntry } from './trust.ts'
import { verifyEdxml, type Verdict } from './verify-edxml.ts'
import { receiptSigner, verifyJws, verifyReceipt, type FlattenedJws, type Receipt, type SignedReceipt } from './jws.ts'
import { fingerprintHex } from './certs.ts'
import type { ElidedSource } from './elided-digest.ts'

export interface GatewaySigning {
  trust: TrustStore
  policy: { required: boolean; allowSha1: boolean }
  /** verifies an edXML package against the trust store and the binding of `from` (throws coded errors) */
  verifyPackage(bytes: Buffer, from: string, elided?: ElidedSource): Promise<Verdict>
  /** the gateway's signature over a receipt; null when this gateway has no signing key configured */
  /** the JSON form signed as a flattened JWS: same trust store, same binding; the payload's From must be `from` */
  verifyJsonPackage(jws: FlattenedJws, from: string): Promise<Verdict>
  receipt(r: Receipt): SignedReceipt | null
  verifyReceipt(r: SignedReceipt): Promise<Verdict & { receipt: Receipt }>
  gatewayFingerprint: string | null
  close(): void
}

const FINGERPRINT = /^[0-9a-f]{64}$/i

export async function loadGatewaySigning(config: Readonly<Config>, directory: () => DirectorySnapshot, log: Logger): Promise<GatewaySigning> {
  const trust = await TrustStore.fromDirectory(config.trustDir)
  trust.startCrlRefresh()
  const fromTrustStore = trust.agencyBinding()
  const binding = (organId: string): SignerBindingEntry | undefined => {
    const declared = directory().get(organId)?.certificates ?? []
    const pinned = fromTrustStore(organId)
    const fingerprints256 = [...declared.filter((c) => FINGERPRINT.test(c.replace(/:/g, ''))), ...(pinned?.fingerprints256 ?? [])]
    const subjects = declared.filter((c) => !FINGERPRINT.test(c.replace(/:/g, '')))
    return fingerprints256.length || subjects.length ? { fingerprints256, subjects } : undefined
  }
  const allowed = signerAllowedFor(binding)
  const policy = { required: config.signaturePolicy === 'required', allowSha1: config.signatureAllowSha1 }

  let key: string | null = null
  let cert: string | null = null
  if (fs.existsSync(config.gatewayKeyFile) && fs.existsSync(config.gatewayCertFile)) {
    key = fs.readFileSync(config.gatewayKeyFile, 'utf8')
    cert = fs.readFileSync(config.gatewayCertFile, 'utf8')
  } else {
    log.warn({ key: config.gatewayKeyFile }, 'no gateway signing key: receipts will be unsigned (set GATEWAY_KEY_FILE / GATEWAY_CERT_FILE)')
  }
  const gatewayFingerprint = cert ? fingerprintHex(new X509Certificate(cert)) : null
  const sign = key && cert ? receiptSigner(key, cert) : null
  log.info({ roots: trust.roots.size, agencies: trust.agencies.size, policy, gatewayFingerprint }, 'trust store loaded')

  return {
    trust,
    policy,
    gatewayFingerprint,
    verifyPackage: (bytes, from, elided) => verifyEdxml(bytes, { trust, policy, signerAllowedFor: allowed, from, ...(elided ? { elided } : {}) }),
    async verifyJsonPackage(jws, from) {
      const { verdict } = await verifyJws(jws, { trust, signerAllowedFor: allowed, from, fromOf: jsonFormFrom })
      return verdict
    },
    receipt: (r) => (sign ? sign(r) : null),
    verifyReceipt: (r) => verifyReceipt(r, trust, { gatewayFingerprints: gatewayFingerprint ? [gatewayFingerprint] : undefined }),
    close: () => trust.close(),
  }
}

/** The sender inside the JSON form (src/schemas/json.ts): messageHeader.from or status.from. */
function jsonFormFrom(payload: unknown): string | undefined {
  const p = payload as { messageHeader?: { from?: { organId?: unknown } }; status?: { from?: { organId?: unknown } } } | null
  const v = p?.messageHeader?.from?.organId ?? p?.status?.from?.organId
  return typeof v === 'string' ? v.trim() : undefined
}
