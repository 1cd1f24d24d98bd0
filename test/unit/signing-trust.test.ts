import t from 'tap'
import { createServer } from 'node:http'
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { TrustStore, signerAllowedFor } from '../../src/signing/trust.ts'
import { certsFromPem, fingerprintHex, subjectOf } from '../../src/signing/certs.ts'
import { exclusively, generateCrl, pkiInit } from '../../src/signing/pki.ts'
import { fixture, type Fixture } from '../fixtures/signing/pki-fixture.ts'

let fx: Fixture
t.before(async () => {
  fx = await fixture()
})

const cert = (pem: string) => certsFromPem(pem)[0]
const codeOf = (f: () => unknown): string => {
  try {
    f()
    return 'OK'
  } catch (e) {
    return (e as { code?: string }).code ?? String(e)
  }
}

t.test('fromDirectory loads the pkiInit layout', async (t) => {
  const ts = await fx.trust()
  t.equal(ts.roots.size, 1)
  t.equal(ts.intermediates.size, 1)
  t.equal(ts.agencies.size, 8)
  t.same([...ts.agencies.values()].map((a) => a.organId).sort(), fx.pki.agencies.map((a) => a.organId).sort())
  t.equal(ts.crlStatus().length, 2)
  const g22 = await fx.agency('000.00.00.G22')
  const chain = ts.validate(g22.cert)
  t.equal(chain.certs.length, 3, 'intermediate found in the store')
  t.match(chain.subjects[2], /Root CA/)
})

t.test('pkiInit is idempotent', async (t) => {
  const again = await pkiInit(fx.dir)
  t.same(again.created, [])
})

t.test('pkiInit calls on one fresh folder take turns: all succeed and every certificate chains to the one CA', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pki-concurrent-'))
  // a lock left by a process that is gone (killed mid-init) is reclaimed, not waited on forever
  const gone = spawnSync(process.execPath, ['-e', '0']).pid
  mkdirSync(dir, { recursive: true })
  writeFileSync(join(dir, '.init.lock'), String(gone))
  const results = await Promise.all([pkiInit(dir), pkiInit(dir), pkiInit(dir)])
  t.same(
    results.map((r) => r.agencies.length),
    [8, 8, 8],
  )
  t.same(results.map((r) => r.created.length > 0).sort(), [false, false, true], 'one call created the PKI, the others found it whole')
  t.notOk(existsSync(join(dir, '.init.lock')), 'the lock is released')
  const ts = await TrustStore.fromDirectory(dir)
  t.teardown(() => ts.close())
  for (const a of results[0].agencies) t.equal(ts.validate(cert(readFileSync(a.cert, 'utf8'))).certs.length, 3, `${a.organId} chains to the root`)
})

t.test('a stale lock is reclaimed by one caller only: many callers at once never overlap', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pki-lock-'))
  const gone = spawnSync(process.execPath, ['-e', '0']).pid
  for (let round = 0; round < 10; round++) {
    writeFileSync(join(dir, '.init.lock'), String(gone)) // left by a killed run
    let inside = 0
    let most = 0
    let ran = 0
    await Promise.all(
      Array.from({ length: 8 }, async (_, i) => {
        // staggered, so that one caller's look at the stale lock and another's taking it interleave
        await new Promise((r) => setTimeout(r, i % 4))
        await exclusively(dir, async () => {
          most = Math.max(most, ++inside)
          await new Promise((r) => setTimeout(r, 1))
          inside--
          ran++
        })
      }),
    )
    t.equal(ran, 8, `round ${round + 1}: every caller ran`)
    t.equal(most, 1, `round ${round + 1}: never two at once`)
  }
  t.notOk(existsSync(join(dir, '.init.lock')), 'the lock is released')
  t.same(readdirSync(dir), [], 'nothing moved aside is left behind')
})

t.test('chain refusals', async (t) => {
  const ts = await fx.trust()
  t.equal(
    codeOf(() => ts.validate(fx.expired.cert)),
    'CERT_EXPIRED',
  )
  t.equal(
    codeOf(() => ts.validate(fx.revoked.cert)),
    'CERT_REVOKED',
  )
  t.equal(
    codeOf(() => ts.validate(fx.attacker.cert)),
    'CERT_UNTRUSTED',
    'same subject, other root',
  )
  t.equal(
    codeOf(() => ts.validate(fx.deepLeaf.cert, fx.deepLeaf.chain.slice(1))),
    'CERT_UNTRUSTED',
    'pathLen',
  )
  t.equal(
    codeOf(() => ts.validate(fx.agencyIssued.cert, fx.agencyIssued.chain.slice(1))),
    'CERT_UNTRUSTED',
    'non-CA issuer',
  )
  t.equal(
    codeOf(() => ts.validate(fx.rootPem)),
    'CERT_UNTRUSTED',
    'the anchor itself cannot sign',
  )
  t.equal(
    codeOf(() => ts.validate(fx.intPem)),
    'CERT_UNTRUSTED',
    'a CA cannot sign documents',
  )
  const g22 = await fx.agency('000.00.00.G22')
  t.equal(
    codeOf(() => ts.validate(g22.cert, [], new Date('2040-01-01'))),
    'CERT_EXPIRED',
    'validity checked at the given time',
  )
})

