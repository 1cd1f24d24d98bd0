/**
 * The operator console in a real browser (playwright-core driving Debian's chromium) against a
 * real gateway (Kafka, PostgreSQL): log in with the operator key, see the queues, search a document, open
 * its timeline, and replay a real DLQ item (a push receiver that was down past max age, then comes up) until
 * the timeline shows it delivered. Screenshots of the run go to
 * console-*.png in helpers/browser.ts › SHOTS.
 * Skipped, saying why, when /usr/bin/chromium is absent (`apt-get install chromium`, scripts/system-deps.txt).
 */
import t from 'tap'
import path from 'node:path'
import fs from 'node:fs'
import { eventually, startGateway } from '../helpers/gateway.ts'
import { edoc, freePort } from '../helpers/federation.ts'
import { FAST_DLQ, pushReceiver } from '../helpers/ops.ts'
import { SHOTS, launchChromium, noChromium, viewReady } from '../helpers/browser.ts'

const SENDER = '000.00.00.H41'
const PUSHED = '000.23.30.H41'
const INBOX = '000.21.30.H41'
const CENTRAL = '000.00.00.G22'

t.test('console: log in, queues, search, timeline, DLQ replay end to end', { skip: noChromium }, async (t) => {
  const port = await freePort()
  const gw = await startGateway(t, FAST_DLQ)
  const receiver = pushReceiver(port)
  t.teardown(() => receiver.stop())
  t.equal(
    (
      await gw.call('operator', 'PUT', `/v1/agencies/${PUSHED}`, JSON.stringify({ name: 'UBND xã Quỳnh Lập', tier: 'commune', endpoint: `http://127.0.0.1:${port}/lienthong` }), {
        'content-type': 'application/json',
      })
    ).status,
    201,
  )

  // real data: a document whose push recipient is down (→ DLQ) and two that go through, one acknowledged
  const post = async (to: string[], no: number) => {
    const r = await gw.call(SENDER, 'POST', '/v1/documents', await gw.sign(SENDER, edoc(SENDER, to, no)))
    t.equal(r.status, 202)
    return ((await r.json()) as { id: string }).id
  }
  const failing = await post([PUSHED, INBOX], 125)
  await post([INBOX, CENTRAL], 126)
  await post([CENTRAL], 127)
  const inbox = await eventually(
    async () => {
      const r = (await (await gw.call(INBOX, 'GET', '/v1/inbox')).json()) as { items: { id: string }[] }
      return r.items.length === 2 ? r.items : null
    },
    20_000,
    'two documents in the commune inbox',
  )
  t.equal((await gw.call(INBOX, 'POST', `/v1/inbox/${inbox[0]!.id}/ack`)).status, 202)
  await eventually(
    async () => {
      const r = (await (await gw.call('operator', 'GET', '/v1/ops/dlq')).json()) as { items: { documentUuid: string }[] }
      return r.items.some((i) => i.documentUuid === failing)
    },
    20_000,
    'the DLQ item mirrored',
  )

  const { browser, newPage, errors } = await launchChromium(t)
  const page = await newPage()
  const ready = () => viewReady(page, 15_000)

  // log in
  const res = await page.goto(`${gw.url}/console/`)
  t.equal(res?.status(), 200)
  t.match(res?.headers()['content-security-policy'] ?? '', /script-src 'self'/)
  await page.fill('#key', 'not-a-key')
  await page.click('#login-form button')
  await page.waitForSelector('#login-error:not(:empty)')
  t.match(await page.textContent('#login-error'), /Khóa không hợp lệ/, 'a wrong key is refused')
  await page.fill('#key', gw.creds.operator!)
  await page.click('#login-form button')
  await ready()
  t.equal(await page.evaluate(() => sessionStorage.getItem('lgsp.operatorKey')), gw.creds.operator, 'the key is kept in sessionStorage')
  t.equal(await page.textContent('#view h1'), 'Hàng đợi')
  t.equal(await page.textContent('[data-tier="commune"] [data-k="inDlq"]'), '1', 'queues: one commune item in the DLQ')
  await page.screenshot({ path: path.join(SHOTS, 'console-queues.png'), fullPage: true })

  // search by DocumentId, open the timeline
  await page.click('nav a[data-view="search"]')
  await ready()
  await page.fill('#search-form input[name="q"]', '125/UBND')
  await page.click('#search-form button')
  await ready()
  t.equal(await page.locator('a.doc-link').count(), 1, 'one hit')
  await page.click('a.doc-link')
  await page.waitForSelector('#doc-id')
  await ready()
  t.match(await page.textContent('#doc-id'), /125\/UBND-VP/)
  t.equal(await page.locator('article.timeline').count(), 2, 'a timeline per recipient')
  t.match(await page.textContent(`article[data-recipient="${PUSHED}"]`), /Chuyển không thành công/)
  await page.screenshot({ path: path.join(SHOTS, 'console-timeline.png'), fullPage: true })

  // the DLQ: bring the receiver up, replay from the console, see it delivered
  await page.click('nav a[data-view="dlq"]')
  await ready()
  t.equal(await page.textContent('#view h1'), 'Hàng đợi lỗi (DLQ)')
  await page.screenshot({ path: path.join(SHOTS, 'console-dlq.png'), fullPage: true })
  await receiver.start()
  await page.click('button.replay')
  await page.waitForFunction(() => document.querySelector('#status-line')?.textContent?.startsWith('Đã phát lại'))
  await ready()
  t.equal(await page.locator('button.replay').count(), 0, 'the DLQ is empty after the replay')
  await page.goto(`${gw.url}/console/#/doc/${failing}`)
  await ready()
  await eventually(
    async () => {
      await page.reload()
      await ready()
      return /Đã đến/.test((await page.textContent(`article[data-recipient="${PUSHED}"] h3`)) ?? '')
    },
    20_000,
    'the timeline shows 01 "Đã đến" after the replay',
  )
  t.match(await page.textContent(`article[data-recipient="${PUSHED}"]`), /Vận hành đã phát lại/)
  t.equal(receiver.hits.filter((h) => h.key === `${failing}:${PUSHED}`).length, 1, 'the receiver got the document exactly once')
  await page.screenshot({ path: path.join(SHOTS, 'console-replayed.png'), fullPage: true })

  // the document systems on the national axis' protocol: one demo system per agency, names beside codes, no secret
  await page.click('nav a[data-view="vxp"]')
  await ready()
  const vxp = (await page.textContent('#view')) ?? ''
  t.match(vxp, /Hệ thống kết nối trục VXP/)
  t.match(
    await page.textContent('#view tr[data-vxp="demo.000.21.30.H41"] td:nth-child(3)'),
    /^UBND xã Quỳnh Thạch — 000\.21\.30\.H41 · Xã$/,
    'the agency a system acts for, by name',
  )
  t.ok((await page.locator('#view tr[data-vxp]').count()) >= 2, 'the demo systems are listed')
  const creds = JSON.parse(fs.readFileSync(path.join(gw.rt.config.dataDir, 'demo-credentials.json'), 'utf8')) as { vxp: Record<string, { secret?: string }> }
  for (const sys of Object.values(creds.vxp)) if (sys.secret) t.notOk(vxp.includes(sys.secret), 'no secret on the page')
  await page.screenshot({ path: path.join(SHOTS, 'console-vxp.png'), fullPage: true })

  // the rest of the console renders with real data
  for (const view of ['webhooks', 'directory', 'log']) {
    await page.click(`nav a[data-view="${view}"]`)
    await ready()
  }
  await page.click('#verify')
  await page.waitForSelector('#verify-out .ok')
  t.match(await page.textContent('#verify-out'), /Toàn vẹn/)
  await page.click('nav a[data-view="directory"]')
  await ready()
  t.match(await page.textContent('#view'), /Danh bạ cơ quan/)

  // readable on a phone: the queue view at 390 px wide
  const phone = await browser.newPage({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 1, isMobile: true, locale: 'vi-VN' })
  await phone.goto(`${gw.url}/console/`)
  await phone.fill('#key', gw.creds.operator!)
  await phone.click('#login-form button')
  await viewReady(phone)
  const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)
  t.ok(overflow <= 0, `no horizontal scrolling on a phone (${overflow} px)`)
  await phone.screenshot({ path: path.join(SHOTS, 'console-phone.png'), fullPage: true })
  t.same(errors, [], 'no script errors in the page')
})
