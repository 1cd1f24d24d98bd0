/** REST surface for senders: POST /v1/documents (edXML in) and GET /v1/documents/{id} (timeline). */
import type { FastifyInstance } from 'fastify'
import { GatewayError } from '../errors.ts'
import type { Runtime } from '../runtime.ts'
import { acceptDocument } from '../pipeline/accept-document.ts'
import { getDocument, timelines } from '../store/ledger-repo.ts'
import { principalOf } from './auth.ts'

const recipientSchema = {
  type: 'object',
  properties: { organId: { type: 'string' }, tier: { type: 'string', enum: ['central', 'province', 'district', 'commune'] }, status: { type: 'string' } },
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
  },
} as const

const timelineSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' }, documentId: { type: 'string' }, from: { type: 'string' }, sha256: { type: 'string' },
    size: { type: 'integer' }, subject: { type: ['string', 'null'] }, acceptedAt: { type: ['string', 'null'] },
    recipients: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          organId: { type: 'string' }, tier: { type: 'string' }, status: { type: 'string' },
          timeline: { type: 'array', items: { type: 'object', properties: { status: { type: 'string' }, at: { type: 'string' } } } },
        },
      },
    },
  },
} as const

export async function documentRoutes(app: FastifyInstance, rt: Runtime) {
  app.post('/v1/documents', {
    config: { auth: 'client' },
    schema: {
      tags: ['documents'],
      summary: 'Send an edXML document package (QCVN 102:2016)',
      description: 'The body is the edXML package, byte for byte as signed. Answers 202 only once the document is durable in Kafka. A repeat of the same (From, DocumentId) with the same bytes returns the first answer and delivers nothing again.',
      consumes: ['application/xml', 'text/xml'],
      security: [{ apiKey: [] }],
      response: { 202: acceptanceSchema, '4xx': { $ref: 'Problem#' }, '5xx': { $ref: 'Problem#' } },
    },
  }, async (req, reply) => {
    const who = principalOf(req)
    if (!Buffer.isBuffer(req.body)) throw new GatewayError('UNSUPPORTED_MEDIA_TYPE', 'send the edXML package as application/xml')
    const { answer, replayed } = await acceptDocument(rt, who, req.body, 'application/xml')
    if (replayed) reply.header('idempotent-replayed', 'true')
    return reply.code(202).header('location', `/v1/documents/${answer.id}`).send(answer)
  })

  app.get<{ Params: { id: string } }>('/v1/documents/:id', {
    config: { auth: 'client' },
    schema: {
      tags: ['documents'],
      summary: "A sent document and every recipient's status timeline",
      params: { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] },
      security: [{ apiKey: [] }],
      response: { 200: timelineSchema, '4xx': { $ref: 'Problem#' } },
    },
  }, async (req) => {
    const who = principalOf(req)
    const doc = await getDocument(rt.db, req.params.id)
    if (!doc || (who.role !== 'operator' && !who.organIds.has(doc.from_organ))) {
      throw new GatewayError('DOCUMENT_NOT_FOUND', `no document ${req.params.id} sent by this caller`)
    }
    return {
      id: doc.id, documentId: doc.document_id, from: doc.from_organ, sha256: doc.sha256, size: Number(doc.size),
      subject: doc.subject, acceptedAt: doc.accepted_at ? new Date(doc.accepted_at).toISOString() : null,
      recipients: await timelines(rt.db, doc.id),
    }
  })
}
