/**
 * The console for the night shift in a real browser (playwright-core driving Debian's chromium) against a
 * real gateway on a Kafka broker of its own (so the test can stop it) and PostgreSQL:
 * - documents sent to four tiers, some of their timeline moved 3 and 7 minutes back (the clock moved),
 *   then the queue charts per tier plot, bucket for bucket, what the ledger counts — per minute over the
 *   last hour and per 10 minutes over the last day — with time labels in the browser's time zone;
 * - a table row shows the agency's name beside its code;
 * - the health strip turns Kafka red within 10 s of the broker stopping, the alerts page says what to do,
 *   and the strip is green again once the broker is back.
 * Screenshots go to SHOTS (helpers/browser.ts): console-{charts,names,health-down,alerts,health-back,charts-phone}.png.
 * Skipped, saying why, when /usr/bin/chromium is absent (`apt-get install chromium`, scripts/system-deps.txt).
 */
import t from 'tap'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { spawnSync } from 'node:child_process'
import { ROOT, eventually, startGateway } from '../helpers/gateway.ts'
import { edoc, freePort } from '../helpers/federation.ts'
import { recountMinutes } from '../../src/ops/history.ts'
import { SHOTS, launchChromium, noChromium, viewReady } from '../helpers/browser.ts'

const SENDER = '000.00.00.H41'
const COMMUNE = '000.21.30.H41' // UBND xã Quỳnh Thạch
const CENTRAL = '000.00.00.G22'
const DISTRICT = '000.00.30.H41'
const PROVINCE = '000.00.13.H41'

/** A broker of this test's own (deploy/kafka/start.sh with its own data dir and ports), so it can be stopped. */
async function ownBroker() {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lgsp-night-kafka-'))
  const env = {
    ...process.env,
    KAFKA_DATA_DIR: dataDir,
    KAFKA_PORT: String(await freePort()),
    KAFKA_CONTROLLER_PORT: String(await freePort()),
    KAFKA_HEAP_OPTS: '-Xms256m -Xmx256m',
  }
  const run = (script: string) => {
    const r = spawnSync('bash', [path.join(ROOT, 'deploy/kafka', script)], { env, encoding: 'utf8', timeout: 180_000 })
    if (r.status !== 0) throw new Error(`${script} failed: ${r.stderr}`)
    return r.stdout
  }
  const brokers = /KAFKA_BROKERS=(\S+)/.exec(run('start.sh'))![1]!
  return { brokers, start: () => run('start.sh'), stop: () => run('stop.sh'), remove: () => fs.rmSync(dataDir, { recursive: true, force: true }) }
}

