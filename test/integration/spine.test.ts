/**
 * The core path end to end: the commune 000.21.30.H41 sends one document to 000.00.00.H41 and 000.00.00.G22
 * through real Kafka and real PostgreSQL; both pull it byte-identical and ack; the sender sees 01 for
 * each. A duplicate POST delivers nothing new; an unknown recipient and a forged From are refused and
 * nothing reaches Kafka. The end-to-end path runs with signatures required.
 */
import t from 'tap'
import crypto from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { spawnSync } from 'node:child_process'
import { ROOT, eventually, fixture, recordCount, startGateway } from '../helpers/gateway.ts'

const COMMUNE = '000.21.30.H41'
const PROVINCE = '000.00.00.H41'
const VPCP = '000.00.00.G22'

t.test('a document crosses Kafka from a commune to a province and the central government, and 01 comes back', async (t) => {
  const gw = await startGateway(t, { signaturePolicy: 'required' })
  const doc = await gw.sign(COMMUNE, fixture('demo/commune-to-province.edxml'))

  const res = await gw.call(COMMUNE, 'POST', '/v1/documents', doc)
  t.equal(res.status, 202, 'accepted')
  const answer = (await res.json()) as {
    id: string
    documentId: string
    recipients: { organId: string; tier: string; status: string; receipt: unknown }[]
    signature: { signed: boolean; signer: { subject: string } }
  }
  t.equal(answer.documentId, '000.21.30.H41,2026/11/23,125/UBND-VP')
  t.same(
    answer.recipients.map(({ receipt: _r, ...r }) => r),
    [
      { organId: PROVINCE, tier: 'province', status: 'ACCEPTED' },
      { organId: VPCP, tier: 'central', status: 'ACCEPTED' },
    ],
  )
  t.equal(answer.signature.signed, true, 'the verdict is recorded and returned')
  t.match(answer.signature.signer.subject, /OU=000\.21\.30\.H41/)
  t.ok(
    answer.recipients.every((r) => r.receipt),
    'each recipient gets a gateway-signed acceptance receipt',
  )
  t.equal(res.headers.get('location'), `/v1/documents/${answer.id}`)

  for (const who of [PROVINCE, VPCP]) {
    const items = await eventually(
      async () => {
        const r = (await (await gw.call(who, 'GET', '/v1/inbox')).json()) as { items: { id: string; documentUuid: string; from: string }[] }
        return r.items.length ? r.items : null
      },
      30_000,
      `${who}'s inbox`,
    )
    t.equal(items.length, 1, `${who} has exactly one document`)
    t.equal(items[0].from, COMMUNE)
    t.equal(items[0].documentUuid, answer.id)
    const bytes = await gw.call(who, 'GET', `/v1/inbox/${items[0].id}`)
    t.equal(bytes.status, 200)
    t.match(bytes.headers.get('content-type'), /application\/xml/)
    t.ok(Buffer.from(await bytes.arrayBuffer()).equals(doc), `${who} receives the exact bytes`)
    const ack = await gw.call(who, 'POST', `/v1/inbox/${items[0].id}/ack`)
    t.equal(ack.status, 202)
    t.equal(((await ack.json()) as { status: string }).status, '01')
    // the inbox of another agency never shows this item
    const other = await gw.call(COMMUNE, 'GET', `/v1/inbox/${items[0].id}`)
    t.equal(other.status, 404, 'the sender cannot read a recipient inbox item')
  }

  const view = await eventually(
    async () => {
      const v = (await (await gw.call(COMMUNE, 'GET', `/v1/documents/${answer.id}`)).json()) as {
        recipients: { organId: string; status: string; timeline: { status: string }[] }[]
      }
      return v.recipients.every((r) => r.status === '01') ? v : null
    },
    30_000,
    'status 01 from both recipients',
  )
  for (const r of view.recipients) {
    t.same(
      r.timeline.map((e) => e.status),
      ['ACCEPTED', 'ROUTED', 'DELIVERED', '01'],
      `${r.organId} timeline in order`,
    )
  }
  // every timeline event carries the gateway's signed receipt; the 01 one verifies
  const event01 = (view.recipients[0].timeline as unknown as { status: string; receipt: Record<string, string> }[]).find((e) => e.status === '01')!
  t.equal(event01.receipt.status, '01')
  const checked = await gw.call(COMMUNE, 'POST', '/v1/receipts/verify', JSON.stringify(event01.receipt), { 'content-type': 'application/json' })
  t.equal(checked.status, 200, 'the status receipt verifies')
  t.equal((view as unknown as { signature: { signed: boolean } }).signature.signed, true, 'the signature verdict is shown with the status')
  const foreign = await gw.call(PROVINCE, 'GET', `/v1/documents/${answer.id}`)
  t.equal(foreign.status, 404, 'only the sender reads the status view')

  // a duplicate POST returns the first answer and delivers nothing new
  const before = await recordCount(gw.rt.topics.all)
  const again = await gw.call(COMMUNE, 'POST', '/v1/documents', doc)
  t.equal(again.status, 202)
  t.equal(again.headers.get('idempotent-replayed'), 'true')
  t.same(await again.json(), answer, 'same answer as the first time')
  await new Promise((r) => setTimeout(r, 1500))
  t.equal(await recordCount(gw.rt.topics.all), before, 'the duplicate produced no Kafka record')
  for (const who of [PROVINCE, VPCP]) {
    const all = (await (await gw.call(who, 'GET', '/v1/inbox?all=true')).json()) as { items: unknown[] }
    t.equal(all.items.length, 1, `${who} still has exactly one item`)
  }
})

