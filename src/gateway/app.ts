/**
 * The Fastify application. Every surface is registered here, top to bottom, in the order requests meet
 * them: problem handlers, body parsers, auth, OpenAPI, then one plugin per surface.
 */
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import type { Runtime } from '../runtime.ts'
import { registerProblemHandlers, problemSchema } from './problem.ts'
import { registerAuth } from './auth.ts'
import { registerRequestLimits } from './request-limits.ts'
import { receiptRoutes } from './receipts.ts'
import { trustAdminRoutes } from './trust-admin.ts'
import { keysAdminRoutes } from './keys-admin.ts'
import { healthRoutes } from './health.ts'
import { documentRoutes } from './documents.ts'
import { inboxRoutes } from './inbox.ts'
import { agencyRoutes } from './agencies.ts'
import { successionRoutes } from './succession.ts'
import { federationRoutes } from './federation.ts'
import { documentListRoutes } from './document-list.ts'
import { statusInboxRoutes } from './status-inbox.ts'
import { webhookRoutes } from './webhooks.ts'
import { attachmentRoutes } from './attachments.ts'
import { statusRoutes } from './status.ts'
import { soapRoutes } from './soap/index.ts'
import { vxpRoutes } from './vxp/index.ts'
import { vxpSystemRoutes } from './vxp-systems.ts'
import { metricsRoutes, registerMetricsHooks } from './metrics.ts'
import { opsRoutes } from './ops.ts'
import { opsConsoleRoutes } from './ops-console.ts'
import { consoleRoutes } from './console.ts'
import { registerHttpTracing } from '../tracing/http.ts'

export async function buildApp(rt: Runtime): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: rt.log.child({ c: 'http' }) as FastifyBaseLogger,
    bodyLimit: rt.config.bodyLimit,
    // backstop behind request-limits.ts, which answers a coded 408 first (Node's own check runs every few seconds)
    requestTimeout: rt.config.requestTimeoutMs + 5_000,
    ajv: { customOptions: { coerceTypes: 'array', removeAdditional: false } },
  })
  registerHttpTracing(app, rt.tracing) // first, so its onRoute hook wraps every route registered below
  registerProblemHandlers(app)
  app.addSchema(problemSchema)

  // edXML travels as raw bytes: the signature covers them, so the gateway never re-serialises a package
  app.addContentTypeParser(['application/xml', 'text/xml'], { parseAs: 'buffer' }, (_req, body, done) => done(null, body))

  registerAuth(app, rt)
  registerRequestLimits(app, rt) // after auth: limits are per API key, and both run before any body is read
  registerMetricsHooks(app, rt) // counts submissions on every surface, so it sits at the root

  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Liên thông gateway',
        version: '0.1.0',
        description:
          'Exchange of signed edXML (QCVN 102:2016) documents between central, province, district and commune agencies over Apache Kafka. Errors are RFC 9457 problem+json with a stable `code` (docs/errors.md).',
      },
      components: { securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'API key bound to the OrganIds the client system may act for' } } },
    },
    refResolver: { buildLocalReference: (json, _base, _frag, i) => (json.$id as string) || `def-${i}` },
  })
  await app.register(swaggerUi, {
    routePrefix: '/docs',
    // a Content-Security-Policy on every /docs answer (the plugin's, with the hashes of Swagger UI's own inline
    // script): a script injected through an OpenAPI text cannot run; without upgrade-insecure-requests, which
    // would break the page on a plain-http gateway
    staticCSP: true,
    transformStaticCSP: (header: string) => header.replace(/\s*upgrade-insecure-requests;?/, ''),
  })
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger())

  await app.register(async (s) => healthRoutes(s, rt))
  await app.register(async (s) => documentRoutes(s, rt))
  await app.register(async (s) => inboxRoutes(s, rt))
  await app.register(async (s) => receiptRoutes(s, rt))
  await app.register(async (s) => trustAdminRoutes(s, rt))
  await app.register(async (s) => keysAdminRoutes(s, rt))
  await app.register(async (s) => agencyRoutes(s, rt))
  await app.register(async (s) => successionRoutes(s, rt))
  await app.register(async (s) => federationRoutes(s, rt))
  await app.register(async (s) => documentListRoutes(s, rt))
  await app.register(async (s) => statusInboxRoutes(s, rt))
  await app.register(async (s) => webhookRoutes(s, rt))
  await app.register(async (s) => attachmentRoutes(s, rt))
  await app.register(async (s) => statusRoutes(s, rt))
  await app.register(async (s) => soapRoutes(s, rt))
  await app.register(async (s) => vxpRoutes(s, rt), { prefix: '/vxp' })
  await app.register(async (s) => metricsRoutes(s, rt))
  await app.register(async (s) => opsRoutes(s, rt))
  await app.register(async (s) => vxpSystemRoutes(s, rt))
  await app.register(async (s) => opsConsoleRoutes(s, rt))
  await app.register(async (s) => consoleRoutes(s, rt))
  return app
}
