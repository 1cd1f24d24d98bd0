/**
 * Bounds on what one request may cost before it is refused, registered right after authentication (the
 * onRequest hooks run in registration order, and body parsing only after every onRequest hook, so an
 * unauthenticated or over-limit request is answered before a byte of its body is read):
 *   - per API key: at most CLIENT_MAX_CONCURRENCY requests in flight and CLIENT_RATE_PER_MINUTE started in
 *     the current minute; beyond, 429 RATE_LIMITED with Retry-After (RFC 9110 §10.2.3, RFC 6585 §4);
 *   - per request: the body must arrive within REQUEST_TIMEOUT_MS of the request's start, else 408
 *     REQUEST_TIMEOUT and the connection is closed (RFC 9110 §15.5.9), so a sender trickling one byte a
 *     second holds neither a socket nor a growing buffer for long.
 * The counters live in this process: a replica protects itself; they are not a global quota.
 */
import { PassThrough } from 'node:stream'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { GatewayError } from '../errors.ts'
import type { Runtime } from '../runtime.ts'

declare module 'fastify' {
  interface FastifyRequest {
    limitedClient: string | null
  }
}

const startedAt = new WeakMap<FastifyRequest, number>()

export function registerRequestLimits(app: FastifyInstance, rt: Runtime) {
  const { clientMaxConcurrency, clientRatePerMinute, requestTimeoutMs } = rt.config
  const inFlight = new Map<string, number>()
  const windows = new Map<string, { minute: number; count: number }>()
  app.decorateRequest('limitedClient', null)

  const refuse = (reply: FastifyReply, retryAfterS: number, detail: string) => {
    reply.header('retry-after', String(Math.max(1, Math.ceil(retryAfterS))))
    return new GatewayError('RATE_LIMITED', detail, { extra: { retryAfter: Math.max(1, Math.ceil(retryAfterS)) } })
  }

  app.addHook('onRequest', async (req, reply) => {
    startedAt.set(req, Date.now())
    const who = req.principal
    if (!who) return
    const minute = Math.floor(Date.now() / 60_000)
    if (clientRatePerMinute > 0) {
      const w = windows.get(who.clientId)
      const cur = w && w.minute === minute ? w : { minute, count: 0 }
      if (cur.count >= clientRatePerMinute) throw refuse(reply, (minute + 1) * 60 - Date.now() / 1000, `more than ${clientRatePerMinute} requests this minute from this API key`)
      cur.count++
      windows.set(who.clientId, cur)
      if (windows.size > 10_000) for (const [k, v] of windows) if (v.minute !== minute) windows.delete(k)
    }
    const n = inFlight.get(who.clientId) ?? 0
    if (n >= clientMaxConcurrency) throw refuse(reply, 1, `${n} requests from this API key are already in flight (at most ${clientMaxConcurrency})`)
    inFlight.set(who.clientId, n + 1)
    req.limitedClient = who.clientId
  })

  const release = async (req: FastifyRequest) => {
    const id = req.limitedClient
    if (!id) return
    req.limitedClient = null
    const n = (inFlight.get(id) ?? 1) - 1
    if (n <= 0) inFlight.delete(id)
    else inFlight.set(id, n)
  }
  app.addHook('onResponse', release)
  app.addHook('onRequestAbort', release)

  app.addHook('preParsing', async (req, reply, payload) => {
    if (req.headers['content-length'] === undefined && req.headers['transfer-encoding'] === undefined) return payload
    const left = (startedAt.get(req) ?? Date.now()) + requestTimeoutMs - Date.now()
    const out = new PassThrough()
    const timer = setTimeout(
      () => {
        reply.header('connection', 'close')
        out.destroy(new GatewayError('REQUEST_TIMEOUT', `the body did not arrive within ${requestTimeoutMs} ms`))
      },
      Math.max(0, left),
    )
    timer.unref()
    const done = () => clearTimeout(timer)
    out.once('end', done).once('close', done)
    reply.raw.once('close', done) // answered without reading the body (nothing consumes `out`)
    out.on('error', () => {}) // the body parser reports the error; an unread body must not crash the process
    payload.once('error', (e) => out.destroy(e))
    payload.pipe(out)
    return out
  })
}
