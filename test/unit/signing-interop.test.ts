/**
 * Conformance from outside (STYLE.md 13): Debian xmlsec1 (libxmlsec1 + OpenSSL) is the independent
 * implementation. Packages signed by `xmlsec1 --sign` from a template must verify in verifyEdxml, and
 * packages signed by signEdxml must verify in `xmlsec1 --verify` with a chain check; a tampered package
 * is refused by both. Skipped when xmlsec1 is not installed (scripts/system-deps.txt lists it for CI).
 */
import t from 'tap'
import { execFileSync, spawnSync } from 'node:child_process'
import { mkdtempSync, writeFileSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { signEdxml } from '../../src/signing/sign-edxml.ts'
import { verifyEdxml, type VerifyEdxmlOptions } from '../../src/signing/verify-edxml.ts'
import { signerAllowedFor, type TrustStore } from '../../src/signing/trust.ts'
import { fingerprintHex, certsFromPem } from '../../src/signing/certs.ts'
import { buildEdxml } from '../fixtures/signing/edxml.ts'
import { fixture, type Fixture, type Signer } from '../fixtures/signing/pki-fixture.ts'
import { ALG } from '../fixtures/signing/raw-sign.ts'

const hasXmlsec = spawnSync('xmlsec1', ['--version']).status === 0
if (!hasXmlsec) t.plan(0, 'xmlsec1 not installed (apt-get install xmlsec1)')

const G22 = '000.00.00.G22'
const work = mkdtempSync(join(tmpdir(), 'lgsp-xmlsec-'))
let fx: Fixture
let trust: TrustStore
let g22: Signer

t.before(async () => {
  fx = await fixture()
  trust = await fx.trust()
  g22 = await fx.agency(G22)
})

const opts = (over: Partial<VerifyEdxmlOptions> = {}): VerifyEdxmlOptions => ({
  trust,
  policy: { required: true, allowSha1: false },
  signerAllowedFor: signerAllowedFor(trust.agencyBinding()),
  from: G22,
  ...over,
})

function template(o: { sigAlg?: string; digestAlg?: string; c14n?: string } = {}): string {
  const c14n = o.c14n ?? ALG.exc
  return (
    `<Signature xmlns="http://www.w3.org/2000/09/xmldsig#"><SignedInfo><CanonicalizationMethod Algorithm="${c14n}"/>` +
    `<SignatureMethod Algorithm="${o.sigAlg ?? ALG.rsaSha256}"/><Reference URI=""><Transforms>` +
    `<Transform Algorithm="${ALG.enveloped}"/><Transform Algorithm="${c14n}"/></Transforms>` +
    `<DigestMethod Algorithm="${o.digestAlg ?? ALG.sha256}"/><DigestValue/></Reference></SignedInfo><SignatureValue/>` +
    `<KeyInfo><X509Data><X509Certificate/></X509Data></KeyInfo></Signature>`
  )
}

let n = 0
function xmlsecSign(doc: string, s: Signer, tmpl = template()): string {
  const base = join(work, `s${n++}`)
  writeFileSync(`${base}.tmpl.xml`, doc.replace('</edXML:TraceHeaderList>', `</edXML:TraceHeaderList>${tmpl}`))
  execFileSync('xmlsec1', ['--sign', '--privkey-pem', `${s.keyPath},${s.certPath}`, '--output', `${base}.xml`, `${base}.tmpl.xml`], { stdio: 'pipe' })
  return readFileSync(`${base}.xml`, 'utf8')
}

function xmlsecVerify(xml: string): { ok: boolean; out: string } {
  const f = join(work, `v${n++}.xml`)
  writeFileSync(f, xml)
  const r = spawnSync(
    'xmlsec1',
    ['--verify', '--enabled-reference-uris', 'empty', '--trusted-pem', join(fx.dir, 'roots/root-ca.pem'), '--untrusted-pem', join(fx.dir, 'intermediates/issuing-ca.pem'), f],
    { encoding: 'utf8' },
  )
  return { ok: r.status === 0, out: r.stderr + r.stdout }
}

const codeOf = async (xml: string, o: Partial<VerifyEdxmlOptions> = {}): Promise<string> =>
  verifyEdxml(Buffer.from(xml), opts(o)).then(
    (v) => `ACCEPTED ${v.algorithm}`,
    (e) => e.code,
  )

t.test('xmlsec1 --sign → verifyEdxml', async (t) => {
  const doc = buildEdxml()
  t.equal(await codeOf(xmlsecSign(doc, g22)), 'ACCEPTED rsa-sha256', 'exc-c14n, rsa-sha256')
  t.equal(await codeOf(xmlsecSign(doc, g22, template({ c14n: ALG.inc }))), 'ACCEPTED rsa-sha256', 'inclusive c14n')
  const ecFp = fingerprintHex(certsFromPem(fx.ec.cert)[0])
  t.equal(
    await codeOf(xmlsecSign(doc, fx.ec, template({ sigAlg: ALG.ecdsaSha256 })), { signerAllowedFor: (id, c) => id === G22 && fingerprintHex(c) === ecFp }),
    'ACCEPTED ecdsa-sha256',
    'ecdsa-sha256 (P-256)',
  )
  const sha1 = xmlsecSign(doc, g22, template({ sigAlg: ALG.rsaSha1, digestAlg: ALG.sha1 }))
  t.equal(await codeOf(sha1), 'SIGNATURE_ALGORITHM_REFUSED', 'rsa-sha1 refused by default')
  t.equal(await codeOf(sha1, { policy: { required: true, allowSha1: true } }), 'ACCEPTED rsa-sha1', 'rsa-sha1 with allowSha1')
  const tampered = xmlsecSign(doc, g22).replace('V/v kết nối', 'V/v chuyển tiền')
  t.equal(await codeOf(tampered), 'SIGNATURE_INVALID', 'tampered xmlsec1-signed package refused')
  t.notOk(xmlsecVerify(tampered).ok, 'xmlsec1 refuses it too')
  t.equal(await codeOf(xmlsecSign(doc, fx.attacker)), 'CERT_UNTRUSTED', 'attacker-signed (same subject) refused')
})

t.test('signEdxml → xmlsec1 --verify (chain to the demo root)', async (t) => {
  const signed = signEdxml(buildEdxml(), g22.key, g22.chain)
  const good = xmlsecVerify(signed)
  t.ok(good.ok, good.out)
  const big = signEdxml(buildEdxml({ padTo: 400_000 }), g22.key, g22.chain)
  t.ok(xmlsecVerify(big).ok, '400 KB package')
  const ec = signEdxml(buildEdxml(), fx.ec.key, fx.ec.chain)
  t.ok(xmlsecVerify(ec).ok, 'ecdsa-sha256 package')
  const tampered = signed.replace('V/v kết nối', 'V/v chuyển tiền')
  t.notOk(xmlsecVerify(tampered).ok, 'xmlsec1 refuses the tampered package')
  t.equal(await codeOf(tampered), 'SIGNATURE_INVALID', 'verifyEdxml refuses it too')
  t.notOk(xmlsecVerify(signEdxml(buildEdxml(), fx.attacker.key, fx.attacker.chain)).ok, 'xmlsec1 refuses the attacker chain')
})

t.test('a package in the shape the VNPT SDK writes (prefixed envelope, Bussiness before TraceHeader, dummy signature removed) signs and cross-verifies', async (t) => {
  const sample = readFileSync(new URL('../fixtures/signing/sdk-shape-g22-to-h41.edxml', import.meta.url), 'utf8').replace(/\s*<Signature>[\s\S]*<\/Signature>/, '')
  const signed = signEdxml(sample, g22.key, g22.chain)
  t.equal(await codeOf(signed), 'ACCEPTED rsa-sha256')
  const x = xmlsecVerify(signed)
  t.ok(x.ok, x.out)
})
