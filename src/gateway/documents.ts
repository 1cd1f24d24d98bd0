/** REST surface for senders: POST /v1/documents (edXML or its JSON form in) and GET /v1/documents/{id} (timeline). */
import type { Readable } from 'node:stream'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { isSpooled, receivePackage } from '../ingest/receive-package.ts'
import { GatewayError } from '../errors.ts'
import type { Runtime } from '../runtime.ts'
import { acceptDocument } from '../ingest/accept-document.ts'
import { documentStatus } from '../receipts/document-status.ts'
import { principalOf } from './auth.ts'
import { labelledEventSchema } from '../receipts/timeline-schema.ts'
import { signedReceiptSchema, verdictSchema } from '../signing/openapi.ts'
import { documentationOnly, packageContent, rawJsonBodies } from './package-body.ts'
import { redirectionSchema, senderClosedSchema } from './reorganisation-schemas.ts'

const recipientSchema = {
  type: 'object',
  properties: {
    organId: { type: 'string' },
    tier: { type: 'string', enum: ['central', 'province', 'district', 'commune'] },
    status: { type: 'string' },
    receipt: signedReceiptSchema,
    redirect: redirectionSchema,
  },
} as const

const acceptanceSchema = {
  type: 'object',
  description: 'The acceptance receipt: sent only after the document is durable in Kafka (acks=all)',
  properties: {
    id: { type: 'string', format: 'uuid', description: 'gateway id of this document' },
    documentId: { type: 'string', description: 'the edXML DocumentId' },
    sha256: { type: 'string', description: 'SHA-256 (hex) of the exact bytes received' },
    acceptedAt: { type: 'string', format: 'date-time' },
    recipients: { type: 'array', items: recipientSchema },
    signature: verdictSchema,
    senderClosed: senderClosedSchema,
  },
} as const

const timelineSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    documentId: { type: 'string' },
    from: { type: 'string' },
    sha256: { type: 'string' },
    size: { type: 'integer' },
    subject: { type: ['string', 'null'] },
    acceptedAt: { type: ['string', 'null'] },
    signature: { ...verdictSchema, type: ['object', 'null'] },
    recipients: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          organId: { type: 'string' },
          tier: { type: 'string' },
          status: { type: 'string' },
          label: { type: ['string', 'null'] },
          addressedTo: { type: 'string', description: 'the closed agency the package names, when this leg goes to its successor' },
          timeline: { type: 'array', items: labelledEventSchema },
        },
      },
    },
  },
} as const

export async function documentRoutes(app: FastifyInstance, rt: Runtime) {
  rawJsonBodies(app)
  // edXML bodies here may be large: held in memory up to STREAM_THRESHOLD_BYTES, streamed to disk beyond
  // (src/ingest/receive-package.ts); the other surfaces keep the app's buffered parser and BODY_LIMIT
  app.removeContentTypeParser(['application/xml', 'text/xml'])
  app.addContentTypeParser(['application/xml', 'text/xml'], (req: FastifyRequest, payload: Readable) =>
    receivePackage(rt.config, payload, declaredLength(req.headers['content-length'])),
  )

  app.post(
    '/v1/documents',
    {
      config: { auth: 'client' },
      ...documentationOnly,
      schema: {
        tags: ['documents'],
        summary: 'Send a document package: edXML (QCVN 102:2016) or its JSON form',
        description:
          'The body is the edXML package, byte for byte as signed (`application/xml`), or the same package in JSON form (`application/json`, validated against the JSON Schema and, once serialised, the national XSD). The bytes are stored as sent; a recipient reads the package in either form (GET /v1/inbox/{id}, `Accept`). Answers 202 only once the document is durable in Kafka. A repeat of the same (From, DocumentId) with the same bytes returns the first answer and delivers nothing again.',
        body: { content: packageContent('edoc') },
        security: [{ apiKey: [] }],
        response: { 202: acceptanceSchema, '4xx': { $ref: 'Problem#' }, '5xx': { $ref: 'Problem#' } },
      },
    },
    async (req, reply) => {
      const who = principalOf(req)
      if (!Buffer.isBuffer(req.body) && !isSpooled(req.body))
        throw new GatewayError('UNSUPPORTED_MEDIA_TYPE', 'send the package as application/xml (edXML) or application/json (JSON form)')
      const { answer, replayed } = await acceptDocument(rt, who, req.body, req.headers['content-type'] ?? 'application/xml', { forwardFor: req.headers['lgsp-forward-for'] }) // federation
      if (replayed) reply.header('idempotent-replayed', 'true')
      return reply.code(202).header('location', `/v1/documents/${answer.id}`).send(answer)
    },
  )

  app.get<{ Params: { id: string } }>(
    '/v1/documents/:id',
    {
      config: { auth: 'client' },
      schema: {
        tags: ['documents'],
        summary: "A sent document and every recipient's status timeline",
        params: { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] },
        security: [{ apiKey: [] }],
        response: { 200: timelineSchema, '4xx': { $ref: 'Problem#' } },
      },
    },
    async (req) => documentStatus(rt, principalOf(req), req.params.id),
  )
}

function declaredLength(h: string | undefined): number | undefined {
  if (h === undefined) return undefined
  const n = Number(h)
  return Number.isSafeInteger(n) && n >= 0 ? n : undefined
}
