/**
 * signEdxml: enveloped XML-DSig over the whole package (Reference URI=""), exc-c14n, rsa-sha256 (or
 * ecdsa-sha256 for an EC key), sha256 digest, KeyInfo/X509Data with X509SubjectName + X509Certificate(s),
 * Signature in the XML-DSig namespace placed in edXMLHeader right after TraceHeaderList (SPEC-NOTES §1.5).
 *
 * The input bytes are kept: the Signature text is spliced in after the TraceHeaderList end tag instead of
 * re-serialising the DOM, so the signed package differs from the input only by the inserted element (the
 * gateway never alters signed bytes afterwards). The result is re-parsed and its placement checked.
 */
import { KeyObject, X509Certificate, createHash, createPrivateKey, sign as cryptoSign } from 'node:crypto'
import { DOMParser, XMLSerializer } from '@xmldom/xmldom'
import { GatewayError } from '../errors.ts'
import { C14N_EXC, ENVELOPED, canonicalize } from './algorithms.ts'
import { certsFromPem, subjectOf } from './certs.ts'
import { NS_DSIG, NS_QCVN, childElements, edxmlHeader, findAll, parseXmlStrict } from './xml.ts'
import { elidedDigest, type ElidedSource } from './elided-digest.ts'
import { retype } from '../schemas/retype.ts'

const RSA_SHA256 = 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256'
const ECDSA_SHA256 = 'http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256'
const SHA256 = 'http://www.w3.org/2001/04/xmlenc#sha256'

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')

/**
 * @param key the signer's private key (KeyObject or PEM)
 * @param certChain PEM strings: the signer certificate first, then intermediates (each may hold several blocks)
 */
export function signEdxml(xml: Buffer | string, key: KeyObject | string | Buffer, certChain: (string | Buffer)[]): string {
  const p = prepare(xml, key, certChain)
  // the digest input is exactly what a verifier gets after the enveloped transform: this document as is
  return finish(p, createHash('sha256').update(canonicalize(C14N_EXC, p.doc.documentElement), 'utf8').digest('base64'))
}

/**
 * signEdxml for a package known by its skeleton (src/schemas/skeleton.ts): the digest takes each run from
 * `source` in its marker's place, so a package of any size is signed without being held. Returns the signed
 * skeleton; expandSkeleton (src/schemas/skeleton-io.ts) writes the package out.
 */
export async function signEdxmlElided(skeleton: Buffer | string, key: KeyObject | string | Buffer, certChain: (string | Buffer)[], source: ElidedSource): Promise<string> {
  const p = prepare(skeleton, key, certChain)
  const digest = await elidedDigest('sha256', canonicalize(C14N_EXC, p.doc.documentElement), source)
  return finish(p, digest.toString('base64'))
}

interface Prepared {
  doc: Document
  text: string
  certs: X509Certificate[]
  priv: KeyObject
  ec: boolean
}

function prepare(xml: Buffer | string, key: KeyObject | string | Buffer, certChain: (string | Buffer)[]): Prepared {
  const { doc, text } = parseXmlStrict(xml)
  const root = doc.documentElement
  if (findAll(root, (e) => e.localName === 'Signature' && (e.namespaceURI === NS_DSIG || e.namespaceURI === NS_QCVN)).length) {
    throw new GatewayError('SIGNATURE_PROFILE_VIOLATION', 'the package is already signed')
  }
  edxmlHeader(doc)
  const certs = certChain.flatMap((p) => certsFromPem(p))
  if (certs.length === 0) throw new GatewayError('BAD_REQUEST', 'no signer certificate')
  const priv = key instanceof KeyObject ? key : createPrivateKey(key)
  if (!certs[0].checkPrivateKey(priv)) throw new GatewayError('BAD_REQUEST', 'the private key does not match the signer certificate')
  const ec = priv.asymmetricKeyType === 'ec'
  if (!ec && priv.asymmetricKeyType !== 'rsa') throw new GatewayError('BAD_REQUEST', `unsupported key type ${priv.asymmetricKeyType}`)
  return { doc, text, certs, priv, ec }
}

