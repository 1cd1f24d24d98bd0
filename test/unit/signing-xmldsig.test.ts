import t from 'tap'
import { signEdxml } from '../../src/signing/sign-edxml.ts'
import { verifyEdxml, type VerifyEdxmlOptions } from '../../src/signing/verify-edxml.ts'
import { signerAllowedFor, type TrustStore } from '../../src/signing/trust.ts'
import { fingerprintHex, certsFromPem } from '../../src/signing/certs.ts'
import { buildEdxml } from '../fixtures/signing/edxml.ts'
import { fixture, type Fixture, type Signer } from '../fixtures/signing/pki-fixture.ts'
import { rawSign, ALG } from '../fixtures/signing/raw-sign.ts'

const G22 = '000.00.00.G22'
let fx: Fixture
let trust: TrustStore
let g22: Signer
let g14: Signer

t.before(async () => {
  fx = await fixture()
  trust = await fx.trust()
  g22 = await fx.agency(G22)
  g14 = await fx.agency('000.00.00.G14')
})

const opts = (over: Partial<VerifyEdxmlOptions> = {}): VerifyEdxmlOptions => ({
  trust,
  policy: { required: true, allowSha1: false },
  signerAllowedFor: signerAllowedFor(trust.agencyBinding()),
  from: G22,
  ...over,
})

/** a binding that also accepts the fixture's extra G22 certificates (ec, expired, …) by fingerprint */
const allowAlso = (s: Signer): VerifyEdxmlOptions['signerAllowedFor'] => {
  const fp = fingerprintHex(certsFromPem(s.cert)[0])
  const base = signerAllowedFor(trust.agencyBinding())
  return (id, cert) => (id === G22 && fingerprintHex(cert) === fp) || base(id, cert)
}

/** the error code verifyEdxml refuses with ('ACCEPTED' if it does not) */
export async function codeOf(xml: string | Buffer, o: Partial<VerifyEdxmlOptions> = {}): Promise<string> {
  try {
    await verifyEdxml(Buffer.from(xml), opts(o))
    return 'ACCEPTED'
  } catch (e) {
    return (e as { code?: string }).code ?? String(e)
  }
}

const refused = async (tt: { equal: (a: unknown, b: unknown, m: string) => unknown }, xml: string | Buffer, code: string, o: Partial<VerifyEdxmlOptions> = {}) =>
  tt.equal(await codeOf(xml, o), code, code)

t.test('signEdxml → verifyEdxml round trip', async (t) => {
  const input = buildEdxml()
  const signed = signEdxml(input, g22.key, g22.chain)
  const v = await verifyEdxml(Buffer.from(signed), opts())
  t.equal(v.signed, true)
  t.equal(v.algorithm, 'rsa-sha256')
  t.equal(v.from, G22)
  t.match(v.signer!.subject, /CN=Văn phòng Chính phủ,OU=000\.00\.00\.G22/)
  t.equal(v.chain!.length, 3)
  t.match(v.signer!.fingerprint256, /^[0-9a-f]{64}$/)
  // the input bytes are preserved: removing the inserted Signature gives the input back
  t.equal(signed.replace(/<Signature xmlns="http:\/\/www\.w3\.org\/2000\/09\/xmldsig#">.*<\/Signature>/s, ''), input)
  t.match(signed, /<\/edXML:TraceHeaderList><Signature xmlns="http:\/\/www\.w3\.org\/2000\/09\/xmldsig#"><SignedInfo>/)
  t.match(signed, /<X509SubjectName>CN=Văn phòng Chính phủ,OU=000\.00\.00\.G22,O=Liên thông \(demo\),C=VN<\/X509SubjectName>/)
})

t.test('unsigned packages', async (t) => {
  await refused(t, buildEdxml(), 'SIGNATURE_REQUIRED')
  const v = await verifyEdxml(Buffer.from(buildEdxml()), opts({ policy: { required: false, allowSha1: false } }))
  t.same(v.signed, false)
})

