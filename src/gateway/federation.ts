/**
 * Gateway-to-gateway surface, peer keys only: a peer hands back statuses about documents we
 * forwarded to it (up), or passes on the sender's recall (13) about a document it forwarded to us (down).
 */
import type { FastifyInstance } from 'fastify'
import type { Runtime } from '../runtime.ts'
import { acceptFederatedRecall, acceptFederatedStatus, type FederatedStatus } from '../federation/peer-statuses.ts'
import { principalOf } from './auth.ts'

const bodySchema = {
  type: 'object',
  required: ['from', 'documentId', 'recipient', 'status', 'at', 'eventKey'],
  properties: {
    from: { type: 'string', description: "the document's sender OrganId" },
    documentId: { type: 'string' },
    recipient: { type: 'string', description: 'the recipient leg the status is about' },
    status: { type: 'string', pattern: '^(\\d{2}|DELIVERY_FAILED)$' },
    at: { type: 'string', format: 'date-time' },
    eventKey: { type: 'string', maxLength: 512, description: "the sending gateway's event key (idempotency)" },
    statusPackage: { type: 'string', description: 'the edXML status package, base64' },
    statusContentType: { type: 'string' },
    statusFrom: { type: 'string' },
  },
  additionalProperties: false,
} as const

export async function federationRoutes(app: FastifyInstance, rt: Runtime) {
  app.post<{ Body: FederatedStatus }>(
    '/v1/federation/receipts',
    {
      config: { auth: 'client' },
      schema: {
        tags: ['federation'],
        summary: 'A peer gateway hands back a status about a document forwarded to it (gateway keys only)',
        body: bodySchema,
        security: [{ apiKey: [] }],
        response: { 202: { type: 'object', properties: { id: { type: 'string' }, eventKey: { type: 'string' } } }, '4xx': { $ref: 'Problem#' } },
      },
    },
    async (req, reply) => reply.code(202).send(await acceptFederatedStatus(rt, principalOf(req), req.body)),
  )

  app.post<{ Body: FederatedStatus }>(
    '/v1/federation/recalls',
    {
      config: { auth: 'client' },
      schema: {
        tags: ['federation'],
        summary: "A peer gateway passes on the sender's 13 (recall) about a document it forwarded here, with the sender's status package (gateway keys only)",
        body: bodySchema,
        security: [{ apiKey: [] }],
        response: { 202: { type: 'object', properties: { id: { type: 'string' }, eventKey: { type: 'string' } } }, '4xx': { $ref: 'Problem#' } },
      },
    },
    async (req, reply) => reply.code(202).send(await acceptFederatedRecall(rt, principalOf(req), req.body)),
  )
}
