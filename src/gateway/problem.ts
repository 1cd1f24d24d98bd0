/**
 * RFC 9457 problem+json from the error catalogue. Fastify's own errors (body too large, bad media type,
 * schema validation) are mapped onto catalogue codes so every answer has a stable `code`.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { ERRORS, GatewayError, type ErrorCode } from '../errors.ts'

export interface Problem {
  type: string
  title: string
  status: number
  code: ErrorCode
  detail: string
  instance: string
  errors?: { path?: string; line?: number; message: string }[]
  [k: string]: unknown
}

/** seconds a client should wait after a 503 (the bus or the store is down) */
export const RETRY_AFTER_S = 5

export const problemTypeUri = (code: ErrorCode) => `urn:lgsp:problem:${code}`

/**
 * A lost database connection is unavailability, not a bug: SQLSTATE class 08 (connection exception),
 * 57P01–57P03 (admin/crash shutdown, cannot connect now), and node-postgres's own words for a socket that
 * went away. The caller gets 503 with Retry-After and may resend (every write is idempotent).
 */
function isConnectionLoss(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown }
  const code = typeof e?.code === 'string' ? e.code : ''
  if (/^08/.test(code) || /^57P0[123]$/.test(code) || code === 'ECONNREFUSED' || code === 'ECONNRESET') return true
  return typeof e?.message === 'string' && /Connection terminated|Client has encountered a connection error|terminating connection due to administrator command/.test(e.message)
}

export function toGatewayError(err: unknown): GatewayError {
  if (err instanceof GatewayError) return err
  const e = err as FastifyError
  switch (e?.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new GatewayError('PAYLOAD_TOO_LARGE', e.message)
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new GatewayError('UNSUPPORTED_MEDIA_TYPE', e.message)
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new GatewayError('BAD_REQUEST', e.message)
  }
  if (e?.validation) {
    return new GatewayError('BAD_REQUEST', e.message, {
      errors: e.validation.map((v) => ({ path: v.instancePath || (v.params as { missingProperty?: string })?.missingProperty, message: v.message ?? 'invalid' })),
    })
  }
  if (isConnectionLoss(err)) return new GatewayError('STORE_UNAVAILABLE', 'the ledger database connection was lost; nothing was accepted, retry', { cause: err })
  if (typeof e?.statusCode === 'number' && e.statusCode === 413) return new GatewayError('PAYLOAD_TOO_LARGE', e.message)
  if (typeof e?.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) return new GatewayError('BAD_REQUEST', e.message)
  return new GatewayError('INTERNAL', 'internal error', { cause: err })
}

export function problemOf(err: GatewayError, instance: string): Problem {
  return {
    type: problemTypeUri(err.code),
    title: ERRORS[err.code].title,
    status: err.status,
    code: err.code,
    detail: err.message,
    instance,
    ...(err.errors ? { errors: err.errors } : {}),
    ...(err.extra ?? {}),
  }
}

export function sendProblem(reply: FastifyReply, req: FastifyRequest, err: GatewayError) {
  // RFC 9110 §10.2.3: a 503 says when to come back, so clients back off instead of hammering
  if (err.status === 503 && !reply.hasHeader('retry-after')) reply.header('Retry-After', String(err.retryAfterS ?? RETRY_AFTER_S))
  return reply.code(err.status).type('application/problem+json').send(problemOf(err, req.url))
}

export function registerProblemHandlers(app: FastifyInstance) {
  app.setErrorHandler((err, req, reply) => {
    const ge = toGatewayError(err)
    if (ge.status >= 500) req.log.error({ err }, 'request failed')
    else req.log.info({ code: ge.code, detail: ge.message }, 'request refused')
    return sendProblem(reply, req, ge)
  })
  app.setNotFoundHandler((req, reply) => sendProblem(reply, req, new GatewayError('NOT_FOUND', `no route ${req.method} ${req.url.split('?')[0]}`)))
}

/** The problem+json shape for OpenAPI responses. */
export const problemSchema = {
  $id: 'Problem',
  type: 'object',
  description: 'RFC 9457 problem details; `code` is stable (see docs/errors.md)',
  properties: {
    type: { type: 'string' },
    title: { type: 'string' },
    status: { type: 'integer' },
    code: { type: 'string', enum: Object.keys(ERRORS) },
    detail: { type: 'string' },
    instance: { type: 'string' },
    errors: { type: 'array', items: { type: 'object', properties: { path: { type: 'string' }, line: { type: 'integer' }, message: { type: 'string' } } } },
  },
  required: ['type', 'title', 'status', 'code'],
  additionalProperties: true,
} as const
