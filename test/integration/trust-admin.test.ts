/**
 * Trust administration: the trust store is managed from an operator API as well as from TRUST_DIR. A province CA
 * trusted at runtime makes its agency's signature verify; removing the agency certificate refuses it
 * again; only operators may change trust; every change survives a restart of the trust store.
 */
import t from 'tap'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fixture, privateTrustDir, startGateway } from '../helpers/gateway.ts'
import { createCa, issueCert, subj } from '../../src/signing/pki.ts'
import { signEdxml } from '../../src/signing/sign-edxml.ts'
import { TrustStore } from '../../src/signing/trust.ts'

const COMMUNE = '000.21.30.H41'

t.test('operators add and remove trust at runtime', async (t) => {
  const trustDir = await privateTrustDir(t)
  const gw2 = await startGateway(t, { signaturePolicy: 'required', trustDir })

  // a CA nobody trusts yet issues the commune a new certificate
  const caDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lgsp-newca-'))
  t.teardown(() => fs.rmSync(caDir, { recursive: true, force: true }))
  const ca = await createCa(path.join(caDir, 'ca'), subj({ C: 'VN', O: 'Sở TT&TT Nghệ An', CN: 'Nghệ An CA' }))
  const leaf = await issueCert(ca, path.join(caDir, 'commune'), subj({ C: 'VN', O: 'Nghệ An', OU: COMMUNE, CN: 'UBND xã Quỳnh Thạch (mới)' }))
  const signed = signEdxml(fixture('demo/commune-to-province.edxml'), fs.readFileSync(leaf.key, 'utf8'), [fs.readFileSync(leaf.cert, 'utf8')])
  const code = async (r: Response) => ((await r.json()) as { code: string }).code
  const pem = { 'content-type': 'application/x-pem-file' }

  t.equal(await code(await gw2.call(COMMUNE, 'POST', '/v1/documents', signed)), 'CERT_UNTRUSTED', 'unknown CA refused')
  t.equal((await gw2.call(COMMUNE, 'POST', '/v1/ops/trust/roots', fs.readFileSync(ca.cert), pem)).status, 403, 'a client key may not change trust')

  const root = await gw2.call('operator', 'POST', '/v1/ops/trust/roots', fs.readFileSync(ca.cert), pem)
  t.equal(root.status, 201)
  t.equal(await code(await gw2.call(COMMUNE, 'POST', '/v1/documents', signed)), 'SIGNER_NOT_SENDER', 'trusted CA, but the certificate is not bound to the commune yet')
  const bound = await gw2.call('operator', 'POST', `/v1/ops/trust/agencies?organId=${COMMUNE}`, fs.readFileSync(leaf.cert), pem)
  t.equal(bound.status, 201)
  const fp = ((await bound.json()) as { added: { fingerprint256: string }[] }).added[0].fingerprint256

  const listed = (await (await gw2.call('operator', 'GET', '/v1/ops/trust')).json()) as { roots: { subject: string }[]; agencies: { organId: string; fingerprint256: string }[] }
  t.ok(
    listed.roots.some((r) => /Nghệ An CA/.test(r.subject)),
    'the new root is listed',
  )
  t.ok(
    listed.agencies.some((a) => a.fingerprint256 === fp && a.organId === COMMUNE),
    'the binding is listed',
  )

  // a fresh trust store loaded from the directory sees the same (the change survives a restart)
  const reloaded = await TrustStore.fromDirectory(trustDir)
  t.ok(reloaded.agencies.has(fp), 'persisted to TRUST_DIR')
  reloaded.close()

  const ok = await gw2.call(COMMUNE, 'POST', '/v1/documents', signed)
  t.equal(ok.status, 202, 'now accepted')

  t.equal((await gw2.call('operator', 'DELETE', `/v1/ops/trust/agencies/${fp}`)).status, 204)
  const again = signed.replace('125/UBND-VP', '127/UBND-VP')
  t.equal(await code(await gw2.call(COMMUNE, 'POST', '/v1/documents', again)), 'SIGNATURE_INVALID', 'a changed package fails on its digest before binding is even checked')
  const resigned = signEdxml(fixture('demo/commune-to-province.edxml').toString('utf8').replace('125/UBND-VP', '127/UBND-VP'), fs.readFileSync(leaf.key, 'utf8'), [
    fs.readFileSync(leaf.cert, 'utf8'),
  ])
  t.equal(await code(await gw2.call(COMMUNE, 'POST', '/v1/documents', resigned)), 'SIGNER_NOT_SENDER', 'binding removed: refused again')
})