t.test('accepted variants of the profile', async (t) => {
  const doc = buildEdxml()
  const ok = async (xml: string, o: Partial<VerifyEdxmlOptions> = {}) => (await verifyEdxml(Buffer.from(xml), opts(o))).algorithm
  t.equal(await ok(rawSign(doc, { ...g22, c14n: ALG.inc, refC14n: ALG.inc })), 'rsa-sha256', 'inclusive c14n')
  t.equal(await ok(rawSign(doc, { ...g22, ns: 'qcvn' })), 'rsa-sha256', 'Signature in the QCVN default namespace (VPCP sample shape)')
  t.equal(await ok(signEdxml(doc, fx.ec.key, fx.ec.chain), { signerAllowedFor: allowAlso(fx.ec) }), 'ecdsa-sha256', 'ECDSA P-256')
  const sha1 = rawSign(doc, { ...g22, sigAlg: ALG.rsaSha1, digestAlg: ALG.sha1, c14n: ALG.inc })
  t.equal(await ok(sha1, { policy: { required: true, allowSha1: true } }), 'rsa-sha1', 'rsa-sha1 with allowSha1')
  // status package without TraceHeaderList: Signature goes last in edXMLHeader
  const status = doc.replace(/<edXML:TraceHeaderList>[\s\S]*<\/edXML:TraceHeaderList>\n/, '')
  t.equal(await ok(signEdxml(status, g22.key, g22.chain)), 'rsa-sha256', 'header without TraceHeaderList')
  // a tricky input: the TraceHeaderList end tag also appears inside a CDATA section → DOM fallback
  const tricky = doc.replace('Nội dung', '<![CDATA[</edXML:TraceHeaderList>]]>')
  t.equal(await ok(signEdxml(tricky, g22.key, g22.chain)), 'rsa-sha256', 'end tag text inside CDATA')
})