t.test('refusals are coded and nothing reaches Kafka', async (t) => {
  const gw = await startGateway(t)
  const doc = fixture('demo/commune-to-province.edxml').toString('utf8')
  const before = await recordCount(gw.rt.topics.all)
  const expectProblem = async (r: Response, status: number, code: string) => {
    t.equal(r.status, status, `${code}: HTTP ${status}`)
    t.match(r.headers.get('content-type'), /application\/problem\+json/)
    const p = (await r.json()) as { code: string; type: string; title: string }
    t.equal(p.code, code)
    t.ok(p.type && p.title, 'RFC 9457 members')
    return p
  }

  // forged From: the province's key may not send as the commune
  await expectProblem(await gw.call(PROVINCE, 'POST', '/v1/documents', doc), 403, 'SENDER_NOT_ALLOWED')
  // unknown recipient
  const unknown = doc.replace('<edXML:OrganId>000.00.00.G22</edXML:OrganId>', '<edXML:OrganId>000.00.00.G99</edXML:OrganId>').replace('125/UBND-VP', '126/UBND-VP')
  const p = await expectProblem(await gw.call(COMMUNE, 'POST', '/v1/documents', await gw.sign(COMMUNE, unknown)), 422, 'UNKNOWN_RECIPIENT')
  t.match(JSON.stringify(p), /000\.00\.00\.G99/, 'names the recipient')
  // malformed XML
  await expectProblem(await gw.call(COMMUNE, 'POST', '/v1/documents', doc.slice(0, 500)), 400, 'XML_MALFORMED')
  // XXE
  const xxe = doc.replace('<?xml version="1.0" encoding="UTF-8"?>', '<?xml version="1.0"?><!DOCTYPE edXML [<!ENTITY x SYSTEM "file:///etc/passwd">]>')
  await expectProblem(await gw.call(COMMUNE, 'POST', '/v1/documents', xxe), 400, 'XML_FORBIDDEN_CONSTRUCT')
  // no key, wrong key, wrong media type
  await expectProblem(await gw.call(null, 'POST', '/v1/documents', doc), 401, 'UNAUTHENTICATED')
  await expectProblem(await gw.call('lgsp_not-a-key', 'POST', '/v1/documents', doc), 401, 'UNAUTHENTICATED')
  await expectProblem(await gw.call(COMMUNE, 'POST', '/v1/documents', '{}', { 'content-type': 'application/x-www-form-urlencoded' }), 415, 'UNSUPPORTED_MEDIA_TYPE')
  t.equal(await recordCount(gw.rt.topics.all), before, 'no refused document reached Kafka')

  // the same DocumentId with other content is refused once the first is accepted
  t.equal((await gw.call(COMMUNE, 'POST', '/v1/documents', await gw.sign(COMMUNE, doc))).status, 202)
  const altered = doc.replace('thiệt hại do mưa lũ trên', 'thiệt hại do bão trên')
  await expectProblem(await gw.call(COMMUNE, 'POST', '/v1/documents', await gw.sign(COMMUNE, altered)), 409, 'DUPLICATE_DOCUMENT')
})

