/**
 * verifyEdxml: XML-DSig verification of an edXML package under ONE strict profile (SPEC-NOTES §1.5,
 * LIBRARIES.md B4 "How to guard"):
 *   - exactly one Signature element (XML-DSig namespace, or the QCVN default namespace as in the VPCP
 *     samples), a child of edXMLHeader, right after TraceHeaderList (or last when there is none); no other
 *     XML-DSig element anywhere; no comments anywhere in a signed package (comments are outside a URI=""
 *     signature, the SAML comment-truncation trick);
 *   - Signature = SignedInfo, SignatureValue, KeyInfo/X509Data; SignedInfo = CanonicalizationMethod,
 *     SignatureMethod and exactly one Reference URI="" with Transforms [enveloped-signature, (exc-)c14n];
 *     DigestValue / SignatureValue are pure base64 text (a comment inside DigestValue is refused,
 *     CVE-2025-29775); nothing else, no Object, no attributes outside the allow-list;
 *   - algorithms: rsa-sha256/512, ecdsa-sha256, sha256/512 digests; rsa-sha1/sha1 only with allowSha1;
 *   - the KeyInfo certificate is used only after its chain validates in the TrustStore;
 *   - URI="" signs the whole document: the node we canonicalize and digest is doc.documentElement of the
 *     very DOM we then read From/OrganId from (no re-selection from other bytes), and From must be unique.
 */
import { X509Certificate, timingSafeEqual, createHash, verify as cryptoVerify } from 'node:crypto'
import { GatewayError } from '../errors.ts'
import { C14N_INC, C14N_METHODS, DIGEST_METHODS, ENVELOPED, EC_CURVES, MIN_RSA_BITS, SIGNATURE_METHODS, canonicalize, type SigAlg } from './algorithms.ts'
import { certFromDer, fingerprintHex, subjectOf } from './certs.ts'
import { parseCert } from './der.ts'
import type { TrustStore } from './trust.ts'
import { elidedDigest, type ElidedSource } from './elided-digest.ts'
import { NODE, NS_DSIG, NS_QCVN, childElements, edxmlHeader, findAll, isElement, isIgnorableText, parseXmlStrict, textOnly } from './xml.ts'

export interface SignaturePolicy {
  /** unsigned packages are refused with SIGNATURE_REQUIRED */
  required: boolean
  /** accept rsa-sha1 / sha1 digests (legacy QCVN 102 senders) */
  allowSha1: boolean
}

export interface VerifyEdxmlOptions {
  trust: TrustStore
  policy: SignaturePolicy
  /** is this certificate bound to this agency? (see signerAllowedFor(binding) in trust.ts) */
  signerAllowedFor(organId: string, cert: X509Certificate): boolean
  /** the sender the caller expects (e.g. the authenticated agency); must equal the signed From/OrganId */
  from: string
  /** validation time (tests); default now */
  at?: Date
  /** the bytes are a skeleton (src/schemas/skeleton.ts): its runs are digested from here, in their place */
  elided?: ElidedSource
}

export interface Verdict {
  signed: boolean
  signer?: { subject: string; fingerprint256: string; issuer: string }
  algorithm?: string
  /** subjects, leaf first, trust anchor last */
  chain?: string[]
  /** From/OrganId as read from the verified document element */
  from?: string
  verifiedAt: string
}

const violation = (detail: string): GatewayError => new GatewayError('SIGNATURE_PROFILE_VIOLATION', detail)

interface ParsedSignature {
  c14n: string
  refC14n: string
  sigAlg: SigAlg
  digestAlg: 'sha1' | 'sha256' | 'sha512'
  digestValue: Buffer
  signatureValue: Buffer
  signedInfo: Element
  certs: X509Certificate[]
}

