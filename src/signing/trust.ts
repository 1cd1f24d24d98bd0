/**
 * Trust store: pinned root CAs, intermediates, agency certificates and CRLs, with RFC 5280-style path
 * validation done by hand on node:crypto X509Certificate (LIBRARIES.md B7: ~40 µs per 3-cert chain,
 * no node-forge). What is checked, for every certificate on the path:
 *   - name chaining + signature (child.checkIssued(issuer) + child.verify(issuer.publicKey)), up to a pinned root;
 *   - validity period (CERT_EXPIRED);
 *   - issuers: basicConstraints cA=TRUE, keyUsage keyCertSign when present, pathLenConstraint;
 *   - the leaf: not a CA, keyUsage digitalSignature or nonRepudiation when present;
 *   - signature algorithm on the allow-list (no SHA-1/MD5 certificates), no unknown critical extension;
 *   - revocation against the CRLs loaded for the issuer (CERT_REVOKED). CRLs are only accepted when
 *     signed by a CA already in the store; with `requireCrl`, a missing or stale CRL refuses the chain.
 * CRL URLs are configured by the operator (never taken from a certificate's CDP, so no SSRF through
 * inbound documents), fetched with a timeout, cached in memory (and on disk with `cacheDir`) and
 * refreshed at nextUpdate or every `crlRefreshMs`, keeping the last good CRL on failure.
 */
