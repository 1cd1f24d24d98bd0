/**
 * Signature verification cost (run: node bench/signing.bench.ts).
 * For a ~10 KB and a ~400 KB edXML package: verifyEdxml (parse + profile + chain + exc-c14n digest +
 * RSA verify) next to the floor — raw node:crypto RSA-SHA256 verify over the same bytes (which includes
 * their SHA-256) — measured in the same run; the ratio is verifyEdxml / floor. Uses the cached test PKI.
 */
import { createHash, createPrivateKey, sign, verify } from 'node:crypto'
import { cpus } from 'node:os'
import { signEdxml } from '../src/signing/sign-edxml.ts'
import { verifyEdxml } from '../src/signing/verify-edxml.ts'
import { signerAllowedFor } from '../src/signing/trust.ts'
import { certsFromPem } from '../src/signing/certs.ts'
import { parseXmlStrict } from '../src/signing/xml.ts'
import { canonicalize, C14N_EXC } from '../src/signing/algorithms.ts'
import { buildEdxml } from '../test/fixtures/signing/edxml.ts'
import { fixture } from '../test/fixtures/signing/pki-fixture.ts'

async function time(fn: () => unknown | Promise<unknown>, minMs = 1500): Promise<number> {
  for (let i = 0; i < 5; i++) await fn() // warm-up
  let n = 0
  const t0 = process.hrtime.bigint()
  let el = 0
  while (el < minMs * 1e6) {
    await fn()
    n++
    el = Number(process.hrtime.bigint() - t0)
  }
  return el / n / 1e3 // µs per op
}

const fx = await fixture()
const trust = await fx.trust()
const g22 = await fx.agency('000.00.00.G22')
const key = createPrivateKey(g22.key)
const pub = certsFromPem(g22.cert)[0].publicKey
const opts = { trust, policy: { required: true, allowSha1: false }, signerAllowedFor: signerAllowedFor(trust.agencyBinding()), from: '000.00.00.G22' }

console.log(`node ${process.version}, ${cpus()[0].model} ×${cpus().length}, RSA-2048 signer, 3-certificate chain`)
console.log('size     | verifyEdxml | parse  | exc-c14n | floor: RSA verify+SHA-256 | SHA-256 only | ratio')
for (const size of [10_000, 400_000]) {
  const signed = Buffer.from(signEdxml(buildEdxml({ padTo: size - 3_600 }), key, g22.chain)) // the Signature adds ~3.6 KB
  const rawSig = sign('sha256', signed, key)
  const v = await time(() => verifyEdxml(signed, opts))
  const parse = await time(() => parseXmlStrict(signed))
  const doc = parseXmlStrict(signed).doc
  const c14n = await time(() => canonicalize(C14N_EXC, doc.documentElement))
  const floor = await time(() => verify('sha256', signed, pub, rawSig))
  const sha = await time(() => createHash('sha256').update(signed).digest())
  const f = (us: number) => (us >= 1000 ? `${(us / 1000).toFixed(2)} ms` : `${us.toFixed(1)} µs`).padStart(9)
  console.log(
    `${(signed.length / 1024).toFixed(0).padStart(4)} KB  | ${f(v)}   | ${f(parse)} | ${f(c14n)} | ${f(floor).padStart(25)} | ${f(sha).padStart(12)} | ×${(v / floor).toFixed(0)}`,
  )
}
trust.close()
