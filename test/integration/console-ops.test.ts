/**
 * The night-shift ops API against a real gateway (Kafka, PostgreSQL): the health strip in one call, names
 * beside codes, the time-bucketed history (counts equal to the ledger's, unchanged by a restart and by
 * sampling twice), the alerts with what to do, and the Prometheus alerting rules in deploy/prometheus
 * (checked by promtool when installed, always parsed here, and every metric they read is exported).
 */
import t from 'tap'
import fs from 'node:fs'
import path from 'node:path'
import { spawnSync } from 'node:child_process'
import YAML from 'yaml'
import { ROOT, eventually, startGateway } from '../helpers/gateway.ts'
import { edoc, freePort } from '../helpers/federation.ts'
import { FAST_DLQ, scrape } from '../helpers/ops.ts'
import { createRuntime } from '../../src/runtime.ts'
import { historyView, sampleHistory, type HistoryView } from '../../src/ops/history.ts'
import { ALERTS } from '../../src/ops/alerts.ts'

const RULES = path.join(ROOT, 'deploy/prometheus/lgsp-alerts.yml')
const SENDER = '000.00.00.H41'
const COMMUNE = '000.21.30.H41'
const CENTRAL = '000.00.00.G22'
const PUSHED = '000.22.31.H41'

interface Rule {
  alert: string
  expr: string
  for?: string
  labels: Record<string, string>
  annotations: Record<string, string>
}

t.test('alerting rules: promtool accepts them, each names a console alert, each metric they read is exported', async (t) => {
  const promtool = ['/usr/bin/promtool', '/usr/local/bin/promtool'].find((p) => fs.existsSync(p))
  if (promtool) {
    const r = spawnSync(promtool, ['check', 'rules', RULES], { encoding: 'utf8' })
    t.equal(r.status, 0, `promtool check rules: ${r.stdout}${r.stderr}`)
  } else t.comment('promtool absent (apt-get install prometheus): the rules are only parsed')
  const rules = (YAML.parse(fs.readFileSync(RULES, 'utf8')) as { groups: { rules: Rule[] }[] }).groups.flatMap((g) => g.rules)
  t.ok(rules.length >= Object.keys(ALERTS).length)
  for (const r of rules) {
    t.match(r.labels.severity, /^(critical|warning)$/, `${r.alert}: severity`)
    t.ok(r.labels.alert_id! in ALERTS, `${r.alert}: alert_id ${r.labels.alert_id} is a console alert`)
    t.ok(r.annotations.summary && r.annotations.action, `${r.alert}: summary and what to do`)
  }
  t.same(new Set(rules.map((r) => r.labels.alert_id)), new Set(Object.keys(ALERTS)), 'every console alert has a rule, every rule a console alert')

  const gw = await startGateway(t)
  // lgsp_kafka_up is the last answer of the bus probe, which runs on a timer: on a loaded machine the first
  // scrape can come before its first answer, so scrape until it has one (within a bound)
  const { families } = await eventually(
    async () => {
      const s = await scrape(gw.url)
      return Number(s.families.get('lgsp_kafka_up')?.metrics[0]?.value) === 1 ? s : null
    },
    30_000,
    'the bus probe reported',
  ).catch(() => scrape(gw.url))
  const used = new Set(rules.flatMap((r) => [...r.expr.matchAll(/\blgsp_[a-z_]+/g)].map((m) => m[0])))
  for (const name of used) t.ok(families.has(name) || families.has(name.replace(/_(bucket|count|sum)$/, '')), `${name} is exported by /metrics`)
  const value = (name: string) => Number(families.get(name)?.metrics[0]?.value)
  t.equal(value('lgsp_kafka_up'), 1, 'Kafka is up')
  t.ok(value('lgsp_kafka_brokers') >= 1, 'brokers counted')
  t.ok(
    Number(families.get('lgsp_trust_certificate_expiry_timestamp_seconds')?.metrics.find((m) => m.labels?.kind === 'root')?.value) > Date.now() / 1000,
    'the root expires in the future',
  )
})

