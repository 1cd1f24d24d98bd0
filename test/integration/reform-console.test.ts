/**
 * The console's directory view shows the agency lifecycle of the 2025 reorganisation: a closed code stays
 * listed with its date and successors, and the view filters on active / closed. Real browser (Debian's
 * chromium through playwright-core), real gateway; skipped, saying why, when chromium is absent.
 */
import t from 'tap'
import path from 'node:path'
import { fixture, startGateway } from '../helpers/gateway.ts'
import { launchChromium, noChromium, SHOTS, viewReady } from '../helpers/browser.ts'

t.test('console: closed agencies in the directory view', { skip: noChromium }, async (t) => {
  const gw = await startGateway(t)
  t.equal((await gw.call('operator', 'POST', '/v1/agencies/import', fixture('reform/directory-before.tsv'), { 'content-type': 'text/tab-separated-values' })).status, 200)
  t.equal((await gw.call('operator', 'POST', '/v1/ops/succession', fixture('reform/change-table.tsv'), { 'content-type': 'text/tab-separated-values' })).status, 200)

  // names beside codes (every table of the console) say a code is closed, since when, and who took over
  const names = (await (await gw.call('operator', 'GET', '/v1/ops/agency-names?codes=000.00.00.H97,000.00.00.H41')).json()) as { items: Record<string, unknown> }
  t.match(
    names.items['000.00.00.H97'],
    { known: true, name: 'UBND tỉnh Sông Lam', closed: true, closedOn: '2025-07-01', successors: [{ organId: '000.00.00.H41', name: String }] },
    'a closed code: date and successor, named',
  )
  t.match(names.items['000.00.00.H41'], { known: true, closed: false }, 'its successor: active')
  t.notOk('successors' in (names.items['000.00.00.H41'] as object), 'an active agency has no successors')

  const { newPage, errors } = await launchChromium(t)
  const page = await newPage()
  await page.goto(`${gw.url}/console/`)
  await page.fill('#key', gw.creds.operator!)
  await page.click('#login-form button')
  await viewReady(page)

  await page.goto(`${gw.url}/console/#/directory?status=closed`)
  await viewReady(page)
  t.match(await page.textContent('#view'), /4 cơ quan/, 'only the closed agencies')
  const text = (await page.textContent('#view table')) ?? ''
  t.match(text, /UBND tỉnh Sông Lam.*Đã đóng từ 2025-07-01 → 000\.00\.00\.H41/s, 'the closed province with its date and successor')
  t.notMatch(text, /Đang hoạt động/, 'no active agency listed')
  await page.goto(`${gw.url}/console/#/directory?q=Lam%20S%C6%A1n`)
  await page.waitForFunction(() => /UBND xã Lam Sơn/.test(document.querySelector('#view')?.textContent ?? ''))
  t.match(await page.textContent('#view table'), /UBND xã Lam Sơn.*Xã.*000\.00\.00\.H41.*Đang hoạt động/s, 'the new commune, directly under the province, active')
  await page.screenshot({ path: path.join(SHOTS, 'console-directory-closed.png'), fullPage: true })
  t.same(errors, [], 'no script errors in the page')
})
