/**
 * The signature attack corpus goes through the gateway's front door (POST /v1/documents, real
 * Kafka, real PostgreSQL) with signatures required: every package is refused with a coded error and
 * nothing reaches Kafka. (test/unit/signing-xmldsig.test.ts checks the exact code of each attack against
 * verifyEdxml alone; here a shape the XSD already refuses may stop at EDXML_SCHEMA_INVALID — earlier in
 * the pipeline, still coded, still nothing sent.) Requests go through Fastify's inject: the same hooks and
 * routes as over a socket, without one.
 */
import t from 'tap'
import { fixture as pkiFixture } from '../fixtures/signing/pki-fixture.ts'
import { rawSign, ALG } from '../fixtures/signing/raw-sign.ts'
import { fingerprintHex, certsFromPem } from '../../src/signing/certs.ts'
import { signEdxml } from '../../src/signing/sign-edxml.ts'
import { upsertAgencies } from '../../src/store/directory-repo.ts'
import { fixture, recordCount, startGateway } from '../helpers/gateway.ts'

const COMMUNE = '000.21.30.H41'

t.test('the attack corpus is refused at the door and nothing reaches Kafka', async (t) => {
  const fx = await pkiFixture()
  const gw = await startGateway(t, { signaturePolicy: 'required', trustDir: fx.dir })
  const me = await fx.agency(COMMUNE)
  const other = await fx.agency('000.00.00.G22')
  // the expired and revoked certificates are bound to the commune, so their refusal is about validity
  const commune = gw.rt.directory().get(COMMUNE)!
  await upsertAgencies(gw.rt.db, [{ ...commune, certificates: [fx.expired, fx.revoked].map((s) => fingerprintHex(certsFromPem(s.cert)[0])) }])
  await gw.rt.reloadDirectory()

  const doc = fixture('demo/commune-to-province.edxml').toString('utf8')
  const signed = signEdxml(doc, me.key, me.chain)
  const sig = signed.match(/<Signature xmlns="http:\/\/www\.w3\.org\/2000\/09\/xmldsig#">.*<\/Signature>/s)![0]
  const unsigned = signed.replace(sig, '')
  const otherDoc = signEdxml(doc.replace('125/UBND-VP', '999/UBND-VP'), me.key, me.chain)
  const otherSig = otherDoc.match(/<Signature xmlns="http:\/\/www\.w3\.org\/2000\/09\/xmldsig#">.*<\/Signature>/s)![0]
  const si = sig.match(/<SignedInfo>.*<\/SignedInfo>/s)![0]

  const attacks: [string, string, string][] = [
    ['tampered content', signed.replace('mưa lũ trên', 'bão trên'), 'SIGNATURE_INVALID'],
    ['Signature moved into edXMLBody', unsigned.replace('<edXML:edXMLBody>', `<edXML:edXMLBody>${sig}`), 'SIGNATURE_PROFILE_VIOLATION'],
    [
      'wrapped: signed original inside a forged package',
      unsigned
        .replace('<edXML:edXMLBody>', `<edXML:edXMLBody><Wrapper>${signed.replace(/^<\?xml[^>]*>\n/, '')}</Wrapper>`)
        .replace('</edXML:TraceHeaderList>', `</edXML:TraceHeaderList>${sig}`),
      'SIGNATURE_PROFILE_VIOLATION',
    ],
    [
      'duplicated signed element (second From)',
      signed.replace('<edXML:MessageHeader>', '<edXML:MessageHeader><edXML:From><edXML:OrganId>000.00.00.G14</edXML:OrganId></edXML:From>'),
      'SIGNATURE_PROFILE_VIOLATION',
    ],
    ['second Signature', signed.replace(sig, sig + sig), 'SIGNATURE_PROFILE_VIOLATION'],
    ['second SignedInfo', signed.replace(si, si + si), 'SIGNATURE_PROFILE_VIOLATION'],
    ['comment inside DigestValue', signed.replace(/<DigestValue>([^<]+)<\/DigestValue>/, '<DigestValue><!-- x -->$1</DigestValue>'), 'SIGNATURE_PROFILE_VIOLATION'],
    ['attacker key, same subject CN, untrusted root', signEdxml(doc, fx.attacker.key, fx.attacker.chain), 'CERT_UNTRUSTED'],
    ['attacker key, genuine certificate in KeyInfo', rawSign(doc, { key: fx.attacker.key, chain: me.chain }), 'SIGNATURE_INVALID'],
    ['expired certificate', signEdxml(doc, fx.expired.key, fx.expired.chain), 'CERT_EXPIRED'],
    ['revoked certificate', signEdxml(doc, fx.revoked.key, fx.revoked.chain), 'CERT_REVOKED'],
    ['issuer is an agency, not a CA', signEdxml(doc, fx.agencyIssued.key, fx.agencyIssued.chain), 'CERT_UNTRUSTED'],
    ['signer not the sender', signEdxml(doc, other.key, other.chain), 'SIGNER_NOT_SENDER'],
    ['rsa-sha1 when refused', rawSign(doc, { ...me, sigAlg: ALG.rsaSha1, digestAlg: ALG.sha1 }), 'SIGNATURE_ALGORITHM_REFUSED'],
    ['signature over a different document', unsigned.replace('</edXML:TraceHeaderList>', `</edXML:TraceHeaderList>${otherSig}`), 'SIGNATURE_INVALID'],
    ['unsigned', doc, 'SIGNATURE_REQUIRED'],
  ]
  const before = await recordCount(gw.rt.topics.all)
  for (const [name, body, expected] of attacks) {
    const r = await gw.inject(COMMUNE, 'POST', '/v1/documents', body)
    const p = (await r.json()) as { code: string }
    t.ok(r.status >= 400 && r.status < 500, `${name}: refused (${r.status})`)
    t.ok(p.code === expected || p.code === 'EDXML_SCHEMA_INVALID', `${name}: ${p.code} (verifier alone says ${expected})`)
  }
  t.equal(await recordCount(gw.rt.topics.all), before, 'nothing reached Kafka')
  const ok = await gw.inject(COMMUNE, 'POST', '/v1/documents', signed)
  t.equal(ok.status, 202, 'the genuine package is accepted, so the corpus reached the signature checks')
})
