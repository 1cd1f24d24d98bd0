/** REST surface for business statuses: POST /v1/status (an edXML status package, or its JSON form). */
import type { FastifyInstance } from 'fastify'
import { GatewayError } from '../errors.ts'
import type { Runtime } from '../runtime.ts'
import { submitStatus } from '../receipts/submit-status.ts'
import { principalOf } from './auth.ts'
import { documentationOnly, packageContent, rawJsonBodies } from './package-body.ts'

export const statusAnswerSchema = {
  type: 'object',
  description: 'The status is durable in Kafka (acks=all) and on its way to the timelines',
  properties: {
    id: { type: 'string', format: 'uuid', description: 'gateway id of the document the status is about' },
    documentId: { type: 'string', description: 'the edXML DocumentId (ResponseFor/DocumentId)' },
    documentFrom: { type: 'string', description: "the document's sender (ResponseFor/OrganId)" },
    from: { type: 'string', description: 'who sent the status (From/OrganId)' },
    statusCode: { type: 'string', example: '03' },
    role: { type: 'string', enum: ['recipient', 'sender'] },
    recipients: { type: 'array', items: { type: 'string' }, description: 'the delivery timelines the status goes onto' },
    sha256: { type: 'string', description: 'SHA-256 (hex) of the status package as received' },
    at: { type: 'string', format: 'date-time', description: 'the status Timestamp' },
    signature: { type: 'object', additionalProperties: true, description: 'the signature verdict (signed, signer, algorithm, chain, from), checked as for documents' },
  },
} as const

export async function statusRoutes(app: FastifyInstance, rt: Runtime) {
  rawJsonBodies(app)

  app.post(
    '/v1/status',
    {
      config: { auth: 'client' },
      ...documentationOnly,
      schema: {
        tags: ['status'],
        summary: 'Send an edXML status (QCVN 102:2016) about a document that passed through this gateway',
        description:
          "From must be one of the caller's OrganIds (SENDER_NOT_ALLOWED); ResponseFor (OrganId = the document's sender, DocumentId) must name a document known here (DOCUMENT_NOT_FOUND). A recipient of that document may send 01–06, 15, 16; its sender may send 13 (recall), which goes onto every recipient's timeline; anything else is 403 STATUS_NOT_ALLOWED. Answers 202 only once Kafka confirmed. Re-posting the identical package answers the same and adds nothing.",
        body: { content: packageContent('status') },
        security: [{ apiKey: [] }],
        response: { 202: statusAnswerSchema, '4xx': { $ref: 'Problem#' }, '5xx': { $ref: 'Problem#' } },
      },
    },
    async (req, reply) => {
      if (!Buffer.isBuffer(req.body)) throw new GatewayError('UNSUPPORTED_MEDIA_TYPE', 'send the status package as application/xml (edXML) or application/json (JSON form)')
      const answer = await submitStatus(rt, principalOf(req), req.body, req.headers['content-type'] ?? 'application/xml')
      return reply.code(202).send(answer)
    },
  )
}