export async function verifyEdxml(bytes: Buffer | string, opts: VerifyEdxmlOptions): Promise<Verdict> {
  const at = opts.at ?? new Date()
  const { doc } = parseXmlStrict(bytes)
  const root = doc.documentElement
  const sigs = findAll(root, (e) => e.localName === 'Signature' && (e.namespaceURI === NS_DSIG || e.namespaceURI === NS_QCVN))
  const dsigElements = findAll(root, (e) => e.namespaceURI === NS_DSIG)
  if (sigs.length === 0) {
    if (dsigElements.length) throw violation('XML-DSig elements outside a Signature')
    if (opts.policy.required) throw new GatewayError('SIGNATURE_REQUIRED')
    return { signed: false, verifiedAt: at.toISOString() }
  }
  if (sigs.length > 1) throw violation(`${sigs.length} Signature elements; exactly one is allowed`)
  const sig = sigs[0]
  if (dsigElements.some((e) => !contains(sig, e))) throw violation('XML-DSig elements outside the Signature')
  if (hasComment(root)) throw violation('comments are not allowed in a signed package (they are not covered by a URI="" signature)')

  // placement (SPEC-NOTES §1.5): edXML/edXMLEnvelope/edXMLHeader/Signature, after TraceHeaderList
  const h = edxmlHeader(doc)
  if (sig.parentNode !== h.header) throw violation('Signature must be a child of edXMLHeader')
  const siblings = childElements(h.header)
  const idx = siblings.indexOf(sig)
  if (h.traceHeaderList ? siblings[idx - 1] !== h.traceHeaderList : idx !== siblings.length - 1) {
    throw violation('Signature must follow TraceHeaderList in edXMLHeader')
  }
  const sns = sig.namespaceURI!
  if (sns === NS_QCVN) {
    // QCVN-namespaced signatures (the VPCP samples' shape) must not have look-alike parts elsewhere
    const parts = new Set(['SignedInfo', 'SignatureValue', 'KeyInfo', 'DigestValue', 'X509Certificate']) // not Reference: edXMLManifest has its own
    if (findAll(root, (e) => e.namespaceURI === NS_QCVN && parts.has(e.localName!) && !contains(sig, e)).length) throw violation('signature parts outside the Signature')
  }

  const p = parseSignature(sig, sns, opts.policy)

  // certificate: chain first, then (and only then) its key
  const leaf = pickLeaf(p.certs)
  await opts.trust.refreshDueCrls()
  const chain = opts.trust.validate(
    leaf,
    p.certs.filter((c) => c !== leaf),
    at,
  )
  checkKey(leaf, p.sigAlg)

  // Reference: enveloped transform = the document element without this Signature, then c14n. The node is
  // detached and put back rather than cloning the document (xmldom cloneNode was ~20% of a 14 KB verify).
  const parent = sig.parentNode!
  const next = sig.nextSibling
  parent.removeChild(sig)
  let canon: string
  try {
    canon = canonicalize(p.refC14n, root)
  } finally {
    parent.insertBefore(sig, next)
  }
  const digest = opts.elided ? await elidedDigest(p.digestAlg, canon, opts.elided) : createHash(p.digestAlg).update(canon, 'utf8').digest()
  if (digest.length !== p.digestValue.length || !timingSafeEqual(digest, p.digestValue)) {
    throw new GatewayError('SIGNATURE_INVALID', 'the document digest does not match (content changed after signing, or the signature belongs to another document)')
  }

  // SignatureValue over canonical SignedInfo
  const si = canonicalize(p.c14n, p.signedInfo, p.c14n === C14N_INC ? { doc, xpath: "//*[local-name()='SignedInfo']" } : undefined)
  const key = p.sigAlg.kty === 'ec' ? { key: leaf.publicKey, dsaEncoding: 'ieee-p1363' as const } : leaf.publicKey
  let ok = false
  try {
    ok = cryptoVerify(p.sigAlg.hash, Buffer.from(si, 'utf8'), key, p.signatureValue)
  } catch {
    ok = false
  }
  if (!ok) throw new GatewayError('SIGNATURE_INVALID', 'the SignatureValue does not verify with the signing certificate')

  // sender binding: From/OrganId of the verified document element
  const from = h.fromOrganId
  if (!from) throw violation('the signed package has no MessageHeader/From/OrganId')
  if (from !== opts.from) throw new GatewayError('SIGNER_NOT_SENDER', `the signed From is ${from}, the declared sender is ${opts.from}`)
  if (!opts.signerAllowedFor(from, leaf)) {
    throw new GatewayError('SIGNER_NOT_SENDER', `"${subjectOf(leaf)}" is not bound to ${from}`, { extra: { fingerprint256: fingerprintHex(leaf) } })
  }
  return {
    signed: true,
    signer: { subject: subjectOf(leaf), fingerprint256: fingerprintHex(leaf), issuer: chain.subjects[1] ?? '' },
    algorithm: p.sigAlg.name,
    chain: chain.subjects,
    from,
    verifiedAt: at.toISOString(),
  }
}