t.test('attack corpus — each refused with its code', async (t) => {
  const doc = buildEdxml()
  const signed = signEdxml(doc, g22.key, g22.chain)
  const sigOf = (x: string) => x.match(/<Signature xmlns="http:\/\/www\.w3\.org\/2000\/09\/xmldsig#">.*<\/Signature>/s)![0]
  const sig = sigOf(signed)
  const unsigned = signed.replace(sig, '')

  await t.test('tampered content', async (t) => refused(t, signed.replace('V/v kết nối', 'V/v chuyển tiền'), 'SIGNATURE_INVALID'))
  await t.test('tampered sender (From/OrganId)', async (t) =>
    refused(t, signed.replace(`<edXML:OrganId>${G22}</edXML:OrganId>`, '<edXML:OrganId>000.00.00.G14</edXML:OrganId>'), 'SIGNATURE_INVALID', { from: '000.00.00.G14' }),
  )
  await t.test('Signature moved into edXMLBody', async (t) => refused(t, unsigned.replace('<edXML:edXMLBody>', `<edXML:edXMLBody>${sig}`), 'SIGNATURE_PROFILE_VIOLATION'))
  await t.test('Signature moved to the document element', async (t) => refused(t, unsigned.replace('</edXML>', `${sig}</edXML>`), 'SIGNATURE_PROFILE_VIOLATION'))
  await t.test('wrapped: forged package carrying the signed original in a wrapper element', async (t) => {
    const original = signed.replace(/^<\?xml[^>]*>\n/, '')
    const forged = buildEdxml({ subject: 'Chuyển 1 tỷ đồng' })
      .replace('</edXML:TraceHeaderList>', `</edXML:TraceHeaderList>${sig}`)
      .replace('<edXML:edXMLBody>', `<edXML:edXMLBody><Wrapper>${original}</Wrapper>`)
    await refused(t, forged, 'SIGNATURE_PROFILE_VIOLATION') // two Signatures
    const forged1 = buildEdxml({ subject: 'Chuyển 1 tỷ đồng' })
      .replace('</edXML:TraceHeaderList>', `</edXML:TraceHeaderList>${sig}`)
      .replace('<edXML:edXMLBody>', `<edXML:edXMLBody><Wrapper>${original.replace(sig, '')}</Wrapper>`)
    await refused(t, forged1, 'SIGNATURE_INVALID') // the digest covers the outer (forged) document
  })
  await t.test('duplicated header: second MessageHeader/From', async (t) => {
    const dup = signed.replace('<edXML:MessageHeader>', '<edXML:MessageHeader><edXML:From><edXML:OrganId>000.00.00.G14</edXML:OrganId></edXML:From>')
    await refused(t, dup, 'SIGNATURE_PROFILE_VIOLATION')
  })
  await t.test('second Signature', async (t) => refused(t, signed.replace(sig, sig + sig), 'SIGNATURE_PROFILE_VIOLATION'))
  await t.test('second Signature elsewhere (QCVN namespace)', async (t) =>
    refused(t, signed.replace('</edXML:edXMLBody>', '<Signature/></edXML:edXMLBody>'), 'SIGNATURE_PROFILE_VIOLATION'),
  )
  await t.test('second SignedInfo', async (t) => {
    const si = sig.match(/<SignedInfo>.*<\/SignedInfo>/s)![0]
    await refused(t, signed.replace(si, si + si), 'SIGNATURE_PROFILE_VIOLATION')
  })
  await t.test('comment inside DigestValue (CVE-2025-29775 shape)', async (t) =>
    refused(t, signed.replace(/<DigestValue>([^<]+)<\/DigestValue>/, '<DigestValue><!-- x -->$1</DigestValue>'), 'SIGNATURE_PROFILE_VIOLATION'),
  )
  await t.test('comment inside SignatureValue', async (t) => refused(t, signed.replace(/<SignatureValue>([^<]{10})/, '<SignatureValue>$1<!---->'), 'SIGNATURE_PROFILE_VIOLATION'))
  await t.test('comment in the signed content (comment-truncation)', async (t) =>
    refused(t, signed.replace(`<edXML:OrganId>${G22}</edXML:OrganId>`, '<edXML:OrganId>000.00.00.<!-- -->G22</edXML:OrganId>'), 'SIGNATURE_PROFILE_VIOLATION'),
  )
  await t.test('attacker key, certificate with the same subject from an untrusted root', async (t) =>
    refused(t, signEdxml(doc, fx.attacker.key, fx.attacker.chain), 'CERT_UNTRUSTED'),
  )
  await t.test('attacker key, genuine certificate in KeyInfo', async (t) => refused(t, rawSign(doc, { key: fx.attacker.key, chain: g22.chain }), 'SIGNATURE_INVALID'))
  await t.test('expired certificate', async (t) => refused(t, signEdxml(doc, fx.expired.key, fx.expired.chain), 'CERT_EXPIRED', { signerAllowedFor: allowAlso(fx.expired) }))
  await t.test('revoked certificate', async (t) => refused(t, signEdxml(doc, fx.revoked.key, fx.revoked.chain), 'CERT_REVOKED', { signerAllowedFor: allowAlso(fx.revoked) }))
  await t.test('untrusted root (trust store without the demo root)', async (t) => {
    const other = await fx.trust()
    for (const fp of other.roots.keys()) other.removeRoot(fp)
    await refused(t, signed, 'CERT_UNTRUSTED', { trust: other })
  })
  await t.test('issuer is an agency (CA:FALSE)', async (t) => refused(t, signEdxml(doc, fx.agencyIssued.key, fx.agencyIssued.chain), 'CERT_UNTRUSTED'))
  await t.test('pathLen exceeded', async (t) => refused(t, signEdxml(doc, fx.deepLeaf.key, fx.deepLeaf.chain), 'CERT_UNTRUSTED'))
  await t.test('signer not the sender (G14 signs a G22 package)', async (t) => refused(t, signEdxml(doc, g14.key, g14.chain), 'SIGNER_NOT_SENDER'))
  await t.test('declared sender differs from the signed From', async (t) => refused(t, signed, 'SIGNER_NOT_SENDER', { from: '000.00.00.G14' }))
  await t.test('rsa-sha1 when refused', async (t) => refused(t, rawSign(doc, { ...g22, sigAlg: ALG.rsaSha1, digestAlg: ALG.sha1 }), 'SIGNATURE_ALGORITHM_REFUSED'))
  await t.test('sha1 digest under rsa-sha256 when refused', async (t) => refused(t, rawSign(doc, { ...g22, digestAlg: ALG.sha1 }), 'SIGNATURE_ALGORITHM_REFUSED'))
  await t.test('hmac-sha1 (key confusion)', async (t) =>
    refused(t, rawSign(doc.replace('x', 'x'), { ...g22, sigAlg: ALG.rsaSha256 }).replace(ALG.rsaSha256, ALG.hmacSha1), 'SIGNATURE_ALGORITHM_REFUSED'),
  )
  await t.test('signature copied from a different document', async (t) => {
    const other = signEdxml(buildEdxml({ subject: 'Văn bản khác' }), g22.key, g22.chain)
    await refused(t, unsigned.replace('</edXML:TraceHeaderList>', `</edXML:TraceHeaderList>${sigOf(other)}`), 'SIGNATURE_INVALID')
  })
  await t.test('Reference to an Id instead of URI=""', async (t) => refused(t, rawSign(doc, { ...g22, uri: '#x' }), 'SIGNATURE_PROFILE_VIOLATION'))
  await t.test('second Reference', async (t) =>
    refused(
      t,
      rawSign(doc, { ...g22, signedInfoExtra: `<Reference URI=""><DigestMethod Algorithm="${ALG.sha256}"/><DigestValue>AAAA</DigestValue></Reference>` }),
      'SIGNATURE_PROFILE_VIOLATION',
    ),
  )
  await t.test('Object inside Signature', async (t) =>
    refused(t, rawSign(doc, { ...g22, signatureExtra: '<Object><edXML xmlns="http://www.mic.gov.vn/TBT/QCVN_102_2016"/></Object>' }), 'SIGNATURE_PROFILE_VIOLATION'),
  )
  await t.test('the VPCP sample transform URI (not exc-c14n)', async (t) =>
    refused(
      t,
      rawSign(doc, { ...g22, refC14n: ALG.exc }).replace(`<Transform Algorithm="${ALG.exc}"/>`, '<Transform Algorithm="http://www.w3.org/TR/xml-exc-c14n#"/>'),
      'SIGNATURE_PROFILE_VIOLATION',
    ),
  )
  await t.test('no KeyInfo', async (t) => refused(t, signed.replace(/<KeyInfo>.*<\/KeyInfo>/s, ''), 'SIGNATURE_PROFILE_VIOLATION'))
  await t.test('DOCTYPE / entities', async (t) => refused(t, signed.replace('<edXML xmlns', '<!DOCTYPE edXML [<!ENTITY x "y">]><edXML xmlns'), 'XML_FORBIDDEN_CONSTRUCT'))
  await t.test('processing instruction', async (t) => refused(t, signed.replace('<edXML:edXMLBody>', '<?evil x?><edXML:edXMLBody>'), 'XML_FORBIDDEN_CONSTRUCT'))
  await t.test('not well-formed', async (t) => refused(t, signed.replace('</edXML>', ''), 'XML_MALFORMED'))
})

t.test('signEdxml refuses to double-sign and a key that does not match', async (t) => {
  const signed = signEdxml(buildEdxml(), g22.key, g22.chain)
  t.throws(() => signEdxml(signed, g22.key, g22.chain), { code: 'SIGNATURE_PROFILE_VIOLATION' })
  t.throws(() => signEdxml(buildEdxml(), g14.key, g22.chain), { code: 'BAD_REQUEST' })
})
