/**
 * The algorithm allow-lists of the one accepted XML-DSig profile, and canonicalization through
 * xml-crypto's C14N implementations (we use only its canonicalizers, not SignedXml: the profile checks,
 * the enveloped transform and the key choice are done here so that nothing depends on xml-crypto's
 * xpath selection of "the" Signature — see LIBRARIES.md B4 and CVE-2025-29774/29775).
 */
import { C14nCanonicalization, ExclusiveCanonicalization, findAncestorNs } from 'xml-crypto'
import { NS_DSIG } from './xml.ts'

export const C14N_EXC = 'http://www.w3.org/2001/10/xml-exc-c14n#'
export const C14N_INC = 'http://www.w3.org/TR/2001/REC-xml-c14n-20010315'
export const ENVELOPED = `${NS_DSIG}enveloped-signature`

export interface SigAlg {
  uri: string
  name: string
  hash: 'sha1' | 'sha256' | 'sha512'
  kty: 'rsa' | 'ec'
}

export const SIGNATURE_METHODS: Record<string, SigAlg> = {
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256': { uri: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256', name: 'rsa-sha256', hash: 'sha256', kty: 'rsa' },
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha512': { uri: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha512', name: 'rsa-sha512', hash: 'sha512', kty: 'rsa' },
  'http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256': { uri: 'http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256', name: 'ecdsa-sha256', hash: 'sha256', kty: 'ec' },
  // QCVN 102 samples use rsa-sha1 (SPEC-NOTES §1.5); only with policy.allowSha1
  [`${NS_DSIG}rsa-sha1`]: { uri: `${NS_DSIG}rsa-sha1`, name: 'rsa-sha1', hash: 'sha1', kty: 'rsa' },
}

export const DIGEST_METHODS: Record<string, 'sha1' | 'sha256' | 'sha512'> = {
  'http://www.w3.org/2001/04/xmlenc#sha256': 'sha256',
  'http://www.w3.org/2001/04/xmlenc#sha512': 'sha512',
  [`${NS_DSIG}sha1`]: 'sha1',
}

export const C14N_METHODS = new Set([C14N_EXC, C14N_INC])

/** Minimum RSA modulus; anything smaller is SIGNATURE_ALGORITHM_REFUSED. */
export const MIN_RSA_BITS = 2048
export const EC_CURVES = new Set(['prime256v1', 'secp384r1'])

/**
 * Canonical form of `node` (comments dropped). For inclusive C14N of a subtree, in-scope namespaces of
 * the ancestors are imported (ancestorXpath selects the node in its document); exclusive C14N needs none.
 */
export function canonicalize(alg: string, node: Node, ancestorsFrom?: { doc: Document; xpath: string }): string {
  if (alg === C14N_EXC) return new ExclusiveCanonicalization().process(node as Element, {})
  if (alg === C14N_INC) {
    const ancestorNamespaces = ancestorsFrom ? findAncestorNs(ancestorsFrom.doc, ancestorsFrom.xpath) : []
    return new C14nCanonicalization().process(node, { ancestorNamespaces })
  }
  throw new Error(`unsupported canonicalization ${alg}`)
}
