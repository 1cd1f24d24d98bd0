/**
 * Directory: the real `lgsp directory import` CLI imports a provincial hub directory in the shape of the
 * Tây Ninh one (test/fixtures/directory/province-h53.tsv, written for the project: 65 lines → 61 agencies
 * after its duplicates and one malformed code) into a running gateway through the API; the
 * directory API filters, pages, changes and deletes; routing sees every change at once; the boot wiring
 * check names what is missing.
 */
import t from 'tap'
import path from 'node:path'
import { execFile } from 'node:child_process'
import { ROOT, fixture, startGateway } from '../helpers/gateway.ts'
import { checkWiring, wiringProblems } from '../../src/adapters/index.ts'
import { upsertAgencies } from '../../src/store/directory-repo.ts'

const TSV = 'test/fixtures/directory/province-h53.tsv' // relative to the project root, as a user types it

/** The real CLI in its own process (async: the gateway under test runs in this process's event loop). */
function lgsp(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [path.join(ROOT, 'bin/lgsp.mjs'), ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, ...env }, timeout: 120_000 }, (error, out, err) =>
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, out, err }),
    )
  })
}

interface Page {
  total: number
  items: { organId: string; name: string; tier: string; parent: string | null }[]
}

t.test('lgsp directory import loads a provincial directory through the API', async (t) => {
  const gw = await startGateway(t)
  const before = gw.rt.directory().size

  // refused without an operator key: a client key is not enough
  const denied = await lgsp(['directory', 'import', TSV, '--url', gw.url, '--key', gw.creds['000.21.30.H41']!])
  t.equal(denied.code, 1, 'a client key is refused')
  t.match(denied.err, /403 FORBIDDEN/)

  const dry = await lgsp(['directory', 'import', TSV, '--url', gw.url, '--key', gw.creds.operator!, '--dry-run'])
  t.equal(dry.code, 0, dry.err)
  t.equal(gw.rt.directory().size, before, 'a dry run changes nothing')

  const t0 = Date.now()
  // LGSP_URL / LGSP_KEY instead of flags
  const r = await lgsp(['directory', 'import', TSV], { LGSP_URL: gw.url, LGSP_KEY: gw.creds.operator! })
  const ms = Date.now() - t0
  t.equal(r.code, 0, r.err)
  const report = JSON.parse(r.out) as { rows: number; imported: number; byTier: Record<string, number>; errors: { line: number; message: string }[]; warnings: unknown[] }
  t.equal(report.rows, 65, '65 data lines read')
  t.equal(report.imported, 61, '61 agencies imported')
  t.same(report.byTier, { central: 20, province: 16, district: 4, commune: 21 })
  t.equal(report.errors.length, 1, 'one malformed line')
  t.equal(report.errors[0]!.line, 64)
  t.match(report.errors[0]!.message, /000\.1137\.H53/)
  t.equal(report.warnings.length, 3, 'three duplicates reported as warnings')
  t.match(r.err, /61 of 65 rows imported/)
  t.comment(`CLI import of 65 lines: ${ms} ms (process start included)`)

  // the demo directory shares G14 and G22 with the file
  const all = (await (await gw.call('operator', 'GET', '/v1/agencies?limit=1')).json()) as Page
  t.equal(all.total, gw.rt.directory().size)
  t.ok(all.total >= 61, `${all.total} agencies in the directory`)

  // filters and paging
  const communes = (await (await gw.call('000.21.30.H41', 'GET', '/v1/agencies?parent=000.00.31.H53&tier=commune&limit=5')).json()) as Page
  t.ok(communes.total > 5, `${communes.total} communes under Bến Cầu`)
  t.equal(communes.items.length, 5)
  t.ok(communes.items.every((a) => a.parent === '000.00.31.H53' && a.tier === 'commune'))
  const page2 = (await (await gw.call('000.21.30.H41', 'GET', '/v1/agencies?parent=000.00.31.H53&tier=commune&limit=5&offset=5')).json()) as Page
  t.notOk(
    page2.items.some((a) => communes.items.some((b) => b.organId === a.organId)),
    'pages do not overlap',
  )
  const search = (await (await gw.call('000.21.30.H41', 'GET', `/v1/agencies?q=${encodeURIComponent('ben cau')}&tier=district`)).json()) as Page
  t.equal(search.items[0]?.organId, '000.00.31.H53', 'diacritic-insensitive search finds UBND huyện Bến Cầu')
  const one = await gw.call('000.21.30.H41', 'GET', '/v1/agencies/000.21.31.H53')
  t.equal(one.status, 200)
  t.equal(((await one.json()) as { tier: string }).tier, 'commune')
  t.equal((await gw.call('000.21.30.H41', 'GET', '/v1/agencies/000.99.31.H53')).status, 404)

  // routing sees the imported directory at once: the demo commune can now send to a Tây Ninh commune
  const doc = fixture('demo/commune-to-province.edxml')
    .toString('utf8')
    .replace('<edXML:OrganId>000.00.00.H41</edXML:OrganId>', '<edXML:OrganId>000.21.31.H53</edXML:OrganId>')
    .replace('125/UBND-VP', '901/UBND-VP')
  const sent = await gw.call('000.21.30.H41', 'POST', '/v1/documents', await gw.sign('000.21.30.H41', doc))
  t.equal(sent.status, 202, 'a newly imported agency is routable')
  t.match(await sent.json(), { recipients: [{ organId: '000.21.31.H53', tier: 'commune' }, { organId: '000.00.00.G22' }] })

  const get = await lgsp(['directory', 'get', '000.00.31.H53', '--url', gw.url, '--key', gw.creds.operator!])
  t.equal(get.code, 0)
  t.match(JSON.parse(get.out), { organId: '000.00.31.H53', tier: 'district' })
})

