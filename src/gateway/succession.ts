/**
 * Ops API for the change table (src/ops/succession.ts), operator keys only:
 *   POST /v1/ops/succession?dryRun=true   the table as text/tab-separated-values or text/csv; the report says
 *                                         what would close and what the gateway holds for each closing code
 *   POST /v1/ops/succession               the same, applied: one transaction, one message-log row
 * `lgsp directory succession import FILE [--dry-run]` calls it.
 */
import type { FastifyInstance } from 'fastify'
import { GatewayError } from '../errors.ts'
import type { Runtime } from '../runtime.ts'
import { principalOf } from './auth.ts'
import { applySuccessionTable } from '../ops/succession.ts'

const issue = { type: 'object', properties: { line: { type: 'integer' }, old: { type: 'string' }, successor: { type: 'string' }, message: { type: 'string' } } } as const
const closure = {
  type: 'object',
  properties: {
    organId: { type: 'string' },
    name: { type: 'string' },
    on: { type: 'string' },
    successors: { type: 'array', items: { type: 'string' } },
    note: { type: ['string', 'null'] },
    bindings: { type: 'string' },
    lines: { type: 'array', items: { type: 'integer' } },
    inFlight: { type: 'integer' },
    unreadInbox: { type: 'integer' },
    webhooks: { type: 'integer' },
    apiKeys: { type: 'integer' },
    certificates: { type: 'object', properties: { directory: { type: 'integer' }, trustStore: { type: 'integer' } } },
  },
} as const

export async function successionRoutes(app: FastifyInstance, rt: Runtime) {
  app.addContentTypeParser(['text/csv', 'text/tab-separated-values', 'text/plain'], { parseAs: 'string' }, (_req, body, done) => done(null, body))

  app.post<{ Querystring: { dryRun?: boolean }; Body: unknown }>(
    '/v1/ops/succession',
    {
      config: { auth: 'operator' },
      schema: {
        tags: ['directory'],
        summary: 'Apply a change table (old, successor, effective[, note, bindings]): close agencies into their successors (operator)',
        description:
          'See docs/reorganisation.md. A dry run reports agencies closed, legs in flight, unread inbox items, webhooks, API keys and certificates bound to closing codes, and conflicting rows. A table with a conflict is refused whole (SUCCESSION_CONFLICT).',
        querystring: { type: 'object', properties: { dryRun: { type: 'boolean', default: false } } },
        security: [{ apiKey: [] }],
        response: {
          200: {
            type: 'object',
            properties: {
              dryRun: { type: 'boolean' },
              applied: { type: 'boolean' },
              rows: { type: 'integer' },
              closures: { type: 'array', items: closure },
              alreadyApplied: { type: 'array', items: { type: 'string' } },
              totals: { type: 'object', additionalProperties: { type: 'integer' } },
              errors: { type: 'array', items: issue },
              conflicts: { type: 'array', items: issue },
            },
          },
          '4xx': { $ref: 'Problem#' },
        },
      },
    },
    async (req) => {
      if (typeof req.body !== 'string') throw new GatewayError('BAD_REQUEST', 'send the change table as text/tab-separated-values or text/csv')
      const report = await applySuccessionTable(rt, req.body, { dryRun: req.query.dryRun ?? false, actor: principalOf(req).clientId })
      req.log.info({ dryRun: report.dryRun, closures: report.closures.length, conflicts: report.conflicts.length }, 'change table')
      return report
    },
  )
}
