/**
 * The 2025 reorganisation end to end, real Kafka, real PostgreSQL, real HTTP, the `lgsp` CLI in its own
 * process: a synthetic merger (test/fixtures/reform: province H97 closed into H41, district Lam Sơn
 * dissolved into the province, commune Lam Hạ merged into Lam Sơn, a commune directly under the province)
 * applied as a change table after documents were sent to the old codes.
 */
import t from 'tap'
import * as soap from 'soap'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { eventually, fixture, ROOT, startGateway, type TestGateway } from '../helpers/gateway.ts'
import { lgsp } from '../helpers/ops.ts'
import { edoc } from '../helpers/federation.ts'
import { saveClient } from '../../src/store/clients-repo.ts'
import { buildStatusXml } from '../../src/schemas/envelope.ts'

const SENDER = '000.21.30.H41' // UBND xã Quỳnh Thạch (demo, stays active)
const PROVINCE = '000.00.00.H41'
const MERGED_PROVINCE = '000.00.00.H97'
const DISTRICT = '000.00.32.H41'
const OLD_COMMUNE = '000.23.32.H41'
const LATER_COMMUNE = '000.24.32.H41'
const NEW_COMMUNE = '000.00.46.H41'
const TABLE = path.join(ROOT, 'test/fixtures/reform/change-table.tsv')

/** The demo package from `from` (default the demo commune) to `to`, numbered `no`; a recall when asked. */
function doc(no: number, to: string[], o: { from?: string; businessType?: '1' } = {}): string {
  const x = edoc(o.from ?? SENDER, to, no).toString('utf8')
  return o.businessType ? x.replace('<edXML:BussinessDocType>0</edXML:BussinessDocType>', `<edXML:BussinessDocType>${o.businessType}</edXML:BussinessDocType>`) : x
}

type Answer = { id: string; recipients: { organId: string; redirect?: { addressedTo: string; chain: string[]; closedOn: string } }[]; senderClosed?: unknown }
type Item = { id: string; documentUuid: string; recipient: string; addressedTo?: string; ackedAt: string | null }
type Timeline = { recipients: { organId: string; status: string; addressedTo?: string; timeline: { status: string; detail?: Record<string, unknown> }[] }[] }

async function send(gw: TestGateway, who: string, xml: string): Promise<Answer> {
  const r = await gw.call(who, 'POST', '/v1/documents', xml)
  if (r.status !== 202) throw new Error(`POST /v1/documents: ${r.status} ${await r.text()}`)
  return (await r.json()) as Answer
}
const inbox = async (gw: TestGateway, who: string): Promise<Item[]> => ((await (await gw.call(who, 'GET', '/v1/inbox?all=true')).json()) as { items: Item[] }).items
const timeline = async (gw: TestGateway, id: string): Promise<Timeline> => (await (await gw.call(SENDER, 'GET', `/v1/documents/${id}`)).json()) as Timeline
const legOf = (tl: Timeline, organId: string) => tl.recipients.find((r) => r.organId === organId)

/** The demo directory plus the synthetic agencies, and API keys for the agencies the test acts as. */
async function reformGateway(t: Parameters<typeof startGateway>[0], overrides: Parameters<typeof startGateway>[1] = {}): Promise<TestGateway> {
  // the synthetic province H97 has no demo certificate: its packages go unsigned, as a legacy sender's do (SIGNATURE_POLICY=optional)
  const gw = await startGateway(t, { signaturePolicy: 'optional', ...overrides })
  const imported = await gw.call('operator', 'POST', '/v1/agencies/import', fixture('reform/directory-before.tsv'), { 'content-type': 'text/tab-separated-values' })
  if (imported.status !== 200) throw new Error(`directory import: ${await imported.text()}`)
  await gw.rt.db.tx(async (q) => {
    for (const id of [MERGED_PROVINCE, NEW_COMMUNE, DISTRICT]) gw.creds[id] = await saveClient(q, { id: `test:${id}`, name: id, role: 'client', organIds: [id] })
  })
  return gw
}

