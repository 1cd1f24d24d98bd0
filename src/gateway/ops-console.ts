/**
 * The night-shift part of the ops API, operator keys only: the health strip (one call for every light),
 * the time-bucketed history behind the queue charts, the alerts with what to do, and agency names for the
 * codes a page shows. The history sampler (src/ops/history.ts) runs with this plugin and stops with it.
 */
import type { FastifyInstance } from 'fastify'
import type { Runtime } from '../runtime.ts'
import { healthView } from '../ops/health.ts'
import { historyView, RANGES, startHistorySampler, type Range } from '../ops/history.ts'
import { alertsView } from '../ops/alerts.ts'
import { agencyNames, MAX_NAME_LOOKUP } from '../ops/agency-names.ts'
import { registerDependencyGauges } from '../ops/dependency-metrics.ts'

export async function opsConsoleRoutes(app: FastifyInstance, rt: Runtime) {
  registerDependencyGauges(rt)
  const sampler = startHistorySampler(rt)
  app.addHook('onClose', async () => {
    await sampler.stop()
  })
  const op = { config: { auth: 'operator' as const } }
  const doc = (summary: string, extra: Record<string, unknown> = {}) => ({ tags: ['operations'], summary, security: [{ apiKey: [] }], ...extra })

  app.get(
    '/v1/ops/health',
    {
      ...op,
      schema: doc(
        'Every dependency as ok / warn / bad with the reason: Kafka brokers up / expected, database, payload store, peer gateways, failing push endpoints, certificates and CRLs',
      ),
    },
    async () => healthView(rt),
  )

  app.get<{ Querystring: { range?: Range } }>(
    '/v1/ops/history',
    {
      ...op,
      schema: doc(
        'Per tier and minute (range=1h) or 10 minutes (range=24h): documents accepted, delivered, failed (sums), Kafka consumer lag; webhook backlog and DLQ size (highest sample)',
        {
          querystring: { type: 'object', properties: { range: { type: 'string', enum: Object.keys(RANGES), default: '1h' } } },
        },
      ),
    },
    async (req) => historyView(rt.db, req.query.range ?? '1h'),
  )

  app.get('/v1/ops/alerts', { ...op, schema: doc('What is wrong now, each with what to do (the same conditions as deploy/prometheus/lgsp-alerts.yml)') }, async () =>
    alertsView(rt),
  )

  app.get<{ Querystring: { codes: string } }>(
    '/v1/ops/agency-names',
    {
      ...op,
      schema: doc(`Directory name, tier and closed flag of up to ${MAX_NAME_LOOKUP} comma-separated agency codes`, {
        querystring: { type: 'object', properties: { codes: { type: 'string', maxLength: MAX_NAME_LOOKUP * 41 } }, required: ['codes'] },
      }),
    },
    async (req) => ({
      items: agencyNames(
        rt.directory(),
        new Set(
          req.query.codes
            .split(',')
            .map((c) => c.trim())
            .filter(Boolean)
            .slice(0, MAX_NAME_LOOKUP),
        ),
      ),
    }),
  )
}