t.test('PUT and DELETE change the directory and routing (operator only)', async (t) => {
  const gw = await startGateway(t)
  const put = (who: string, id: string, body: unknown) => gw.call(who, 'PUT', `/v1/agencies/${id}`, JSON.stringify(body), { 'content-type': 'application/json' })
  t.equal((await put('000.21.30.H41', '000.23.30.H41', { name: 'UBND xã Quỳnh Lập', tier: 'commune' })).status, 403, 'client keys may not change the directory')

  const created = await put('operator', '000.23.30.H41', { name: 'UBND xã Quỳnh Lập', tier: 'commune', endpoint: 'http:http://127.0.0.1:9/inbox' })
  t.equal(created.status, 201)
  t.match(await created.json(), { organId: '000.23.30.H41', parent: '000.00.30.H41', endpoint: { kind: 'http', url: 'http://127.0.0.1:9/inbox' }, enabled: true })
  const replaced = await put('operator', '000.23.30.H41', { name: 'UBND xã Quỳnh Lập', tier: 'commune', endpoint: { kind: 'soap', url: 'http://127.0.0.1:9/soap' } })
  t.equal(replaced.status, 200)
  t.equal(gw.rt.directory().get('000.23.30.H41')?.endpoint.kind, 'soap', 'the snapshot was reloaded')

  const bad = await put('operator', '000.23.30.h41', { name: 'x', tier: 'commune' })
  t.equal(bad.status, 422)
  t.equal(((await bad.json()) as { code: string }).code, 'INVALID_AGENCY_CODE')
  const badEndpoint = await put('operator', '000.24.30.H41', { name: 'x', tier: 'commune', endpoint: 'ftp://x' })
  t.equal(((await badEndpoint.json()) as { code: string }).code, 'BAD_REQUEST')
  const noPeer = await put('operator', '000.00.00.H53', { name: 'UBND tỉnh Tây Ninh', tier: 'province', gateway: 'http://127.0.0.1:9' })
  t.equal(noPeer.status, 422)
  t.equal(((await noPeer.json()) as { code: string }).code, 'UNKNOWN_GATEWAY', 'a gateway without peer credentials is refused')

  t.equal((await gw.call('000.21.30.H41', 'DELETE', '/v1/agencies/000.23.30.H41')).status, 403)
  t.equal((await gw.call('operator', 'DELETE', '/v1/agencies/000.23.30.H41')).status, 204)
  t.equal((await gw.call('operator', 'DELETE', '/v1/agencies/000.23.30.H41')).status, 404)
  t.notOk(gw.rt.directory().has('000.23.30.H41'))

  // JSON import with overrides, through the API
  const imp = await gw.call(
    'operator',
    'POST',
    '/v1/agencies/import?override=000.00.00.A01%3Dcentral',
    JSON.stringify({
      agencies: [
        { organId: '000.00.00.A01', name: 'Ban Tổ chức Trung ương' },
        { organId: '000.00.05.A01', name: 'Vụ Tổ chức' },
        { organId: 'bad', name: 'x' },
      ],
    }),
    { 'content-type': 'application/json' },
  )
  t.equal(imp.status, 200)
  t.match(await imp.json(), { imported: 2, byTier: { central: 2 }, errors: [{ path: '/agencies/2' }] })
})

t.test('boot wiring check: every endpoint kind has an adapter and every forward target a peer key', async (t) => {
  const gw = await startGateway(t)
  t.same(wiringProblems(gw.rt, gw.rt.directory()), [], 'the demo directory is wired')
  // written behind the API's back (as an old database or a manual fix could)
  await upsertAgencies(gw.rt.db, [
    {
      organId: '000.00.00.H53',
      name: 'UBND tỉnh Tây Ninh',
      tier: 'province',
      parent: null,
      gateway: 'http://h53.example',
      endpoint: { kind: 'inbox' },
      certificates: [],
      enabled: true,
    },
    { organId: '000.00.01.H53', name: 'x', tier: 'province', parent: '000.00.00.H53', gateway: null, endpoint: { kind: 'fax' as 'inbox' }, certificates: [], enabled: true },
  ])
  await gw.rt.reloadDirectory()
  t.throws(() => checkWiring(gw.rt), /no credentials for gateway http:\/\/h53\.example.*PEERS[\s\S]*no delivery adapter for endpoint kind "fax"/)
})
