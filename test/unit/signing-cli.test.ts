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

/**
 * The CLI's entry point in this process, stdout and stderr captured: the same code as the launcher runs, for
 * the help matrix (some forty invocations) without forty Node start-ups; the launcher itself is checked
 * below for help, a mistake and an unknown command.
 */
async function lgspHere(...args: string[]) {
  const { main } = await import('../../src/cli/main.ts')
  const out: string[] = []
  const err: string[] = []
  const [w1, w2] = [process.stdout.write, process.stderr.write]
  process.stdout.write = ((c: string | Uint8Array) => out.push(String(c)) > 0) as typeof process.stdout.write
  process.stderr.write = ((c: string | Uint8Array) => err.push(String(c)) > 0) as typeof process.stderr.write
  try {
    const code = await main(args)
    return { code, out: out.join(''), err: err.join('') }
  } finally {
    process.stdout.write = w1
    process.stderr.write = w2
  }
}

t.test('help and usage mistakes: stdout + exit 0 for help, one line + exit 2 for a mistake, never a stack trace', async (t) => {
  for (const args of [['--help'], ['-h'], []]) {
    const r = await lgspHere(...args)
    t.equal(r.code, 0, `lgsp ${args.join(' ')} exits 0`)
    t.match(r.out, /usage: lgsp <command>[\s\S]*sign /, 'and lists the commands on stdout')
  }
  // through the launcher, as a terminal runs it: the exit codes and streams are the process's own
  const help = lgsp('--help')
  t.equal(help.code, 0, 'the launcher: --help exits 0')
  t.match(help.out, /usage: lgsp <command>/, 'usage on stdout')
  t.equal(help.err, '', 'nothing on stderr')
  const mistake = lgsp('sign', '--no-such-option')
  t.equal(mistake.code, 2, 'the launcher: a usage mistake exits 2')
  t.equal(mistake.err.trim().split('\n').length, 1, 'one line on stderr')
  t.notMatch(mistake.err, /\n\s+at /, 'no stack trace')
  const unknownCmd = lgsp('frobnicate')
  t.equal(unknownCmd.code, 2, 'the launcher: an unknown command exits 2')
  t.match(unknownCmd.err, /unknown command "frobnicate"/)

  for (const cmd of ['pki', 'sign', 'verify', 'verify-receipt', 'directory', 'dlq', 'log', 'vxp-system', 'keys']) {
    for (const args of [
      [cmd, '--help'],
      [cmd, '-h'],
      [cmd, 'init', '--help'],
    ]) {
      const r = await lgspHere(...args)
      t.equal(r.code, 0, `lgsp ${args.join(' ')} exits 0`)
      t.match(r.out, new RegExp(`usage: lgsp ${cmd}`), 'usage on stdout')
      t.equal(r.err, '', 'nothing on stderr')
    }
    const bad = await lgspHere(cmd, '--no-such-option')
    t.equal(bad.code, 2, `lgsp ${cmd} --no-such-option exits 2`)
    t.equal(bad.err.trim().split('\n').length, 1, 'one line')
    t.match(bad.err, new RegExp(`^lgsp ${cmd}: Unknown option '--no-such-option'`))
    t.notMatch(bad.err, /\n\s+at /, 'no stack trace')
  }
  const unknown = await lgspHere('frobnicate')
  t.equal(unknown.code, 2)
  t.match(unknown.err, /unknown command "frobnicate"/)
})

t.test('lgsp sign --agency must be the package From; a missing key is named; works from any folder', async (t) => {
  const doc = join(work, 'from-g22.edxml')
  writeFileSync(doc, buildEdxml()) // From 000.00.00.G22
  const wrong = lgsp('sign', doc, '--agency', '000.21.30.H41', '--dir', fx.dir)
  t.equal(wrong.code, 1, 'refused')
  t.equal(wrong.out, '', 'nothing signed')
  t.match(wrong.err, /From is 000\.00\.00\.G22, not 000\.21\.30\.H41[\s\S]*--force/)
  const forced = lgsp('sign', doc, '--agency', '000.21.30.H41', '--dir', fx.dir, '--force')
  if (forced.code === 0) {
    t.match(forced.err, /WARNING/, '--force signs, loudly')
    t.match(forced.out, /<SignatureValue>/)
  } else {
    t.match(forced.err, /no demo key for 000\.21\.30\.H41/, '--force passes the From check; this fixture PKI has no key for that agency')
  }
  const missing = lgsp('sign', doc.replace('from-g22', 'from-g22'), '--agency', '000.00.00.G22', '--dir', join(work, 'no-pki'))
  t.equal(missing.code, 1)
  t.match(missing.err, /no demo PKI in .*no-pki; run `npm start` once/, 'a missing PKI is named plainly')
  t.notMatch(missing.err, /ENOENT/)
  const absent = lgsp('sign', join(work, 'absent.edxml'), '--agency', '000.00.00.G22', '--dir', fx.dir)
  t.match(absent.err, /cannot read .*absent\.edxml: no such file/)

  // from another folder, TRUST_DIR (or DATA_DIR/pki) is found as the gateway finds it
  const elsewhere = spawnSync(process.execPath, [BIN, 'sign', doc, '--agency', '000.00.00.G22'], { encoding: 'utf8', cwd: tmpdir(), env: { ...process.env, TRUST_DIR: fx.dir } })
  t.equal(elsewhere.status, 0, elsewhere.stderr)
  t.match(elsewhere.stdout, /<SignatureValue>/)
})