function finish({ doc, text, certs, priv, ec }: Prepared, digest: string): string {
  const h = edxmlHeader(doc)
  const signedInfo =
    `<SignedInfo xmlns="${NS_DSIG}"><CanonicalizationMethod Algorithm="${C14N_EXC}"/>` +
    `<SignatureMethod Algorithm="${ec ? ECDSA_SHA256 : RSA_SHA256}"/>` +
    `<Reference URI=""><Transforms><Transform Algorithm="${ENVELOPED}"/><Transform Algorithm="${C14N_EXC}"/></Transforms>` +
    `<DigestMethod Algorithm="${SHA256}"/><DigestValue>${digest}</DigestValue></Reference></SignedInfo>`
  const siDoc = retype<Document>(new DOMParser().parseFromString(signedInfo, 'text/xml'))
  const siCanon = canonicalize(C14N_EXC, siDoc.documentElement)
  const value = cryptoSign('sha256', Buffer.from(siCanon, 'utf8'), ec ? { key: priv, dsaEncoding: 'ieee-p1363' } : priv).toString('base64')
  const signature =
    `<Signature xmlns="${NS_DSIG}">${signedInfo.replace(` xmlns="${NS_DSIG}"`, '')}` +
    `<SignatureValue>${value}</SignatureValue><KeyInfo><X509Data><X509SubjectName>${esc(subjectOf(certs[0]))}</X509SubjectName>` +
    certs.map((c: X509Certificate) => `<X509Certificate>${c.raw.toString('base64')}</X509Certificate>`).join('') +
    `</X509Data></KeyInfo></Signature>`

  const out = splice(text, doc, h.traceHeaderList ? 'TraceHeaderList' : 'edXMLHeader', signature)
  // check the placement in what we return (cheap insurance against a surprising input text)
  const check = parseXmlStrict(out)
  const sig = findAll(check.doc.documentElement, (e) => e.localName === 'Signature' && e.namespaceURI === NS_DSIG)
  const hh = edxmlHeader(check.doc)
  const sib = childElements(hh.header)
  if (sig.length !== 1 || sig[0].parentNode !== hh.header || (hh.traceHeaderList && sib[sib.indexOf(sig[0]) - 1] !== hh.traceHeaderList)) {
    throw new GatewayError('INTERNAL', 'could not place the Signature in edXMLHeader')
  }
  return out
}

/**
 * Inserts `fragment` after the end tag of the only TraceHeaderList, or before the end tag of edXMLHeader.
 * Falls back to DOM insertion + serialisation if the end tag text is not unique (e.g. it also occurs
 * inside a comment or CDATA section).
 */
function splice(text: string, doc: Document, anchor: 'TraceHeaderList' | 'edXMLHeader', fragment: string): string {
  const re = new RegExp(`</(?:[A-Za-z_][\\w.-]*:)?${anchor}\\s*>`, 'g')
  const hits = [...text.matchAll(re)]
  if (hits.length === 1 && findAll(doc.documentElement, (e) => e.localName === anchor).length === 1) {
    const at = anchor === 'TraceHeaderList' ? hits[0].index! + hits[0][0].length : hits[0].index!
    return text.slice(0, at) + fragment + text.slice(at)
  }
  const h = edxmlHeader(doc)
  const node = new DOMParser().parseFromString(fragment, 'text/xml').documentElement!
  const imported = doc.importNode(retype<Node>(node), true)
  if (h.traceHeaderList) h.header.insertBefore(imported, h.traceHeaderList.nextSibling)
  else h.header.appendChild(imported)
  const decl = text.match(/^<\?xml[^>]*\?>/)
  const body = new XMLSerializer().serializeToString(retype<Parameters<XMLSerializer['serializeToString']>[0]>(doc.documentElement))
  return decl ? `${decl[0]}\n${body}` : body
}