import { X509Certificate, createHash, verify as cryptoVerify } from 'node:crypto'
import { readFile, readdir, writeFile, mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { GatewayError } from '../errors.ts'
import { parseCert, parseCrl, pemBlocks, SIG_ALGS, type CertInfo, type CrlInfo } from './der.ts'
import { certsFromPem, fingerprintHex, normFingerprint, organIdOf, subjectOf, toCert, isOrganId } from './certs.ts'

export interface TrustEntry {
  cert: X509Certificate
  info: CertInfo
  fingerprint: string
}

export interface AgencyEntry extends TrustEntry {
  organId?: string
}

export interface ChainResult {
  /** leaf first, pinned root last */
  certs: X509Certificate[]
  subjects: string[]
  fingerprints: string[]
}

export interface TrustStoreOptions {
  /** refuse a chain when a non-root certificate has no current CRL from its issuer (default false) */
  requireCrl?: boolean
  /** how long after nextUpdate a CRL still counts as current (default 0) */
  crlGraceMs?: number
  /** refetch interval for CRL URLs even before nextUpdate (default 1 h) */
  crlRefreshMs?: number
  crlFetchTimeoutMs?: number
  /** directory where fetched CRLs are cached so a restart without network keeps the last good one */
  cacheDir?: string
  fetch?: typeof fetch
}

/** What an agency may be signed with: pinned certificate fingerprints (sha256 hex) and/or subject names. */
export interface SignerBindingEntry {
  fingerprints256?: string[]
  /** RFC 2253 subject strings as produced by subjectOf(), e.g. "CN=Văn phòng Chính phủ,OU=000.00.00.G22,O=…,C=VN" */
  subjects?: string[]
}

/** Caller-provided lookup (the gateway backs it with the directory). undefined = agency unknown → refuse. */
export type SignerBinding = (organId: string) => SignerBindingEntry | undefined

/** Turns a SignerBinding into the `signerAllowedFor` predicate verifyEdxml / verifyJws take. */
export function signerAllowedFor(binding: SignerBinding): (organId: string, cert: X509Certificate) => boolean {
  return (organId, cert) => {
    const b = binding(organId)
    if (!b) return false
    const fp = fingerprintHex(cert)
    if (b.fingerprints256?.some((f) => normFingerprint(f) === fp)) return true
    const subject = subjectOf(cert)
    return b.subjects?.some((s) => s === subject) ?? false
  }
}

interface CrlEntry {
  info: CrlInfo
  issuerFingerprint: string
  source: string
}

interface CrlUrlState {
  nextFetch: number
  lastError?: string
  inflight?: Promise<void>
}

const entries = new WeakMap<X509Certificate, TrustEntry>()
const entryOf = (c: X509Certificate | string | Buffer): TrustEntry => {
  const cert = toCert(c)
  let e = entries.get(cert)
  if (!e) entries.set(cert, (e = { cert, info: parseCert(cert.raw), fingerprint: fingerprintHex(cert) }))
  return e
}

const refuse = (code: 'CERT_UNTRUSTED' | 'CERT_EXPIRED' | 'CERT_REVOKED', detail: string, cert?: X509Certificate): GatewayError =>
  new GatewayError(code, detail, { extra: cert ? { subject: subjectOf(cert), fingerprint256: fingerprintHex(cert) } : undefined })

export class TrustStore {
  readonly roots = new Map<string, TrustEntry>()
  readonly intermediates = new Map<string, TrustEntry>()
  readonly agencies = new Map<string, AgencyEntry>()
  private readonly crls = new Map<string, CrlEntry>()
  private readonly crlUrls = new Map<string, CrlUrlState>()
  private timer?: NodeJS.Timeout
  readonly opts: Required<Omit<TrustStoreOptions, 'cacheDir'>> & { cacheDir?: string }

  constructor(opts: TrustStoreOptions = {}) {
    this.opts = {
      requireCrl: opts.requireCrl ?? false,
      crlGraceMs: opts.crlGraceMs ?? 0,
      crlRefreshMs: opts.crlRefreshMs ?? 3_600_000,
      crlFetchTimeoutMs: opts.crlFetchTimeoutMs ?? 5_000,
      cacheDir: opts.cacheDir,
      fetch: opts.fetch ?? fetch,
    }
  }

  /**
   * Loads `<dir>/roots/*.pem`, `<dir>/intermediates/*.pem`, `<dir>/agencies/*.pem` (OrganId from the
   * subject, else the file name), `<dir>/crl/*.{pem,crl}` and the URLs in `<dir>/crl-urls.txt`.
   * This is the layout pkiInit() writes. Missing sub-directories are fine.
   */
  static async fromDirectory(dir: string, opts: TrustStoreOptions = {}): Promise<TrustStore> {
    const ts = new TrustStore(opts)
    const files = async (sub: string, exts: string[]): Promise<string[]> => {
      try {
        return (await readdir(join(dir, sub)))
          .filter((f) => exts.some((e) => f.endsWith(e)))
          .sort()
          .map((f) => join(dir, sub, f))
      } catch {
        return []
      }
    }
    for (const f of await files('roots', ['.pem', '.crt'])) for (const c of certsFromPem(await readFile(f))) ts.addRoot(c)
    for (const f of await files('intermediates', ['.pem', '.crt'])) for (const c of certsFromPem(await readFile(f))) ts.addIntermediate(c)
    for (const f of await files('agencies', ['.pem', '.crt'])) {
      const base = f.replace(/^.*\//, '').replace(/\.(pem|crt)$/, '')
      for (const c of certsFromPem(await readFile(f))) ts.addAgencyCert(c, organIdOf(c) ?? (isOrganId(base) ? base : undefined))
    }
    for (const f of await files('crl', ['.pem', '.crl'])) ts.addCrl(await readFile(f), f)
    try {
      const urls = (await readFile(join(dir, 'crl-urls.txt'), 'utf8'))
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => l && !l.startsWith('#'))
      for (const u of urls) await ts.addCrlUrl(u)
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e
    }
    return ts
  }

  // ---- runtime management (API-friendly: every mutator returns the fingerprint or source key) ----

  addRoot(c: X509Certificate | string | Buffer): string {
    const e = entryOf(c)
    if (!e.info.ca) throw new GatewayError('CERT_UNTRUSTED', `not a CA certificate: ${subjectOf(e.cert)}`)
    this.roots.set(e.fingerprint, e)
    return e.fingerprint
  }

  addIntermediate(c: X509Certificate | string | Buffer): string {
    const e = entryOf(c)
    if (!e.info.ca) throw new GatewayError('CERT_UNTRUSTED', `not a CA certificate: ${subjectOf(e.cert)}`)
    this.intermediates.set(e.fingerprint, e)
    return e.fingerprint
  }

  addAgencyCert(c: X509Certificate | string | Buffer, organId?: string): string {
    const e = entryOf(c)
    this.agencies.set(e.fingerprint, { ...e, organId: organId ?? organIdOf(e.cert) })
    return e.fingerprint
  }

  removeRoot(fp: string): boolean {
    return this.roots.delete(normFingerprint(fp))
  }

  removeIntermediate(fp: string): boolean {
    return this.intermediates.delete(normFingerprint(fp))
  }

  removeAgencyCert(fp: string): boolean {
    return this.agencies.delete(normFingerprint(fp))
  }

  /** Adds a CRL (DER or PEM). It must be signed by a CA already in the store. Returns its source key. */
  addCrl(data: Buffer | string, source = `crl:${createHash('sha256').update(data).digest('hex').slice(0, 16)}`): string {
    const buf = Buffer.isBuffer(data) ? data : Buffer.from(data, 'latin1')
    const text = buf.subarray(0, 64).toString('latin1')
    const ders = text.includes('-----BEGIN') ? pemBlocks(buf.toString('latin1'), 'X509 CRL') : [buf]
    if (ders.length !== 1) throw new GatewayError('CERT_UNTRUSTED', `${source}: expected exactly one CRL`)
    let info: CrlInfo
    try {
      info = parseCrl(ders[0])
    } catch (e) {
      throw new GatewayError('CERT_UNTRUSTED', `${source}: unreadable CRL (${(e as Error).message})`)
    }
    if (info.unknownCritical.length) throw new GatewayError('CERT_UNTRUSTED', `${source}: unsupported critical CRL extension ${info.unknownCritical.join(',')}`)
    const digest = SIG_ALGS[info.sigAlg]
    const issuer = [...this.roots.values(), ...this.intermediates.values()].find(
      (ca) => ca.info.subjectDer.equals(info.issuerDer) && !!digest && safeVerify(digest, info.tbs, ca.cert, info.signature),
    )
    if (!issuer) throw new GatewayError('CERT_UNTRUSTED', `${source}: CRL not signed by a CA in the trust store`)
    if (issuer.info.keyUsage && !issuer.info.keyUsage.has('cRLSign')) throw new GatewayError('CERT_UNTRUSTED', `${source}: issuer lacks cRLSign`)
    const prev = this.crls.get(source)
    if (prev && prev.info.thisUpdate > info.thisUpdate) return source // never roll back to an older CRL
    this.crls.set(source, { info, issuerFingerprint: issuer.fingerprint, source })
    return source
  }

  removeCrl(source: string): boolean {
    return this.crls.delete(source)
  }

  /** Registers a CRL URL, loads its disk cache if any, and fetches it now (a failed first fetch is not fatal). */
  async addCrlUrl(url: string): Promise<void> {
    if (!/^https?:\/\//.test(url)) throw new GatewayError('BAD_REQUEST', `CRL URL must be http(s): ${url}`)
    this.crlUrls.set(url, { nextFetch: 0 })
    if (this.opts.cacheDir) {
      try {
        this.addCrl(await readFile(this.cachePath(url)), url)
      } catch {
        /* no usable cache */
      }
    }
    await this.fetchCrl(url)
  }

  removeCrlUrl(url: string): boolean {
    this.crls.delete(url)
    return this.crlUrls.delete(url)
  }

  crlStatus(): { source: string; issuer: string; thisUpdate: string; nextUpdate?: string; revoked: number; lastError?: string }[] {
    return [...this.crls.values()].map((c) => ({
      source: c.source,
      issuer: subjectOf((this.roots.get(c.issuerFingerprint) ?? this.intermediates.get(c.issuerFingerprint))?.cert ?? ({ subject: '' } as X509Certificate)),
      thisUpdate: c.info.thisUpdate.toISOString(),
      nextUpdate: c.info.nextUpdate?.toISOString(),
      revoked: c.info.revoked.size,
      lastError: this.crlUrls.get(c.source)?.lastError,
    }))
  }

  /** Fetches the CRL URLs that are due. Cheap when nothing is due; verify functions await it. */
  async refreshDueCrls(force = false): Promise<void> {
    const now = Date.now()
    const due = [...this.crlUrls.entries()].filter(([, s]) => force || s.nextFetch <= now).map(([u]) => this.fetchCrl(u))
    if (due.length) await Promise.all(due)
  }

  /** Background refresh (timer is unref'd); stop with close(). */
  startCrlRefresh(everyMs = 60_000): void {
    this.close()
    this.timer = setInterval(() => void this.refreshDueCrls(), everyMs)
    this.timer.unref()
  }

  close(): void {
    if (this.timer) clearInterval(this.timer)
    this.timer = undefined
  }

  private cachePath(url: string): string {
    return join(this.opts.cacheDir!, `${createHash('sha256').update(url).digest('hex').slice(0, 32)}.crl`)
  }

  private fetchCrl(url: string): Promise<void> {
    const st = this.crlUrls.get(url)
    if (!st) return Promise.resolve()
    if (st.inflight) return st.inflight
    st.inflight = (async () => {
      try {
        const res = await this.opts.fetch(url, { signal: AbortSignal.timeout(this.opts.crlFetchTimeoutMs), redirect: 'error' })
        if (!res.ok) throw new Error(`HTTP ${res.status}`)
        const body = Buffer.from(await res.arrayBuffer())
        if (body.length > 20 * 1024 * 1024) throw new Error('CRL too large')
        this.addCrl(body, url)
        const next = this.crls.get(url)?.info.nextUpdate?.getTime() ?? Infinity
        st.nextFetch = Math.min(Date.now() + this.opts.crlRefreshMs, next)
        st.lastError = undefined
        if (this.opts.cacheDir) {
          await mkdir(this.opts.cacheDir, { recursive: true })
          await writeFile(this.cachePath(url), body)
        }
      } catch (e) {
        st.lastError = (e as Error).message
        st.nextFetch = Date.now() + Math.min(this.opts.crlRefreshMs, 60_000) // retry sooner, keep the last good CRL
      } finally {
        st.inflight = undefined
      }
    })()
    return st.inflight
  }

  // ---- path validation ----

  /**
   * Builds and validates the path leaf → … → pinned root. `untrusted` are extra intermediates (e.g. from
   * KeyInfo or x5c); they only help build the path, never anchor it. Throws GatewayError with
   * CERT_UNTRUSTED / CERT_REVOKED / CERT_EXPIRED.
   */
  validate(leafIn: X509Certificate | string | Buffer, untrusted: (X509Certificate | string | Buffer)[] = [], at = new Date()): ChainResult {
    let leaf: TrustEntry
    let extra: TrustEntry[]
    try {
      leaf = entryOf(leafIn)
      extra = untrusted.map(entryOf)
    } catch (e) {
      throw new GatewayError('CERT_UNTRUSTED', `unreadable certificate: ${(e as Error).message}`)
    }
    const path: TrustEntry[] = [leaf]
    let anchored = false
    for (let cur = leaf; path.length <= 8;) {
      const root = [...this.roots.values()].find((r) => issued(r, cur))
      if (root) {
        if (root.fingerprint !== cur.fingerprint) path.push(root)
        anchored = true
        break
      }
      const next = [...this.intermediates.values(), ...extra].find((c) => !path.some((p) => p.fingerprint === c.fingerprint) && issued(c, cur))
      if (!next) break
      path.push(next)
      cur = next
    }
    if (!anchored) throw refuse('CERT_UNTRUSTED', `no path from "${subjectOf(leaf.cert)}" to a trusted root`, leaf.cert)
    if (path.length === 1) throw refuse('CERT_UNTRUSTED', 'a trust anchor cannot be the signing certificate', leaf.cert)

    // structural checks (RFC 5280 §4.2.1.3, §4.2.1.9, §6.1)
    if (leaf.info.ca) throw refuse('CERT_UNTRUSTED', 'the signing certificate is a CA certificate', leaf.cert)
    const ku = leaf.info.keyUsage
    if (ku && !ku.has('digitalSignature') && !ku.has('nonRepudiation'))
      throw refuse('CERT_UNTRUSTED', 'the signing certificate keyUsage allows neither digitalSignature nor nonRepudiation', leaf.cert)
    path.forEach((e, i) => {
      if (e.info.unknownCritical.length) throw refuse('CERT_UNTRUSTED', `unsupported critical extension ${e.info.unknownCritical.join(',')}`, e.cert)
      const isAnchor = i === path.length - 1
      if (!isAnchor && !SIG_ALGS[e.info.sigAlg]) throw refuse('CERT_UNTRUSTED', `certificate signature algorithm ${e.info.sigAlg} is not allowed`, e.cert)
      if (i === 0) return
      if (!e.info.ca) throw refuse('CERT_UNTRUSTED', 'an issuer on the path is not a CA (basicConstraints)', e.cert)
      if (e.info.keyUsage && !e.info.keyUsage.has('keyCertSign')) throw refuse('CERT_UNTRUSTED', 'an issuer on the path lacks keyCertSign', e.cert)
      if (e.info.pathLen !== undefined && i - 1 > e.info.pathLen) throw refuse('CERT_UNTRUSTED', 'pathLenConstraint exceeded', e.cert)
    })

    // revocation: every certificate below the anchor, against CRLs from its issuer
    for (let i = 0; i < path.length - 1; i++) {
      const { cert, info } = path[i]
      const issuerFp = path[i + 1].fingerprint
      const crls = [...this.crls.values()].filter((c) => c.issuerFingerprint === issuerFp)
      const hit = crls.find((c) => c.info.revoked.has(info.serial))
      if (hit) throw refuse('CERT_REVOKED', `revoked on ${hit.info.revoked.get(info.serial)!.toISOString()} (${hit.source})`, cert)
      if (this.opts.requireCrl) {
        const current = crls.some((c) => c.info.thisUpdate <= at && (!c.info.nextUpdate || c.info.nextUpdate.getTime() + this.opts.crlGraceMs >= at.getTime()))
        if (!current) throw new GatewayError('CERT_REVOCATION_UNKNOWN', `no current CRL from the issuer of "${subjectOf(cert)}"`, { extra: { subject: subjectOf(cert) } })
      }
    }

    for (const e of path) {
      if (at < e.info.notBefore || at > e.info.notAfter) {
        throw refuse('CERT_EXPIRED', `valid ${e.info.notBefore.toISOString()} – ${e.info.notAfter.toISOString()}, checked at ${at.toISOString()}`, e.cert)
      }
    }
    return { certs: path.map((p) => p.cert), subjects: path.map((p) => subjectOf(p.cert)), fingerprints: path.map((p) => p.fingerprint) }
  }

  /** SignerBinding backed by the agency certificates of this store (fingerprint pinning per OrganId). */
  agencyBinding(): SignerBinding {
    return (organId) => {
      const fps = [...this.agencies.values()].filter((a) => a.organId === organId).map((a) => a.fingerprint)
      return fps.length ? { fingerprints256: fps } : undefined
    }
  }
}

function issued(issuer: TrustEntry, child: TrustEntry): boolean {
  return issuer.info.subjectDer.equals(child.info.issuerDer) && child.cert.checkIssued(issuer.cert) && safeCertVerify(child.cert, issuer.cert)
}

function safeCertVerify(child: X509Certificate, issuer: X509Certificate): boolean {
  try {
    return child.verify(issuer.publicKey)
  } catch {
    return false
  }
}

function safeVerify(digest: string, data: Buffer, cert: X509Certificate, sig: Buffer): boolean {
  try {
    return cryptoVerify(digest, data, cert.publicKey, sig)
  } catch {
    return false
  }
}