t.test('runtime add/remove', async (t) => {
  const ts = new TrustStore()
  const g22 = await fx.agency('000.00.00.G22')
  t.equal(
    codeOf(() => ts.validate(g22.cert, [fx.intPem])),
    'CERT_UNTRUSTED',
    'empty store',
  )
  const rootFp = ts.addRoot(fx.rootPem)
  t.equal(
    codeOf(() => ts.validate(g22.cert, [fx.intPem])),
    'OK',
    'intermediate supplied by the signer',
  )
  t.equal(
    codeOf(() => ts.validate(g22.cert)),
    'CERT_UNTRUSTED',
    'intermediate missing',
  )
  const intFp = ts.addIntermediate(fx.intPem)
  t.equal(
    codeOf(() => ts.validate(g22.cert)),
    'OK',
  )
  t.throws(() => ts.addRoot(g22.cert), { code: 'CERT_UNTRUSTED' }, 'a leaf cannot be a root')
  // CRLs are only accepted from a CA in the store
  const crl = readFileSync(join(fx.dir, 'crl/issuing-ca.crl.pem'))
  t.throws(() => new TrustStore().addCrl(crl), { code: 'CERT_UNTRUSTED' })
  const src = ts.addCrl(crl)
  t.equal(
    codeOf(() => ts.validate(fx.revoked.cert)),
    'CERT_REVOKED',
  )
  ts.removeCrl(src)
  t.equal(
    codeOf(() => ts.validate(fx.revoked.cert)),
    'OK',
    'without the CRL the revocation is unknown',
  )
  ts.removeIntermediate(intFp)
  ts.removeRoot(rootFp)
  t.equal(
    codeOf(() => ts.validate(g22.cert, [fx.intPem])),
    'CERT_UNTRUSTED',
  )
  // agency binding
  const fp = ts.addAgencyCert(g22.cert)
  const allowed = signerAllowedFor(ts.agencyBinding())
  t.ok(allowed('000.00.00.G22', cert(g22.cert)))
  t.notOk(allowed('000.00.00.G14', cert(g22.cert)))
  t.notOk(allowed('000.00.00.G22', cert(fx.revoked.cert)), 'same subject, other key: not bound')
  ts.removeAgencyCert(fp)
  t.notOk(allowed('000.00.00.G22', cert(g22.cert)))
  const bySubject = signerAllowedFor((id) => (id === '000.00.00.G22' ? { subjects: [subjectOf(cert(g22.cert))] } : undefined))
  t.ok(bySubject('000.00.00.G22', cert(g22.cert)))
  const byFp = signerAllowedFor(() => ({ fingerprints256: [cert(g22.cert).fingerprint256] })) // colon form accepted
  t.ok(byFp('000.00.00.G22', cert(g22.cert)))
  t.equal(fingerprintHex(cert(g22.cert)).length, 64)
})

t.test('requireCrl and stale CRLs', async (t) => {
  const ts = new TrustStore({ requireCrl: true })
  ts.addRoot(fx.rootPem)
  ts.addIntermediate(fx.intPem)
  const g22 = await fx.agency('000.00.00.G22')
  t.equal(
    codeOf(() => ts.validate(g22.cert)),
    'CERT_REVOCATION_UNKNOWN',
    'no CRL at all',
  )
  ts.addCrl(readFileSync(join(fx.dir, 'crl/issuing-ca.crl.pem')))
  t.equal(
    codeOf(() => ts.validate(g22.cert)),
    'CERT_REVOCATION_UNKNOWN',
    'no CRL from the root for the intermediate',
  )
  ts.addCrl(readFileSync(join(fx.dir, 'crl/root-ca.crl.pem')))
  t.equal(
    codeOf(() => ts.validate(g22.cert)),
    'OK',
  )
  t.equal(
    codeOf(() => ts.validate(g22.cert, [], new Date(Date.now() + 60 * 86_400_000))),
    'CERT_REVOCATION_UNKNOWN',
    'stale after nextUpdate',
  )
})

t.test('CRL from a URL: fetched, cached on disk, refreshed', async (t) => {
  const crlFile = join(mkdtempSync(join(tmpdir(), 'lgsp-crl-')), 'int.crl.pem')
  let body = await generateCrl(fx.issuing, crlFile, { hours: 1 })
  let hits = 0
  let fail = false
  const server = createServer((req, res) => {
    hits++
    if (fail) return res.writeHead(503).end()
    res.writeHead(200, { 'content-type': 'application/pkix-crl' }).end(body)
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  t.teardown(() => server.close())
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/issuing.crl`
  const cacheDir = mkdtempSync(join(tmpdir(), 'lgsp-crlcache-'))
  const ts = new TrustStore({ crlRefreshMs: 50, cacheDir })
  ts.addRoot(fx.rootPem)
  ts.addIntermediate(fx.intPem)
  await ts.addCrlUrl(url)
  t.equal(hits, 1)
  t.equal(
    codeOf(() => ts.validate(fx.revoked.cert)),
    'CERT_REVOKED',
    'revocation seen through the URL',
  )
  t.equal(readdirSync(cacheDir).length, 1, 'cached on disk')
  await new Promise((r) => setTimeout(r, 60))
  fail = true
  await ts.refreshDueCrls()
  t.equal(hits, 2, 'refetched when due')
  t.equal(
    codeOf(() => ts.validate(fx.revoked.cert)),
    'CERT_REVOKED',
    'a failed refresh keeps the last good CRL',
  )
  t.match(ts.crlStatus().find((c) => c.source === url)?.lastError, /503/)
  // a restart without network uses the disk cache
  const ts2 = new TrustStore({ cacheDir })
  ts2.addRoot(fx.rootPem)
  ts2.addIntermediate(fx.intPem)
  await ts2.addCrlUrl(url)
  t.equal(
    codeOf(() => ts2.validate(fx.revoked.cert)),
    'CERT_REVOKED',
    'disk cache used while the URL fails',
  )
  fail = false
  body = await generateCrl(fx.issuing, crlFile, { hours: 2 })
  await ts.refreshDueCrls(true)
  t.equal(ts.crlStatus().find((c) => c.source === url)?.lastError, undefined)
  await t.rejects(ts.addCrlUrl('file:///etc/passwd'), { code: 'BAD_REQUEST' })
})