function parseSignature(sig: Element, ns: string, policy: SignaturePolicy): ParsedSignature {
  attrs(sig, ['Id'])
  const top = kids(sig, ns, ['SignedInfo', 'SignatureValue', 'KeyInfo'], 2)
  const [signedInfo, sigValue, keyInfo] = top
  attrs(signedInfo, ['Id'])
  const [cm, sm, ref] = kids(signedInfo, ns, ['CanonicalizationMethod', 'SignatureMethod', 'Reference'], 3)
  const c14n = algorithmOf(cm)
  if (!C14N_METHODS.has(c14n)) throw violation(`CanonicalizationMethod ${c14n} is not in the profile`)
  const sigAlg = SIGNATURE_METHODS[algorithmOf(sm)]
  if (!sigAlg) throw new GatewayError('SIGNATURE_ALGORITHM_REFUSED', `SignatureMethod ${algorithmOf(sm)} is not allowed`)
  if (sigAlg.hash === 'sha1' && !policy.allowSha1) throw new GatewayError('SIGNATURE_ALGORITHM_REFUSED', 'rsa-sha1 is refused by policy')

  attrs(ref, ['URI', 'Id'])
  if (ref.getAttribute('URI') !== '' || !ref.hasAttribute('URI')) throw violation('the Reference must have URI=""')
  const [transforms, dm, dv] = kids(ref, ns, ['Transforms', 'DigestMethod', 'DigestValue'], 3)
  attrs(transforms, [])
  const tlist = kids(transforms, ns, ['Transform', 'Transform'], 2)
  const [t1, t2] = tlist.map(algorithmOf)
  if (t1 !== ENVELOPED || !C14N_METHODS.has(t2)) throw violation(`Transforms must be [enveloped-signature, (exc-)c14n], got [${t1}, ${t2}]`)
  const digestAlg = DIGEST_METHODS[algorithmOf(dm)]
  if (!digestAlg) throw new GatewayError('SIGNATURE_ALGORITHM_REFUSED', `DigestMethod ${algorithmOf(dm)} is not allowed`)
  if (digestAlg === 'sha1' && !policy.allowSha1) throw new GatewayError('SIGNATURE_ALGORITHM_REFUSED', 'sha1 digests are refused by policy')
  attrs(dv, [])
  attrs(sigValue, ['Id'])

  if (!keyInfo) throw violation('KeyInfo/X509Data/X509Certificate is required')
  attrs(keyInfo, ['Id'])
  const [x509Data] = kids(keyInfo, ns, ['X509Data'], 1)
  attrs(x509Data, [])
  const certs: X509Certificate[] = []
  for (const c of elementChildren(x509Data)) {
    if (c.namespaceURI !== ns) throw violation(`unexpected ${c.localName} in X509Data`)
    if (c.localName === 'X509Certificate') {
      attrs(c, [])
      try {
        certs.push(certFromDer(base64(c)))
      } catch (e) {
        if (e instanceof GatewayError) throw e
        throw violation('X509Certificate is not a certificate')
      }
    } else if (c.localName !== 'X509SubjectName' && c.localName !== 'X509IssuerSerial') throw violation(`unexpected ${c.localName} in X509Data`)
  }
  if (certs.length === 0) throw violation('KeyInfo/X509Data/X509Certificate is required')
  return { c14n, refC14n: t2, sigAlg, digestAlg, digestValue: base64(dv), signatureValue: base64(sigValue), signedInfo, certs }
}

