/**
 * /metrics parses with a Prometheus text-format parser (parse-prometheus-text-format,
 * not ours), and the consumer-lag gauge rises while the gateway's consumers are stopped and falls back to 0
 * after they restart — real Kafka, real PostgreSQL, real HTTP. Also: accepted/refused by code, deliveries
 * by tier/adapter/outcome and both latency histograms.
 */
import t from 'tap'
import { eventually } from '../helpers/gateway.ts'
import { edoc } from '../helpers/federation.ts'
import { histogramCount, samples, scrape, startOpsGateway, sum } from '../helpers/ops.ts'

const SENDER = '000.00.00.H41'
const COMMUNE = '000.21.30.H41'

t.test('/metrics parses; lag rises while consumers are stopped and falls after they restart', async (t) => {
  const gw = await startOpsGateway(t)
  const recipients = [COMMUNE, '000.00.00.G22'].filter((o) => gw.rt.directory().get(o))
  t.ok(recipients.length >= 1, `demo recipients ${recipients.join(', ')}`)

  // one accepted document, one refused (unknown recipient), one refused (not XML)
  t.equal((await gw.call(SENDER, 'POST', '/v1/documents', await gw.sign(SENDER, edoc(SENDER, recipients, 1)))).status, 202)
  t.equal((await gw.call(SENDER, 'POST', '/v1/documents', await gw.sign(SENDER, edoc(SENDER, ['000.99.99.H41'], 2)))).status, 422)
  t.equal((await gw.call(SENDER, 'POST', '/v1/documents', '<a', { 'content-type': 'application/xml' })).status, 400)

  // the accepted document reaches its recipients' inboxes: deliveries counted from the ledger
  const first = await eventually(
    async () => {
      const s = await scrape(gw.url)
      return sum(samples(s.families, 'lgsp_deliveries_total', { outcome: 'delivered' })) >= recipients.length ? s : null
    },
    30_000,
    'deliveries counted',
  )
  const f = first.families
  t.match(first.text, /# TYPE lgsp_kafka_consumer_lag gauge/)
  t.equal(sum(samples(f, 'lgsp_documents_accepted_total', { surface: 'rest' })), 1, 'one accepted')
  t.equal(sum(samples(f, 'lgsp_documents_refused_total', { code: 'UNKNOWN_RECIPIENT' })), 1, 'refused by code: UNKNOWN_RECIPIENT')
  t.equal(sum(samples(f, 'lgsp_documents_refused_total', { code: 'XML_MALFORMED' })), 1, 'refused by code: XML_MALFORMED')
  t.ok(samples(f, 'lgsp_deliveries_total', { adapter: 'inbox', outcome: 'delivered' }).length >= 1, 'deliveries labelled by tier, adapter and outcome')
  // the parser keeps histogram families but flattens labelled ones away, so their _count lines are read directly
  t.equal(f.get('lgsp_accept_duration_seconds')?.type, 'HISTOGRAM')
  t.equal(f.get('lgsp_accept_to_delivered_seconds')?.type, 'HISTOGRAM')
  t.equal(histogramCount(first.text, 'lgsp_accept_duration_seconds', 'outcome="accepted"'), 1, 'accept latency observed once')
  t.equal(histogramCount(first.text, 'lgsp_accept_duration_seconds', 'outcome="refused"'), 2, 'refusals timed too')
  t.ok(histogramCount(first.text, 'lgsp_accept_to_delivered_seconds', 'adapter="inbox"') >= recipients.length, 'accept → delivered latency observed')
  t.equal(sum(samples(f, 'lgsp_directory_agencies')), [...gw.rt.directory()].length, 'directory size: every agency, summed over the tiers')
  t.same(
    samples(f, 'lgsp_dlq_size', { queue: 'delivery' }).map((x) => x.value),
    [0],
    'delivery DLQ: empty',
  )
  t.same(
    samples(f, 'lgsp_dlq_size', { queue: 'webhook' }).map((x) => x.value),
    [0],
    'webhook DLQ: empty',
  )
  t.equal(sum(samples(f, 'lgsp_deliveries_in_retry')), 0, 'nothing waiting for a retry')
  t.equal(sum(samples(f, 'lgsp_oldest_undelivered_seconds')), 0, 'nothing undelivered: no age')
  t.ok(f.has('lgsp_webhook_backlog'), 'webhook backlog gauge')
  t.ok(f.has('lgsp_process_resident_memory_bytes') || f.has('lgsp_process_cpu_user_seconds_total'), 'process metrics')
  t.equal(samples(f, 'lgsp_documents_accepted_total')[0]!.labels.gateway, gw.rt.config.gatewayId, 'gateway label')

  const routerLag = (fam: typeof f) => sum(samples(fam, 'lgsp_kafka_consumer_lag', { group: `${gw.rt.config.topicPrefix}router`, topic: gw.rt.topics.documents }))
  await eventually(
    async () =>
      routerLag((await scrape(gw.url)).families) === 0 &&
      samples((await scrape(gw.url)).families, 'lgsp_kafka_consumer_lag', { group: `${gw.rt.config.topicPrefix}router` }).length > 0,
    20_000,
    'router lag 0 with partitions listed',
  )

  // stop every consumer of this gateway, then send three documents: they wait in `documents`
  await gw.workers.stop()
  for (let i = 10; i < 13; i++) t.equal((await gw.call(SENDER, 'POST', '/v1/documents', await gw.sign(SENDER, edoc(SENDER, recipients, i)))).status, 202)
  const stopped = (await scrape(gw.url)).families
  t.equal(routerLag(stopped), 3, 'router lag = 3 while the router is stopped')
  const perPartition = samples(stopped, 'lgsp_kafka_consumer_lag', { group: `${gw.rt.config.topicPrefix}router` })
  t.same(perPartition.map((s) => s.labels.partition).sort(), ['0', '1'], 'lag reported per partition')
  t.ok(sum(samples(stopped, 'lgsp_kafka_consumer_lag', { group: `${gw.rt.config.topicPrefix}webhooks` })) >= 3, 'the webhook outbox group lags too')
  const queues = (await (await gw.call('operator', 'GET', '/v1/ops/queues')).json()) as { stages: { group: string; topic: string; lag: number }[] }
  t.equal(queues.stages.find((s) => s.group === 'router' && s.topic === 'documents')?.lag, 3, '/v1/ops/queues shows the same lag')

  // restart: the lag drains back to zero
  await gw.workers.start()
  await eventually(
    async () => {
      const fam = (await scrape(gw.url)).families
      return routerLag(fam) === 0 && sum(samples(fam, 'lgsp_kafka_consumer_lag')) === 0
    },
    30_000,
    'every lag back to 0 after the restart',
  )
  t.pass('lag fell back to 0 after the consumers restarted')
  const after = (await scrape(gw.url)).families
  t.equal(sum(samples(after, 'lgsp_documents_accepted_total')), 4)
  await eventually(
    async () => sum(samples((await scrape(gw.url)).families, 'lgsp_deliveries_total', { outcome: 'delivered' })) >= 4 * recipients.length,
    20_000,
    'all deliveries counted',
  )
  t.pass('deliveries after the restart counted')
})