t.test('health, names, history and alerts through the ops API', async (t) => {
  const port = await freePort() // nothing listens here: pushes to it fail, then go to the DLQ
  // the test samples the history itself (sampleHistory below) and then writes minutes of its own: the
  // sampler's timer must not tick in between and overwrite the current minute with what it measures
  const gw = await startGateway(t, { ...FAST_DLQ, opsHistorySampleMs: 3_600_000 })
  const ops = async (p: string, who = 'operator') => {
    const r = await gw.call(who, 'GET', p)
    return { status: r.status, body: (await r.json()) as Record<string, unknown> }
  }
  t.ok(
    [200, 201].includes(
      (
        await gw.call('operator', 'PUT', `/v1/agencies/${PUSHED}`, JSON.stringify({ name: 'UBND xã Công Thành', tier: 'commune', endpoint: `http://127.0.0.1:${port}/x` }), {
          'content-type': 'application/json',
        })
      ).status,
    ),
    'a push recipient that is down',
  )

  // health: one call, every light, operators only
  t.equal((await ops('/v1/ops/health', SENDER)).status, 403, 'an agency key may not read the health strip')
  const health = (await ops('/v1/ops/health')).body as { state: string; items: { id: string; state: string; reason: string; link: string }[] }
  const light = (id: string) => health.items.find((i) => i.id === id)
  t.equal(light('kafka')?.state, 'ok', `Kafka: ${light('kafka')?.reason}`)
  t.match(light('kafka')?.reason, /broker/)
  t.equal(light('database')?.state, 'ok')
  t.equal(light('payloads')?.state, 'ok')
  t.ok(light('trust'), 'the trust store has a light')
  for (const i of health.items) t.ok(i.reason && i.link.startsWith('#/'), `${i.id}: a reason and a link`)

  // names beside codes, from the directory
  const names = (await ops(`/v1/ops/agency-names?codes=${COMMUNE},999.99.99.H99`)).body.items as Record<string, { known: boolean; name?: string; tier?: string; closed?: boolean }>
  t.same(names[COMMUNE], { known: true, name: 'UBND xã Quỳnh Thạch', tier: 'commune', closed: false })
  t.same(names['999.99.99.H99'], { known: false })

  // history: what the ledger holds, per tier and minute
  const post = async (to: string[], no: number) => t.equal((await gw.call(SENDER, 'POST', '/v1/documents', await gw.sign(SENDER, edoc(SENDER, to, no)))).status, 202)
  await post([COMMUNE, CENTRAL], 301)
  await post([COMMUNE], 302)
  await post([PUSHED], 303)
  await eventually(
    async () => {
      const r = (await ops('/v1/ops/dlq')).body as { items: unknown[] }
      return r.items.length === 1
    },
    20_000,
    'the failing push dead-lettered',
  )
  await eventually(async () => ((await ops('/v1/ops/deliveries/stuck?olderThanSeconds=0')).body.items as unknown[]).length === 0, 20_000, 'every leg settled')
  await sampleHistory(gw.rt)
  const ledger = async () =>
    (
      await gw.rt.db.query<{ series: string; n: number }>(
        `select d.tier || '.' || case e.status when 'ACCEPTED' then 'accepted' when 'DELIVERY_FAILED' then 'failed' else 'delivered' end as series, count(*)::int as n
     from delivery_events e join deliveries d using (document_uuid, recipient) where e.status in ('ACCEPTED', 'DELIVERED', 'FORWARDED', 'DELIVERY_FAILED') group by 1`,
      )
    ).rows
  const totals = (v: HistoryView) =>
    Object.fromEntries(
      Object.entries(v.series)
        .filter(([k]) => !/\.(lag|backlog|delivery)$/.test(k) && v.series[k]!.some((x) => x))
        .map(([k, vals]) => [k, vals.reduce<number>((a, x) => a + (x ?? 0), 0)]),
    )
  const expected = Object.fromEntries((await ledger()).map((r) => [r.series, r.n]))
  t.same(expected, { 'commune.accepted': 3, 'commune.delivered': 2, 'commune.failed': 1, 'central.accepted': 1, 'central.delivered': 1 }, 'the ledger holds what was sent')
  const hour = (await ops('/v1/ops/history?range=1h')).body as unknown as HistoryView
  t.equal(hour.points, 60)
  t.equal(hour.stepSeconds, 60)
  t.same(totals(hour), expected, 'the hour of history sums to the ledger')
  const day = (await ops('/v1/ops/history?range=24h')).body as unknown as HistoryView
  t.equal(day.points, 144)
  t.same(totals(day), expected, 'the day of history sums to the ledger')
  t.ok(
    hour.series['commune.lag']!.some((v) => v !== null),
    'consumer lag sampled',
  )
  // the latest minute that has a sample: a minute that began after sampleHistory has none until the next tick
  t.equal(hour.series['dlq.delivery']!.filter((v) => v !== null).at(-1), 1, 'the DLQ size sampled')

  // a restart: a new runtime over the same database reads the same series, and sampling again changes nothing
  const rt2 = await createRuntime(gw.rt.config)
  t.teardown(() => rt2.close())
  await sampleHistory(rt2)
  t.same(totals(await historyView(rt2.db, '1h')), expected, 'the history survives a restart and a second sample')

  // alerts: a DLQ that grew and a commune lag that rose for ten minutes (earlier minutes written as history)
  // the minutes are counted back from the current one: written and read again if a new minute began meanwhile
  const writeHistoryAndReadAlerts = async () => {
    const now = Math.floor(Date.now() / 60_000)
    const minutesAgo = (m: number) => new Date((now - m) * 60_000).toISOString()
    await gw.rt.db.query(`insert into ops_history (minute, series, value) values ($1, 'dlq.delivery', 0) on conflict (minute, series) do update set value = 0`, [minutesAgo(6)])
    for (let m = 10; m >= 1; m--) {
      await gw.rt.db.query(
        `insert into ops_history (minute, series, value) values ($1, 'commune.lag', $2), ($1, 'district.lag', $3) on conflict (minute, series) do update set value = excluded.value`,
        [minutesAgo(m), 20 - m, m === 5 ? 9 : 20 - m],
      )
    }
    await gw.rt.db.query(`delete from ops_history where series = 'district.lag' and minute = $1`, [minutesAgo(5)]) // a gap: not "rising throughout"
    await gw.rt.db.query(`insert into ops_history (minute, series, value) values ($1, 'commune.lag', 50) on conflict (minute, series) do update set value = 50`, [minutesAgo(0)])
    const body = (await ops('/v1/ops/alerts')).body as { items: { id: string; detail: string; action: string }[] }
    return Math.floor(Date.now() / 60_000) === now ? body : null
  }
  const alerts = (await writeHistoryAndReadAlerts()) ?? (await writeHistoryAndReadAlerts())!
  const ids = alerts.items.map((a) => a.id)
  t.ok(ids.includes('DlqGrowing'), `the DLQ grew: ${JSON.stringify(ids)}`)
  t.equal(alerts.items.filter((a) => a.id === 'TierLagRising').length, 1, 'one tier with lag rising throughout')
  t.match(alerts.items.find((a) => a.id === 'TierLagRising')?.detail, /commune/)
  t.notOk(ids.includes('KafkaDown'), 'Kafka is up')
  for (const a of alerts.items) t.ok(a.action.length > 20, `${a.id}: what to do`)
})