/** Element children of `el`, requiring exactly `names` in order (the last `names.length - min` optional). */
function kids(el: Element, ns: string, names: string[], min: number): Element[] {
  const out = elementChildren(el)
  if (out.length < min || out.length > names.length)
    throw violation(`${el.localName} must contain ${names.slice(0, min).join(', ')}${min < names.length ? ` [${names.slice(min).join(', ')}]` : ''}`)
  out.forEach((c, i) => {
    if (c.namespaceURI !== ns || c.localName !== names[i]) throw violation(`expected ${names[i]} in ${el.localName}, found ${c.localName}`)
  })
  return out
}

/** Element children; any comment, PI, CDATA or non-whitespace text between them is a violation. */
function elementChildren(el: Element): Element[] {
  const out: Element[] = []
  for (let c = el.firstChild; c; c = c.nextSibling) {
    if (isElement(c)) out.push(c)
    else if (!isIgnorableText(c)) throw violation(`unexpected content in ${el.localName}`)
  }
  return out
}

function attrs(el: Element, allowed: string[]): void {
  for (let i = 0; i < el.attributes.length; i++) {
    const a = el.attributes[i]
    if (a.name === 'xmlns' || a.prefix === 'xmlns') continue
    if (a.namespaceURI || !allowed.includes(a.localName!)) throw violation(`attribute ${a.name} is not allowed on ${el.localName}`)
  }
}

function algorithmOf(el: Element): string {
  attrs(el, ['Algorithm'])
  if (elementChildren(el).length) throw violation(`${el.localName} must be empty`)
  const a = el.getAttribute('Algorithm')
  if (!a) throw violation(`${el.localName} has no Algorithm`)
  return a
}

function base64(el: Element): Buffer {
  const s = textOnly(el).replace(/[ \t\r\n]/g, '')
  if (!s || s.length % 4 !== 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(s)) throw violation(`${el.localName} is not base64`)
  return Buffer.from(s, 'base64')
}

/** The one certificate whose subject is no other certificate's issuer (names only; the chain check follows). */
function pickLeaf(certs: X509Certificate[]): X509Certificate {
  const names = certs.map((c) => {
    try {
      return parseCert(c.raw)
    } catch {
      throw violation('X509Certificate is not a readable certificate')
    }
  })
  const leaves = certs.filter((_, i) => !names.some((o, j) => j !== i && o.issuerDer.equals(names[i].subjectDer)))
  if (leaves.length !== 1) throw violation('KeyInfo must carry one signing certificate (plus, optionally, its intermediates)')
  return leaves[0]
}

function checkKey(cert: X509Certificate, alg: SigAlg): void {
  const k = cert.publicKey
  const d = k.asymmetricKeyDetails ?? {}
  if (alg.kty === 'rsa') {
    if (k.asymmetricKeyType !== 'rsa') throw new GatewayError('SIGNATURE_ALGORITHM_REFUSED', `${alg.name} with a ${k.asymmetricKeyType} key`)
    if ((d.modulusLength ?? 0) < MIN_RSA_BITS) throw new GatewayError('SIGNATURE_ALGORITHM_REFUSED', `RSA key of ${d.modulusLength} bits (minimum ${MIN_RSA_BITS})`)
  } else {
    if (k.asymmetricKeyType !== 'ec') throw new GatewayError('SIGNATURE_ALGORITHM_REFUSED', `${alg.name} with a ${k.asymmetricKeyType} key`)
    if (!EC_CURVES.has(d.namedCurve ?? '')) throw new GatewayError('SIGNATURE_ALGORITHM_REFUSED', `curve ${d.namedCurve} is not allowed`)
  }
}

function contains(ancestor: Node, n: Node | null): boolean {
  for (; n; n = n.parentNode) if (n === ancestor) return true
  return false
}

function hasComment(root: Element): boolean {
  const stack: Node[] = [root]
  while (stack.length) {
    const n = stack.pop()!
    for (let c = n.firstChild; c; c = c.nextSibling) {
      if (c.nodeType === NODE.COMMENT) return true
      if (c.nodeType === NODE.ELEMENT) stack.push(c)
    }
  }
  return false
}