t.test('a change table applied: redirection, once each, timelines, 01 back, recall, moved inbox, in flight, the day before', async (t) => {
  const gw = await reformGateway(t)

  // both tier shapes in one directory: the new commune directly under the province, the old one under its district
  const newCommune = (await (await gw.call(SENDER, 'GET', `/v1/agencies/${NEW_COMMUNE}`)).json()) as { tier: string; parent: string }
  t.same([newCommune.tier, newCommune.parent], ['commune', PROVINCE])
  const oldCommune = (await (await gw.call(SENDER, 'GET', `/v1/agencies/${OLD_COMMUNE}`)).json()) as { tier: string; parent: string }
  t.same([oldCommune.tier, oldCommune.parent], ['commune', DISTRICT])

  // before the change: one document each to the province and the district that will close; left unread
  const early = await send(gw, SENDER, doc(201, [MERGED_PROVINCE]))
  const earlyDistrict = await send(gw, SENDER, doc(202, [DISTRICT]))
  t.same(
    early.recipients.map((r) => [r.organId, r.redirect]),
    [[MERGED_PROVINCE, undefined]],
    'not closed yet: delivered as addressed',
  )
  await eventually(async () => (await inbox(gw, MERGED_PROVINCE)).length === 1 && (await inbox(gw, DISTRICT)).length === 1, 30_000, 'early documents delivered')
  // one more stays in flight: accepted while the router is stopped
  await gw.workers.stop()
  const inFlight = await send(gw, SENDER, doc(203, [OLD_COMMUNE]))

  // the dry run, from the CLI as an operator runs it: what would close and what the gateway holds for it
  const env = { LGSP_URL: gw.url, LGSP_KEY: gw.creds.operator! }
  const dry = await lgsp(['directory', 'succession', 'import', TABLE, '--dry-run'], env)
  t.equal(dry.code, 0, dry.stderr)
  const report = JSON.parse(dry.stdout) as {
    applied: boolean
    closures: { organId: string; successors: string[]; inFlight: number; unreadInbox: number; apiKeys: number }[]
    totals: Record<string, number>
    conflicts: unknown[]
  }
  t.equal(report.applied, false)
  t.same(
    report.closures.map((c) => [c.organId, c.successors, c.inFlight, c.unreadInbox, c.apiKeys]),
    [
      [MERGED_PROVINCE, [PROVINCE], 0, 1, 1],
      ['000.00.13.H97', ['000.00.13.H41'], 0, 0, 0],
      [DISTRICT, [PROVINCE], 0, 1, 1],
      [OLD_COMMUNE, [NEW_COMMUNE], 1, 0, 0],
    ],
    'in-flight and unread counts match what is there',
  )
  t.same([report.totals.agencies, report.totals.inFlight, report.totals.unreadInbox], [4, 1, 2])
  t.match(dry.stderr, /would close 000\.00\.00\.H97 \(UBND tỉnh Sông Lam\) on 2025-07-01 → 000\.00\.00\.H41: 0 in flight, 1 unread/)
  t.notOk(((await (await gw.call(SENDER, 'GET', `/v1/agencies/${MERGED_PROVINCE}`)).json()) as { closed?: unknown }).closed, 'a dry run changes nothing')

  // applied: one audited operator action
  const applied = await lgsp(['directory', 'succession', 'import', TABLE], env)
  t.equal(applied.code, 0, applied.stderr)
  t.equal((JSON.parse(applied.stdout) as { applied: boolean }).applied, true)
  const closedProvince = (await (await gw.call(SENDER, 'GET', `/v1/agencies/${MERGED_PROVINCE}`)).json()) as { closed: { on: string; successors: string[] }; holder: string }
  t.same(
    [closedProvince.closed.on, closedProvince.closed.successors, closedProvince.holder],
    ['2025-07-01', [PROVINCE], PROVINCE],
    'the old code stays resolvable, with its successor',
  )
  const log = (await (await gw.call('operator', 'GET', '/v1/ops/log?limit=500')).json()) as { items: { kind: string; action: string | null; detail: { closures?: unknown[] } }[] }
  const actions = log.items.filter((r) => r.action === 'directory.succession')
  t.equal(actions.length, 1, 'applying it is one operator action in the message log')
  t.equal(actions[0]!.detail.closures?.length, 4)
  const listed = await lgsp(['directory', 'list', '--status', 'closed'], env)
  t.same(
    (JSON.parse(listed.stdout) as { items: { organId: string }[] }).items.map((a) => a.organId),
    ['000.00.00.H97', '000.00.13.H97', '000.00.32.H41', '000.23.32.H41'],
    'lgsp directory list --status closed',
  )
  const again = await lgsp(['directory', 'succession', 'import', TABLE], env)
  t.match(again.stderr, /already closed as the table says: 000\.00\.00\.H97/, 're-applying the table changes nothing')

  // after the change: one document to the closed province, one to the closed district — each reaches the province once
  const toProvince = await send(gw, SENDER, doc(301, [MERGED_PROVINCE]))
  const toDistrict = await send(gw, SENDER, doc(302, [DISTRICT, PROVINCE]))
  t.same(
    toProvince.recipients.map((r) => [r.organId, r.redirect]),
    [[PROVINCE, { addressedTo: MERGED_PROVINCE, chain: [MERGED_PROVINCE, PROVINCE], closedOn: '2025-07-01' }]],
    'the 202 says where it goes and why',
  )
  t.same(
    toDistrict.recipients.map((r) => r.organId),
    [PROVINCE],
    'named twice (closed district and its successor): one leg',
  )
  await gw.workers.start()

  const provinceItems = await eventually(
    async () => {
      const items = await inbox(gw, PROVINCE)
      return items.filter((i) => [toProvince.id, toDistrict.id].includes(i.documentUuid)).length === 2 ? items : null
    },
    30_000,
    'both reach the province',
  )
  const itemOf = (id: string) => provinceItems.filter((i) => i.documentUuid === id)
  t.equal(itemOf(toProvince.id).length, 1, 'once')
  t.equal(itemOf(toDistrict.id).length, 1, 'once')
  t.equal(itemOf(toProvince.id)[0]!.addressedTo, MERGED_PROVINCE, "the successor's inbox item says what it was addressed to")
  t.equal(itemOf(toDistrict.id)[0]!.addressedTo, DISTRICT)

  const tl = await timeline(gw, toProvince.id)
  const leg = legOf(tl, PROVINCE)!
  t.equal(leg.addressedTo, MERGED_PROVINCE, 'the leg says what the package was addressed to')
  const redirected = leg.timeline.find((e) => e.status === 'REDIRECTED')
  t.same(redirected?.detail && [redirected.detail.addressedTo, redirected.detail.deliveredTo], [MERGED_PROVINCE, PROVINCE], "the sender's timeline shows the redirection")
  t.match(String(redirected?.detail?.reason), /closed on 2025-07-01; delivered to its successor 000\.00\.00\.H41; the signed package is unchanged/)

  // the successor acknowledges: 01 returns to the sender
  t.equal((await gw.call(PROVINCE, 'POST', `/v1/inbox/${itemOf(toProvince.id)[0]!.id}/ack`)).status, 202)
  await eventually(async () => legOf(await timeline(gw, toProvince.id), PROVINCE)?.status === '01', 30_000, '01 on the timeline')
  t.pass('01 returned to the sender')

  // the closed agencies' unread items moved: the province reads and acknowledges them, on the old legs
  const moved = provinceItems.filter((i) => [early.id, earlyDistrict.id].includes(i.documentUuid))
  t.same(moved.map((i) => i.recipient).sort(), [DISTRICT, MERGED_PROVINCE].sort(), 'unread items of the closed codes are in the successor inbox')
  const earlyItem = moved.find((i) => i.documentUuid === early.id)!
  t.equal((await gw.call(PROVINCE, 'GET', `/v1/inbox/${earlyItem.id}`)).status, 200, 'the successor may read it')
  t.equal((await gw.call(PROVINCE, 'POST', `/v1/inbox/${earlyItem.id}/ack`)).status, 202)
  await eventually(async () => legOf(await timeline(gw, early.id), MERGED_PROVINCE)?.status === '01', 30_000, '01 for the early document')
  t.ok(
    legOf(await timeline(gw, early.id), MERGED_PROVINCE)!.timeline.some((e) => e.status === 'MOVED' && e.detail?.to === PROVINCE),
    'the move is recorded',
  )

  // a status about an old document comes from the party now holding it
  const status = buildStatusXml({
    from: { organId: PROVINCE },
    responseFor: { organId: SENDER, documentId: `${SENDER},2026/11/23,202/UBND-VP` },
    statusCode: '03',
    description: 'Đã phân công',
    timestamp: new Date(),
  })
  const st = await gw.call(PROVINCE, 'POST', '/v1/status', status)
  t.equal(st.status, 202, await st.clone().text())
  t.same(((await st.json()) as { recipients: string[] }).recipients, [DISTRICT], 'it lands on the closed district leg')

  // a recall of a document sent before the change reaches the party now holding it
  const recall = await send(gw, SENDER, doc(201, [MERGED_PROVINCE], { businessType: '1' }))
  t.same(
    recall.recipients.map((r) => [r.organId, r.redirect?.addressedTo]),
    [[PROVINCE, MERGED_PROVINCE]],
  )
  await eventually(async () => (await inbox(gw, PROVINCE)).some((i) => i.documentUuid === recall.id), 30_000, 'the recall reaches the province')
  t.pass('recall delivered to the successor')

  // the document that was in flight when the table was applied: re-planned to the successor commune
  await eventually(async () => (await inbox(gw, NEW_COMMUNE)).some((i) => i.documentUuid === inFlight.id), 30_000, 'in-flight document reaches the new commune')
  const inFlightTl = await timeline(gw, inFlight.id)
  t.equal(legOf(inFlightTl, OLD_COMMUNE)?.status, 'MOVED', 'the closed commune leg says where it went')
  t.ok(
    legOf(inFlightTl, NEW_COMMUNE)?.timeline.some((e) => e.status === 'REDIRECTED'),
    'the new commune leg shows the redirection',
  )
  t.equal((await inbox(gw, NEW_COMMUNE)).find((i) => i.documentUuid === inFlight.id)?.addressedTo, OLD_COMMUNE)

  // SOAP says the same: SendDocument's recipient carries addressedTo
  const soapClient = await soap.createClientAsync(`${gw.url}/soap?wsdl`)
  soapClient.setSecurity(new soap.BearerSecurity(gw.creds[SENDER]!))
  const [soapSent] = await (soapClient as unknown as { SendDocumentAsync(a: object): Promise<[{ recipient: unknown }]> }).SendDocumentAsync({
    package: Buffer.from(doc(306, [DISTRICT])).toString('base64'),
  })
  t.match([soapSent.recipient].flat(), [{ organId: PROVINCE, addressedTo: DISTRICT }], 'the SOAP answer names the closed code it was addressed to')

  // a replayed record (at-least-once) of a document routed before the change: the successor gets no second copy
  const row = (
    await gw.rt.db.query<{ document_id: string; sha256: string; size: string; content_type: string; accepted_at: Date }>(
      'select document_id, sha256, size, content_type, accepted_at from documents where id = $1',
      [early.id],
    )
  ).rows[0]!
  await gw.rt.bus.send(gw.rt.topics.documents, [
    {
      key: SENDER,
      value: {
        id: early.id,
        from: SENDER,
        documentId: row.document_id,
        to: [MERGED_PROVINCE],
        sha256: row.sha256,
        size: Number(row.size),
        contentType: row.content_type,
        acceptedAt: new Date(row.accepted_at).toISOString(),
      },
    },
  ])
  const marker = await send(gw, SENDER, doc(305, [PROVINCE])) // same key, same partition: routed after the replay
  await eventually(async () => legOf(await timeline(gw, marker.id), PROVINCE)?.timeline.some((e) => e.status === 'ROUTED'), 30_000, 'the marker routed')
  t.same(
    (await timeline(gw, early.id)).recipients.map((r) => r.organId),
    [MERGED_PROVINCE],
    'the replay adds no leg to the successor',
  )

  // a commune closing tomorrow: a document accepted today (just before the effective date) keeps its recipient
  const tomorrow = new Date(Date.now() + 7 * 3600_000 + 86_400_000).toISOString().slice(0, 10)
  const later = await gw.call('operator', 'POST', '/v1/ops/succession', `old,successor,effective\n${LATER_COMMUNE},${NEW_COMMUNE},${tomorrow}\n`, { 'content-type': 'text/csv' })
  t.equal(later.status, 200, await later.clone().text())
  const before = await send(gw, SENDER, doc(304, [LATER_COMMUNE]))
  t.same(
    before.recipients.map((r) => [r.organId, r.redirect]),
    [[LATER_COMMUNE, undefined]],
  )
  const laterTl = await eventually(
    async () => {
      const x = await timeline(gw, before.id)
      return legOf(x, LATER_COMMUNE)?.status === 'DELIVERED' ? x : null
    },
    30_000,
    'delivered as addressed',
  )
  t.same(
    laterTl.recipients.map((r) => r.organId),
    [LATER_COMMUNE],
  )

  // a closed From, past the grace period (30 days by default): refused with a clear code
  const fromClosed = await gw.call(MERGED_PROVINCE, 'POST', '/v1/documents', doc(401, [PROVINCE], { from: MERGED_PROVINCE }))
  t.equal(fromClosed.status, 422)
  const prob = (await fromClosed.json()) as { code: string; successors: string[] }
  t.same([prob.code, prob.successors], ['SENDER_CLOSED', [PROVINCE]])

  // a conflicting table is refused whole, and says which rows
  const bad = await gw.call(
    'operator',
    'POST',
    '/v1/ops/succession',
    `old,successor,effective\n${NEW_COMMUNE},${MERGED_PROVINCE},2026-01-01\n000.00.13.H41,000.00.99.H41,2026-01-01\n`,
    { 'content-type': 'text/csv' },
  )
  t.equal(bad.status, 422)
  const badProb = (await bad.json()) as { code: string; errors: { line: number; message: string }[] }
  t.equal(badProb.code, 'SUCCESSION_CONFLICT')
  t.same(
    badProb.errors.map((e) => e.line),
    [2, 3],
  )
  t.notOk(((await (await gw.call(SENDER, 'GET', '/v1/agencies/000.00.13.H41')).json()) as { closed?: unknown }).closed, 'nothing applied')
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lgsp-reform-'))
  t.teardown(() => fs.rmSync(tmp, { recursive: true, force: true }))
  const badFile = path.join(tmp, 'bad.csv')
  fs.writeFileSync(badFile, `old,successor,effective\n000.00.13.H41,000.00.99.H41,2026-01-01\n000.00.13.H41,${PROVINCE},2026-02-01\n`)
  const cliBad = await lgsp(['directory', 'succession', 'import', badFile], env)
  t.equal(cliBad.code, 1, 'the CLI refuses a conflicting table')
  t.match(cliBad.stderr, /conflict line 2: 000\.00\.13\.H41 is given several effective dates/, 'and names each conflicting row')
  t.notOk(((await (await gw.call(SENDER, 'GET', '/v1/agencies/000.00.13.H41')).json()) as { closed?: unknown }).closed, 'nothing applied from the CLI either')
})

