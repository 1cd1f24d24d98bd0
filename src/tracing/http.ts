/**
 * One SERVER span per HTTP request, child of the request's `traceparent` when it has one (a QLVB system
 * that traces, or a peer gateway forwarding a document), so the work the handler starts — the accept
 * span, the Kafka records it produces — belongs to the caller's trace.
 *
 * Fastify has no "around" hook: the span starts in onRequest and ends in onResponse, and the route handler
 * itself is wrapped (onRoute) to run inside the span's context, which is where the pipeline code runs.
 */
import type { FastifyInstance, FastifyRequest, RouteHandlerMethod } from 'fastify'
import { context, SpanStatusCode } from '@opentelemetry/api'
import type { Context, Span, Tracing } from './index.ts'

/** scrapes, probes and static pages: noise in a trace store */
const UNTRACED = /^\/(metrics|healthz|readyz|docs|console|openapi\.json)(\/|$)/

export function registerHttpTracing(app: FastifyInstance, tracing: Tracing): void {
  if (!tracing.enabled) return
  const live = new WeakMap<FastifyRequest, { span: Span; ctx: Context }>()

  app.addHook('onRoute', (route) => {
    if (UNTRACED.test(route.url)) return
    const handler = route.handler as (this: FastifyInstance, ...a: Parameters<RouteHandlerMethod>) => ReturnType<RouteHandlerMethod>
    route.handler = function (this: FastifyInstance, req, reply) {
      const s = live.get(req)
      return s ? context.with(s.ctx, () => handler.call(this, req, reply)) : handler.call(this, req, reply)
    }
  })

  app.addHook('onRequest', async (req) => {
    const route = req.routeOptions.url
    if (!route || UNTRACED.test(route)) return
    live.set(
      req,
      tracing.startRemoteChild(`${req.method} ${route}`, req.headers, {
        attributes: { 'http.request.method': req.method, 'http.route': route, 'url.path': req.url.split('?')[0] },
      }),
    )
  })

  const end = (req: FastifyRequest, status: number | null) => {
    const s = live.get(req)
    if (!s) return
    live.delete(req)
    if (status === null) s.span.setStatus({ code: SpanStatusCode.ERROR, message: 'request aborted' })
    else {
      s.span.setAttribute('http.response.status_code', status)
      if (status >= 500) s.span.setStatus({ code: SpanStatusCode.ERROR })
    }
    s.span.end()
  }
  app.addHook('onResponse', async (req, reply) => end(req, reply.statusCode))
  app.addHook('onRequestAbort', async (req) => end(req, null))
}
