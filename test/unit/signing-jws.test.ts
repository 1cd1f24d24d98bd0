import t from 'tap'
import { readFileSync } from 'node:fs'
import { createHash, generateKeyPairSync } from 'node:crypto'
import { signJws, verifyJws, signReceipt, verifyReceipt, canonicalReceipt, type VerifyJwsOptions, type FlattenedJws } from '../../src/signing/jws.ts'
import { signerAllowedFor, type TrustStore } from '../../src/signing/trust.ts'
import { certsFromPem, fingerprintHex } from '../../src/signing/certs.ts'
import { fixture, type Fixture, type Signer } from '../fixtures/signing/pki-fixture.ts'

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

const opts = (over: Partial<VerifyJwsOptions> = {}): VerifyJwsOptions => ({ trust, signerAllowedFor: signerAllowedFor(trust.agencyBinding()), from: G22, ...over })
const codeOf = (p: Promise<unknown>): Promise<string> =>
  p.then(
    () => 'ACCEPTED',
    (e) => e.code ?? String(e),
  )
const pkg = { from: { organId: G22 }, to: [{ organId: '000.00.00.H41' }], subject: 'V/v kết nối' }
const b64u = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url')

t.test('compact and flattened round trips', async (t) => {
  const compact = signJws(pkg, g22.key, g22.chain)
  t.equal(compact.split('.').length, 3)
  const r = await verifyJws(compact, opts())
  t.same(r.payload, pkg)
  t.equal(r.verdict.algorithm, 'RS256')
  t.equal(r.verdict.from, G22)
  t.equal(r.verdict.chain!.length, 3)
  const flat = signJws(JSON.stringify(pkg), g22.key, g22.chain, { format: 'flattened' })
  t.equal((await verifyJws(flat, opts())).verdict.signed, true)
  t.equal(Buffer.from(flat.payload, 'base64url').toString(), JSON.stringify(pkg), 'string payload signed byte for byte')
  const ecFp = fingerprintHex(certsFromPem(fx.ec.cert)[0])
  const es = await verifyJws(signJws(pkg, fx.ec.key, fx.ec.chain), opts({ signerAllowedFor: (id, c) => id === G22 && fingerprintHex(c) === ecFp }))
  t.equal(es.verdict.algorithm, 'ES256')
})

t.test('JWS refusals', async (t) => {
  const compact = signJws(pkg, g22.key, g22.chain)
  const [h, p, s] = compact.split('.')
  const header = JSON.parse(Buffer.from(h, 'base64url').toString())
  t.equal(await codeOf(verifyJws(`${h}.${b64u({ ...pkg, subject: 'x' })}.${s}`, opts())), 'SIGNATURE_INVALID', 'tampered payload')
  t.equal(await codeOf(verifyJws(`${b64u({ ...header, alg: 'none' })}.${p}.`, opts())), 'SIGNATURE_ALGORITHM_REFUSED', 'alg none')
  t.equal(await codeOf(verifyJws(`${b64u({ ...header, alg: 'HS256' })}.${p}.${s}`, opts())), 'SIGNATURE_ALGORITHM_REFUSED', 'HS256 key confusion')
  const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
  t.equal(await codeOf(verifyJws(`${b64u({ ...header, jwk: publicKey.export({ format: 'jwk' }) })}.${p}.${s}`, opts())), 'SIGNATURE_PROFILE_VIOLATION', 'embedded jwk')
  t.equal(await codeOf(verifyJws(`${b64u({ ...header, crit: ['exp'] })}.${p}.${s}`, opts())), 'SIGNATURE_PROFILE_VIOLATION', 'crit')
  t.equal(await codeOf(verifyJws(`${b64u({ alg: 'RS256' })}.${p}.${s}`, opts())), 'SIGNATURE_PROFILE_VIOLATION', 'no x5c')
  t.equal(await codeOf(verifyJws(signJws(pkg, fx.attacker.key, fx.attacker.chain), opts())), 'CERT_UNTRUSTED', 'attacker chain')
  t.equal(await codeOf(verifyJws(signJws(pkg, fx.expired.key, fx.expired.chain), opts())), 'CERT_EXPIRED')
  t.equal(await codeOf(verifyJws(signJws(pkg, fx.revoked.key, fx.revoked.chain), opts())), 'CERT_REVOKED')
  t.equal(await codeOf(verifyJws(signJws(pkg, g14.key, g14.chain), opts())), 'SIGNER_NOT_SENDER', 'G14 signs a G22 package')
  t.equal(await codeOf(verifyJws(compact, opts({ from: '000.00.00.G14' }))), 'SIGNER_NOT_SENDER', 'declared sender differs')
  // attacker swaps in the genuine x5c but signs with its own key
  const forgedHeader = b64u({ ...header })
  const forged = signJws(pkg, fx.attacker.key, fx.attacker.chain).split('.')
  t.equal(await codeOf(verifyJws(`${forgedHeader}.${forged[1]}.${forged[2]}`, opts())), 'SIGNATURE_INVALID')
  const flat: FlattenedJws & { header?: unknown } = { ...signJws(pkg, g22.key, g22.chain, { format: 'flattened' }), header: { kid: 'x' } }
  t.equal(await codeOf(verifyJws(flat, opts())), 'SIGNATURE_PROFILE_VIOLATION', 'unprotected header')
  t.equal(await codeOf(verifyJws('a.b', opts())), 'SIGNATURE_PROFILE_VIOLATION')
})