t.test('refuse policy: 422 AGENCY_CLOSED naming the successor; a closed sender inside its grace period is accepted and flagged', async (t) => {
  const gw = await reformGateway(t, { closedRecipientPolicy: 'refuse', closedSenderGraceDays: 3650, webhookAllowPrivate: true })
  const r = await gw.call('operator', 'POST', '/v1/ops/succession', fixture('reform/change-table.tsv'), { 'content-type': 'text/tab-separated-values' })
  t.equal(r.status, 200)
  const refused = await gw.call(SENDER, 'POST', '/v1/documents', doc(501, [MERGED_PROVINCE, PROVINCE]))
  t.equal(refused.status, 422)
  const prob = (await refused.json()) as { code: string; successors: Record<string, string[]>; errors: { path: string; message: string }[] }
  t.equal(prob.code, 'AGENCY_CLOSED')
  t.same(prob.successors, { [MERGED_PROVINCE]: [PROVINCE] })
  t.match(prob.errors[0]!.message, /address its successor 000\.00\.00\.H41/)
  t.same(await inbox(gw, PROVINCE), [], 'nothing was sent to anyone')

  const flagged = await gw.call(MERGED_PROVINCE, 'POST', '/v1/documents', doc(502, [PROVINCE], { from: MERGED_PROVINCE }))
  t.equal(flagged.status, 202)
  const answer = (await flagged.json()) as Answer
  t.match(answer.senderClosed, { closedOn: '2025-07-01', successors: [PROVINCE] }, 'accepted inside the grace period, and the answer says so')

  // the successor answers for the closed sender's documents: it follows them, recalls them, reads their statuses
  const SO = '000.00.13.H41' // Sở TTTT Nghệ An, a demo agency with its demo key
  const sent = await send(gw, MERGED_PROVINCE, doc(503, [SO], { from: MERGED_PROVINCE }))
  t.equal((await gw.call(PROVINCE, 'GET', `/v1/documents/${sent.id}`)).status, 200, "the successor reads the closed sender's timeline")
  const soItem = await eventually(async () => (await inbox(gw, SO)).find((i) => i.documentUuid === sent.id), 30_000, 'delivered to the Sở')
  t.equal((await gw.call(SO, 'POST', `/v1/inbox/${soItem.id}/ack`)).status, 202)
  const statuses = await eventually(
    async () => {
      const r = (await (await gw.call(PROVINCE, 'GET', '/v1/status-inbox')).json()) as { items: { to: string; statusCode: string; documentUuid: string }[] }
      return r.items.find((i) => i.documentUuid === sent.id) ?? null
    },
    30_000,
    "the 01 for the closed sender reaches its successor's status inbox",
  )
  t.same([statuses.to, statuses.statusCode], [MERGED_PROVINCE, '01'])
  const recallBySuccessor = buildStatusXml({
    from: { organId: PROVINCE },
    responseFor: { organId: MERGED_PROVINCE, documentId: `${MERGED_PROVINCE},2026/11/23,503/UBND-VP` },
    statusCode: '13',
    description: 'Thu hồi',
    timestamp: new Date(),
  })
  const r13 = await gw.call(PROVINCE, 'POST', '/v1/status', recallBySuccessor)
  t.equal(r13.status, 202, 'the successor may recall what its predecessor sent')
  t.match(await r13.json(), { role: 'sender', recipients: [SO] }, "on the Sở's leg, as the sender's recall")

  // bindings, as the table says: carried to the successor, or disabled
  await gw.rt.db.tx(async (q) => {
    gw.creds[LATER_COMMUNE] = await saveClient(q, { id: `test:${LATER_COMMUNE}`, name: LATER_COMMUNE, role: 'client', organIds: [LATER_COMMUNE] })
  })
  const sub = await gw.call(SO, 'POST', '/v1/webhooks', JSON.stringify({ url: 'http://127.0.0.1:9/hook', events: ['document.delivered'], filter: { recipient: SO } }), {
    'content-type': 'application/json',
  })
  t.equal(sub.status, 201, await sub.clone().text())
  const YEN_THANH = '000.00.31.H41' // demo district with a demo certificate in the trust store
  const table = `old,successor,effective,bindings\n${LATER_COMMUNE},${NEW_COMMUNE},2025-07-01,carry\n${SO},${PROVINCE},2025-07-01,disable\n${YEN_THANH},${PROVINCE},2025-07-01,carry\n`
  const dryB = (await (await gw.call('operator', 'POST', '/v1/ops/succession?dryRun=true', table, { 'content-type': 'text/csv' })).json()) as {
    closures: { organId: string; apiKeys: number; webhooks: number; certificates: { trustStore: number } }[]
  }
  t.same(
    dryB.closures.map((c) => [c.organId, c.apiKeys, c.webhooks, c.certificates.trustStore]),
    [
      [LATER_COMMUNE, 1, 0, 0],
      [SO, 1, 1, 1],
      [YEN_THANH, 1, 0, 1],
    ],
    'the dry run counts keys, webhooks and certificates bound to the closing codes',
  )
  t.equal((await gw.call('operator', 'POST', '/v1/ops/succession', table, { 'content-type': 'text/csv' })).status, 200)
  const keyOf = async (id: string) => (await gw.rt.db.query<{ organ_ids: string[]; disabled: boolean }>('select organ_ids, disabled from clients where id = $1', [id])).rows[0]!
  t.same(await keyOf(`test:${LATER_COMMUNE}`), { organ_ids: [LATER_COMMUNE, NEW_COMMUNE], disabled: false }, 'carry: the key may now act for the successor')
  t.same(await keyOf(`demo:${SO}`), { organ_ids: [], disabled: true }, 'disable: the code is taken off the key, left with none it is disabled')
  t.equal((await gw.call(SO, 'GET', '/v1/inbox')).status, 401)
  t.equal((await gw.rt.db.query('select 1 from webhook_subscriptions where filter_recipient = $1', [SO])).rowCount, 0, 'disable: webhooks filtered on it are removed')
  // carry: the closed district's key and certificate now act and sign for its successor
  const asSuccessor = await gw.call(YEN_THANH, 'POST', '/v1/documents', await gw.sign(YEN_THANH, doc(504, ['000.00.00.G22'], { from: PROVINCE })))
  t.equal(asSuccessor.status, 202, await asSuccessor.clone().text())
  t.match(await asSuccessor.json(), { signature: { signed: true } }, "verified against the successor's carried certificate binding")
  const notCarried = await gw.call(PROVINCE, 'POST', '/v1/documents', await gw.sign('000.22.31.H41', doc(505, ['000.00.00.G22'], { from: PROVINCE })))
  t.equal(((await notCarried.json()) as { code: string }).code, 'SIGNER_NOT_SENDER', 'a certificate that was not carried still cannot sign for the province')
})
