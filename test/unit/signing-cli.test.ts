/** `lgsp pki`, `lgsp sign`, `lgsp verify` through the real launcher (bin/lgsp.mjs). */
import t from 'tap'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { buildEdxml } from '../fixtures/signing/edxml.ts'
import { fixture, type Fixture } from '../fixtures/signing/pki-fixture.ts'

const BIN = resolve(import.meta.dirname, '../../bin/lgsp.mjs')
const lgsp = (...args: string[]) => {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8' })
  return { code: r.status, out: r.stdout, err: r.stderr }
}

const work = mkdtempSync(join(tmpdir(), 'lgsp-cli-'))
let fx: Fixture
t.before(async () => {
  fx = await fixture()
})

t.test('pki init (custom agency list, idempotent) and status', async (t) => {
  const dir = join(work, 'pki')
  const first = lgsp('pki', 'init', '--dir', dir, '--agency', '000.00.00.G22=Văn phòng Chính phủ', '--agency', '000.22.31.H41=UBND xã Công Thành')
  t.equal(first.code, 0, first.err)
  const r1 = JSON.parse(first.out)
  t.same(r1.agencies, ['000.00.00.G22', '000.22.31.H41'])
  t.ok(r1.created > 5)
  const second = JSON.parse(lgsp('pki', 'init', '--dir', dir, '--agency', '000.00.00.G22=Văn phòng Chính phủ').out)
  t.equal(second.created, 0, 'nothing regenerated')
  const st = JSON.parse(lgsp('pki', 'status', '--dir', dir).out)
  t.equal(st.agencies.length, 2)
  t.match(st.agencies.find((a: { organId: string }) => a.organId === '000.22.31.H41').subject, /CN=UBND xã Công Thành,OU=000\.22\.31\.H41/)
  t.equal(lgsp('pki').code, 2, 'usage')
})

t.test('sign and verify', async (t) => {
  const doc = join(work, 'doc.edxml')
  writeFileSync(doc, buildEdxml())
  const signed = lgsp('sign', doc, '--agency', '000.00.00.G22', '--dir', fx.dir)
  t.equal(signed.code, 0, signed.err)
  const signedFile = join(work, 'signed.edxml')
  writeFileSync(signedFile, signed.out)
  const v = lgsp('verify', signedFile, '--dir', fx.dir)
  t.equal(v.code, 0, v.out)
  const verdict = JSON.parse(v.out)
  t.equal(verdict.ok, true)
  t.equal(verdict.algorithm, 'rsa-sha256')
  t.equal(verdict.from, '000.00.00.G22')

  const g = fx.pki.agencies.find((a) => a.organId === '000.00.00.G14')!
  const byKey = lgsp('sign', doc, '--key', g.key, '--cert', g.cert, '--chain', fx.pki.intermediate)
  t.equal(byKey.code, 0, byKey.err)
  const wrongSigner = join(work, 'g14.edxml')
  writeFileSync(wrongSigner, byKey.out)
  const refused = lgsp('verify', wrongSigner, '--dir', fx.dir)
  t.equal(refused.code, 1)
  t.equal(JSON.parse(refused.out).code, 'SIGNER_NOT_SENDER')

  const tampered = join(work, 'tampered.edxml')
  writeFileSync(tampered, signed.out.replace('V/v kết nối', 'V/v chuyển tiền'))
  t.equal(JSON.parse(lgsp('verify', tampered, '--dir', fx.dir).out).code, 'SIGNATURE_INVALID')
  t.equal(JSON.parse(lgsp('verify', doc, '--dir', fx.dir).out).code, 'SIGNATURE_REQUIRED')
  const optional = lgsp('verify', doc, '--dir', fx.dir, '--optional')
  t.equal(optional.code, 0)
  t.equal(JSON.parse(optional.out).signed, false)
  t.equal(lgsp('sign', doc).code, 2, 'usage')
})