t.test('gateway receipts', async (t) => {
  const gwKey = readFileSync(fx.pki.gateway.key, 'utf8')
  const gwCert = readFileSync(fx.pki.gateway.cert, 'utf8')
  const receipt = {
    documentId: '000.00.00.G22,2026/05/04,123/VPCP-TTĐT',
    sha256: createHash('sha256').update('package bytes').digest('hex'),
    recipient: '000.00.00.H41',
    status: 'delivered',
    time: '2026-05-04T09:00:00.000Z',
  }
  const signed = signReceipt(receipt, gwKey, [gwCert, fx.intPem])
  t.match(signed.signature, /^[\w-]+\.\.[\w-]+$/, 'detached JWS')
  const v = await verifyReceipt(JSON.parse(JSON.stringify(signed)), trust)
  t.same(v.receipt, receipt)
  t.match(v.signer!.subject, /LGSP Liên thông gateway/)
  const gwFp = fingerprintHex(certsFromPem(gwCert)[0])
  t.equal((await verifyReceipt(signed, trust, { gatewayFingerprints: [gwFp] })).signed, true, 'pinned gateway')
  t.equal(await codeOf(verifyReceipt({ ...signed, status: 'failed' }, trust)), 'SIGNATURE_INVALID', 'tampered status')
  t.equal(await codeOf(verifyReceipt({ ...signed, note: 'x' } as typeof signed, trust)), 'SIGNATURE_PROFILE_VIOLATION', 'unsigned extra field')
  t.equal(await codeOf(verifyReceipt(signReceipt(receipt, g22.key, g22.chain), trust, { gatewayFingerprints: [gwFp] })), 'SIGNER_NOT_SENDER', 'an agency is not the gateway')
  const { signature: _s, ...bare } = signed
  t.equal(await codeOf(verifyReceipt(bare as typeof signed, trust)), 'SIGNATURE_REQUIRED')
  // a general JWS from the same key is not a receipt (typ)
  const jws = signJws(canonicalReceipt(receipt), gwKey, [gwCert, fx.intPem]).split('.')
  t.equal(await codeOf(verifyReceipt({ ...receipt, signature: `${jws[0]}..${jws[2]}` }, trust)), 'SIGNATURE_PROFILE_VIOLATION', 'typ must be a receipt')
})
