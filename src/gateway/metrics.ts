/**
 * GET /metrics (Prometheus text format) and the HTTP hooks that count document submissions.
 *
 * The hooks sit at the root (registered by app.ts before the surfaces) so they see every route, and read
 * the outcome from what was actually sent: a 202 is an acceptance; anything else is a refusal whose code
 * is the problem+json `code` (REST) or the Fault's detail/error/code (SOAP). Reading the answer rather than
 * the thrown error keeps one source of truth: the code the client saw.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { Runtime } from '../runtime.ts'

type Surface = 'rest' | 'soap' | 'vxp'

declare module 'fastify' {
  interface FastifyRequest {
    submission?: { surface: Surface; code?: string }
  }
}

/** Which surface a request submits a document on, if it does. */
function submissionOf(req: FastifyRequest): Surface | null {
  if (req.method !== 'POST') return null
  const url = req.routeOptions.url
  if (url === '/v1/documents') return 'rest'
  if (url === '/soap') {
    // the operation is named by SOAPAction (1.1) or the action parameter (1.2); both end in SendDocument
    const action = `${req.headers.soapaction ?? ''} ${req.headers['content-type'] ?? ''}`
    return /SendDocument/.test(action) ? 'soap' : null
  }
  // the national axis' sendEdoc of a document (messagetype=status is a status, as POST /v1/status)
  if (url === '/vxp/sendEdoc') return /^status$/i.test(String(req.headers['xroadvnpt-messagetype'] ?? '')) ? null : 'vxp'
  return null
}

function codeOf(surface: Surface, payload: unknown): string | undefined {
  const text = typeof payload === 'string' ? payload : Buffer.isBuffer(payload) ? payload.toString('utf8') : ''
  if (surface === 'vxp') {
    // every /vxp answer is HTTP 200; a refusal says status FAIL (src/gateway/vxp/index.ts)
    try {
      const a = JSON.parse(text) as { status?: string; ErrorCode?: string }
      return a.status === 'OK' ? undefined : String(a.ErrorCode ?? 'UNKNOWN')
    } catch {
      return 'UNKNOWN'
    }
  }
  if (surface === 'rest') {
    try {
      return String((JSON.parse(text) as { code?: string }).code ?? 'UNKNOWN')
    } catch {
      return 'UNKNOWN'
    }
  }
  return /<(?:\w+:)?code>([A-Z_]+)<\/(?:\w+:)?code>/.exec(text)?.[1] ?? 'SOAP_FAULT'
}

export function registerMetricsHooks(app: FastifyInstance, rt: Runtime) {
  const m = rt.metrics
  app.addHook('onRequest', async (req) => {
    const surface = submissionOf(req)
    if (surface) req.submission = { surface }
  })
  app.addHook('onSend', async (req: FastifyRequest, reply: FastifyReply, payload) => {
    if (req.submission && (reply.statusCode >= 400 || req.submission.surface === 'vxp')) req.submission.code = codeOf(req.submission.surface, payload)
    return payload
  })
  app.addHook('onResponse', async (req, reply) => {
    const s = req.submission
    if (!s) return
    const seconds = reply.elapsedTime / 1000
    if (reply.statusCode < 300 && s.code === undefined) {
      m.accepted.inc({ surface: s.surface })
      m.acceptSeconds.observe({ surface: s.surface, outcome: reply.getHeader('idempotent-replayed') === 'true' ? 'replayed' : 'accepted' }, seconds)
    } else {
      m.refused.inc({ surface: s.surface, code: s.code ?? 'UNKNOWN' })
      m.acceptSeconds.observe({ surface: s.surface, outcome: 'refused' }, seconds)
    }
  })
}

export async function metricsRoutes(app: FastifyInstance, rt: Runtime) {
  app.get(
    '/metrics',
    {
      // METRICS_AUTH: the scrape names agencies' backlogs and error codes; a deployment may require an operator key
      config: { auth: rt.config.metricsAuth ? 'operator' : 'none' },
      schema: { tags: ['operations'], summary: 'Prometheus metrics (text format 0.0.4): documents, deliveries, latency, Kafka consumer lag, DLQ, webhooks, directory, process' },
    },
    async (_req, reply) => {
      await rt.metrics.refresh(rt.db, rt.directory())
      return reply.type(rt.metrics.registry.contentType).send(await rt.metrics.registry.metrics())
    },
  )
}