t.test('health, readiness and the OpenAPI document are public; the rest is not', async (t) => {
  const gw = await startGateway(t)
  const health = await gw.call(null, 'GET', '/healthz')
  t.equal(health.status, 200)
  t.match(await health.json(), { status: 'ok', node: process.version }, 'healthz names the Node in use')
  t.equal(Number(process.versions.node.split('.')[0]) >= 24, true, `the project's own LTS Node runs the tests (${process.version})`)
  const ready = await gw.call(null, 'GET', '/readyz')
  t.equal(ready.status, 200)
  t.same(await ready.json(), { status: 'ready', checks: { kafka: 'ok', database: 'ok', workers: 'running' } })
  const spec = (await (await gw.call(null, 'GET', '/openapi.json')).json()) as { openapi: string; paths: Record<string, unknown> }
  t.match(spec.openapi, /^3\./)
  for (const p of ['/v1/documents', '/v1/documents/{id}', '/v1/inbox', '/v1/inbox/{id}', '/v1/inbox/{id}/ack']) t.ok(spec.paths[p], `OpenAPI documents ${p}`)
  t.equal((await gw.call(null, 'GET', '/docs/')).status, 200, 'Swagger UI')
  t.equal((await gw.call(null, 'GET', '/v1/inbox')).status, 401)
  const nf = await gw.call(null, 'GET', '/nowhere')
  t.equal(nf.status, 404)
  t.equal(((await nf.json()) as { code: string }).code, 'NOT_FOUND')
})

t.test('with signatures required, unsigned, tampered and mis-signed packages are refused and nothing reaches Kafka', async (t) => {
  const gw = await startGateway(t, { signaturePolicy: 'required' })
  const plain = fixture('demo/commune-to-province.edxml')
  const before = await recordCount(gw.rt.topics.all)
  const code = async (r: Response) => ((await r.json()) as { code: string }).code
  t.equal(await code(await gw.call(COMMUNE, 'POST', '/v1/documents', plain)), 'SIGNATURE_REQUIRED')
  const signed = (await gw.sign(COMMUNE, plain)).toString('utf8')
  t.equal(await code(await gw.call(COMMUNE, 'POST', '/v1/documents', signed.replace('mưa lũ trên', 'bão trên'))), 'SIGNATURE_INVALID', 'tampered after signing')
  t.equal(await code(await gw.call(COMMUNE, 'POST', '/v1/documents', await gw.sign(VPCP, plain))), 'SIGNER_NOT_SENDER', "signed with another agency's certificate")
  t.equal(await recordCount(gw.rt.topics.all), before, 'nothing reached Kafka')
  const ok = await gw.call(COMMUNE, 'POST', '/v1/documents', signed)
  t.equal(ok.status, 202)

  // the acceptance receipts are the gateway's signature over (DocumentId, sha256 of the bytes, recipient, status, time)
  const answer = (await ok.json()) as { sha256: string; recipients: { receipt: Record<string, string> }[] }
  const receipt = answer.recipients[0].receipt
  t.equal(receipt.sha256, crypto.createHash('sha256').update(signed).digest('hex'), 'the receipt pins the exact bytes received')
  const check = await gw.call(COMMUNE, 'POST', '/v1/receipts/verify', JSON.stringify(receipt), { 'content-type': 'application/json' })
  t.equal(check.status, 200)
  t.equal(((await check.json()) as { valid: boolean }).valid, true)
  const forged = { ...receipt, recipient: '000.00.00.G14' }
  t.equal(
    await code(await gw.call(COMMUNE, 'POST', '/v1/receipts/verify', JSON.stringify(forged), { 'content-type': 'application/json' })),
    'SIGNATURE_INVALID',
    'an altered receipt fails',
  )

  // offline, with the CLI, against the same trust directory
  const file = path.join(os.tmpdir(), `receipt-${process.pid}.json`)
  fs.writeFileSync(file, JSON.stringify(answer))
  t.teardown(() => fs.rmSync(file, { force: true }))
  const cli = spawnSync(process.execPath, ['bin/lgsp.mjs', 'verify-receipt', file, '--dir', gw.rt.config.trustDir], { cwd: ROOT, encoding: 'utf8' })
  t.equal(cli.status, 0, `lgsp verify-receipt accepts the answer's receipts: ${cli.stdout}${cli.stderr}`)
  fs.writeFileSync(file, JSON.stringify(forged))
  const cliBad = spawnSync(process.execPath, ['bin/lgsp.mjs', 'verify-receipt', file, '--dir', gw.rt.config.trustDir], { cwd: ROOT, encoding: 'utf8' })
  t.equal(cliBad.status, 1, 'and refuses the altered one')
})