t.test('night shift: charts match the ledger, names beside codes, the health strip follows the broker', { timeout: 360_000, skip: noChromium }, async (t) => {
  const broker = await ownBroker()
  const gw = await startGateway(t, { kafkaBrokers: [broker.brokers], opsHistorySampleMs: 1000, kafkaProduceTimeoutMs: 2000 })
  t.teardown(async () => {
    await gw.stop()
    broker.stop()
    broker.remove()
  }) // the gateway first: it leaves its groups while the broker is up
  // documents to every tier; wait until every leg is delivered
  const sent: { id: string; shiftMinutes: number }[] = []
  const post = async (to: string[], no: number, shiftMinutes: number) => {
    const r = await gw.call(SENDER, 'POST', '/v1/documents', await gw.sign(SENDER, edoc(SENDER, to, no)))
    t.equal(r.status, 202)
    sent.push({ id: ((await r.json()) as { id: string }).id, shiftMinutes })
  }
  for (let i = 0; i < 3; i++) await post([COMMUNE, CENTRAL], 400 + i, 7)
  for (let i = 0; i < 2; i++) await post([DISTRICT], 410 + i, 3)
  for (let i = 0; i < 2; i++) await post([COMMUNE, PROVINCE], 420 + i, 0)
  const legs = async () => (await gw.rt.db.query<{ status: string; n: number }>(`select status, count(*)::int as n from deliveries group by status`)).rows
  await eventually(
    async () => {
      const l = await legs()
      return l.length === 1 && l[0]!.status === 'DELIVERED' && l[0]!.n === 12
    },
    90_000,
    'all 12 legs delivered (a fresh broker first elects its group coordinators)',
  ).catch(async (e) => {
    throw new Error(`${e.message}: ${JSON.stringify(await legs())}`)
  })
  // the clock moved: these documents were accepted and delivered minutes ago; the history is recounted from an hour back
  for (const s of sent.filter((x) => x.shiftMinutes)) {
    await gw.rt.db.query(`update delivery_events set at = at - make_interval(mins => $2) where document_uuid = $1`, [s.id, s.shiftMinutes])
  }
  await recountMinutes(gw.rt.db, new Date(Date.now() - 3_600_000))

  /** the ledger's counts, bucketed exactly as the chart whose first bucket starts at `from` */
  const ledgerBuckets = async (from: number, stepSeconds: number, points: number) => {
    const rows = (
      await gw.rt.db.query<{ tier: string; status: string; at: Date }>(
        `select d.tier, e.status, e.at from delivery_events e join deliveries d using (document_uuid, recipient) where e.status in ('ACCEPTED', 'DELIVERED', 'FORWARDED', 'DELIVERY_FAILED')`,
      )
    ).rows
    const out: Record<string, number[]> = {}
    for (const tier of ['central', 'province', 'district', 'commune']) for (const k of ['accepted', 'delivered', 'failed']) out[`${tier}.${k}`] = new Array<number>(points).fill(0)
    for (const r of rows) {
      const i = Math.floor((new Date(r.at).getTime() - from) / (stepSeconds * 1000))
      const k = r.status === 'ACCEPTED' ? 'accepted' : r.status === 'DELIVERY_FAILED' ? 'failed' : 'delivered'
      if (i >= 0 && i < points) out[`${r.tier}.${k}`]![i]!++
    }
    return out
  }

  const { browser, newPage, errors } = await launchChromium(t)
  const page = await newPage({ width: 1280, height: 900 })
  const ready = () => viewReady(page, 20_000)
  await page.goto(`${gw.url}/console/`)
  await page.fill('#key', gw.creds.operator!)
  await page.click('#login-form button')
  await ready()

  // the charts: every tier's plotted points are the ledger's counts, on the hour and on the day
  const plotted = () =>
    page.evaluate(() => {
      const svgs = [...document.querySelectorAll('#charts [data-chart-tier] svg.chart')]
      const first = svgs[0]!
      const series: Record<string, number[]> = {}
      for (const el of svgs) {
        const tier = el.closest('[data-chart-tier]')!.getAttribute('data-chart-tier')!
        for (const p of el.querySelectorAll('path[data-series]')) series[`${tier}.${p.getAttribute('data-series')}`] = p.getAttribute('data-values')!.split(',').map(Number)
      }
      return {
        from: Date.parse(first.getAttribute('data-from')!),
        step: Number(first.getAttribute('data-step')),
        series,
        ticks: [...document.querySelectorAll('#chart-commune .tick text')].map((x) => x.textContent),
        caption: document.querySelector('#chart-commune figcaption')!.textContent,
      }
    })
  for (const range of ['1h', '24h'] as const) {
    if (range === '24h') {
      await page.click('a.chip[data-range="24h"]')
      await page.waitForSelector('#charts[data-range="24h"] svg.chart')
      await ready()
    }
    const p = await plotted()
    t.equal(p.step, range === '1h' ? 60 : 600, `${range}: bucket size`)
    const points = range === '1h' ? 60 : 144
    const want = await ledgerBuckets(p.from, p.step, points)
    t.same(p.series, want, `${range}: every tier's chart plots the ledger's counts bucket for bucket`)
    const total = (k: string) => p.series[k]!.reduce((a, b) => a + b, 0)
    t.equal(total('commune.accepted'), 5, `${range}: five documents accepted for the commune`)
    t.equal(total('district.delivered'), 2, `${range}: two delivered to the district`)
    if (range === '1h') t.ok(p.series['commune.accepted']!.filter((v) => v > 0).length >= 2, `${range}: the commune's documents fall in different minutes (moved back 7 minutes)`)
    t.ok(p.ticks.length >= 3, `${range}: time labels on the x axis (${p.ticks.join(' ')})`)
    t.match(p.caption, /Asia\/Ho_Chi_Minh \(UTC\+7\)/, `${range}: the time zone of the browser is named`)
    // labels are the browser's local clock: Asia/Ho_Chi_Minh is UTC+7
    const firstTick = p.ticks[0]!
    const hcm = new Intl.DateTimeFormat('vi-VN', { timeZone: 'Asia/Ho_Chi_Minh', hour: '2-digit', minute: '2-digit', hour12: false })
    const expectedLabels = new Set(Array.from({ length: points }, (_, i) => hcm.format(p.from + i * p.step * 1000)))
    t.ok(expectedLabels.has(firstTick), `${range}: ${firstTick} is a Ho Chi Minh City time of the range`)
    t.ok((await page.locator('#chart-lag path[data-series="commune.lag"]').count()) === 1, `${range}: a lag chart per tier`)
    if (range === '1h') await page.locator('#charts').screenshot({ path: path.join(SHOTS, 'console-charts.png') })
  }

  // names beside codes: the search results and the timeline
  await page.goto(`${gw.url}/console/#/search?q=420%2FUBND`)
  await ready()
  t.equal(await page.textContent(`#results .organ[data-organ="${COMMUNE}"] .organ-name`), 'UBND xã Quỳnh Thạch', 'the search row names the commune beside its code')
  t.match(await page.textContent(`#results .organ[data-organ="${COMMUNE}"]`), /^UBND xã Quỳnh Thạch — 000\.21\.30\.H41 · Xã$/, 'the name, the code and the tier, nothing after')
  t.match(await page.textContent(`#results .organ[data-organ="${SENDER}"]`), /UBND tỉnh Nghệ An — 000\.00\.00\.H41/)
  await page.screenshot({ path: path.join(SHOTS, 'console-names.png'), fullPage: true })
  await page.click('a.doc-link')
  await page.waitForSelector('#doc-id')
  await ready()
  t.match(await page.textContent(`article[data-recipient="${PROVINCE}"] h3`), /Sở Thông tin và Truyền thông Nghệ An — 000\.00\.13\.H41/, 'the timeline names the recipient')

  // the health strip: Kafka green, then red within 10 s of the broker stopping, then green again
  await page.goto(`${gw.url}/console/#/queues`)
  await ready()
  await page.waitForSelector('#health [data-health="kafka"][data-state="ok"]')
  t.match(await page.getAttribute('#health [data-health="kafka"]', 'title'), /broker/, 'the reason on hover')
  t.ok(await page.locator('#health [data-health="database"][data-state="ok"]').count(), 'the database light')
  t.match(await page.textContent('#status-line'), /^Kiểm tra lúc \S.* · /, 'the footer says when the strip was checked')
  broker.stop()
  const stoppedAt = Date.now()
  await page.waitForSelector('#health [data-health="kafka"][data-state="bad"]', { timeout: 10_000 })
  const redAfter = Date.now() - stoppedAt
  t.ok(redAfter <= 10_000, `Kafka turned red ${redAfter} ms after the broker stopped`)
  t.match(await page.getAttribute('#health [data-health="kafka"]', 'title'), /Kafka không trả lời/)
  await page.waitForFunction(() => /cần chú ý/.test(document.querySelector('#status-line')?.textContent ?? ''), undefined, { timeout: 10_000 }).catch(() => {})
  t.match(await page.textContent('#status-line'), /^Kiểm tra lúc \S.* · có thành phần cần chú ý/, 'the footer says something needs attention')
  await page.screenshot({ path: path.join(SHOTS, 'console-health-down.png') })
  await page.click('#health [data-health="kafka"]')
  await page.waitForSelector('#view[data-view="alerts"][data-ready="1"]', { timeout: 20_000 })
  t.match(await page.textContent('[data-alert="KafkaDown"]'), /Cần làm:.*broker/, 'the alerts page says what to do')
  await page.screenshot({ path: path.join(SHOTS, 'console-alerts.png'), fullPage: true })
  broker.start()
  const startedAt = Date.now()
  await page.waitForSelector('#health [data-health="kafka"][data-state="ok"]', { timeout: 30_000 })
  t.comment(`Kafka green again ${Date.now() - startedAt} ms after the broker was ready`)
  await page.reload() // the page is on #/alerts already: a reload shows it afresh
  await ready()
  t.equal(await page.locator('[data-alert="KafkaDown"]').count(), 0, 'the Kafka alert is gone')
  await page.screenshot({ path: path.join(SHOTS, 'console-health-back.png') })

  // the charts on a phone: no horizontal scrolling
  const phone = await browser.newPage({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 1, isMobile: true, locale: 'vi-VN', timezoneId: 'Asia/Ho_Chi_Minh' })
  await phone.goto(`${gw.url}/console/`)
  await phone.fill('#key', gw.creds.operator!)
  await phone.click('#login-form button')
  await viewReady(phone, 20_000)
  await phone.waitForSelector('#charts svg.chart')
  const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)
  t.ok(overflow <= 0, `no horizontal scrolling on a phone (${overflow} px)`)
  await phone.screenshot({ path: path.join(SHOTS, 'console-charts-phone.png'), fullPage: true })
  t.same(errors, [], 'no script errors in the page')
})
