/** REST surface for recipients: the pull inbox, the exact bytes, and the ack that sends status 01. */
import type { FastifyInstance } from 'fastify'
import type { Runtime } from '../runtime.ts'
import { listInbox } from '../store/inbox-repo.ts'
import { acknowledge, inboxItemFor } from '../pipeline/acknowledge.ts'
import { principalOf } from './auth.ts'

const itemSchema = {
  type: 'object',
  properties: {
    id: { type: 'string', description: 'inbox item id (use it to fetch and ack)' },
    documentUuid: { type: 'string' }, recipient: { type: 'string' }, from: { type: 'string' }, documentId: { type: 'string' },
    subject: { type: ['string', 'null'] }, sha256: { type: 'string' }, size: { type: 'integer' },
    deliveredAt: { type: 'string' }, ackedAt: { type: ['string', 'null'] },
  },
} as const

export async function inboxRoutes(app: FastifyInstance, rt: Runtime) {
  app.get<{ Querystring: { all?: boolean; limit?: number } }>('/v1/inbox', {
    config: { auth: 'client' },
    schema: {
      tags: ['inbox'],
      summary: "Documents waiting for the caller's agencies (un-acked; ?all=true to include acked)",
      querystring: { type: 'object', properties: { all: { type: 'boolean', default: false }, limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 } } },
      security: [{ apiKey: [] }],
      response: { 200: { type: 'object', properties: { items: { type: 'array', items: itemSchema } } } },
    },
  }, async (req) => {
    const who = principalOf(req)
    const items = await listInbox(rt.db, [...who.organIds], { includeAcked: req.query.all ?? false, limit: req.query.limit ?? 100 })
    return { items: items.map(({ blobKey: _b, contentType: _c, ...rest }) => rest) }
  })

  app.get<{ Params: { id: string } }>('/v1/inbox/:id', {
    config: { auth: 'client' },
    schema: {
      tags: ['inbox'],
      summary: 'The document exactly as the sender sent it (byte-identical, signature intact)',
      params: { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] },
      produces: ['application/xml'],
      security: [{ apiKey: [] }],
    },
  }, async (req, reply) => {
    const item = await inboxItemFor(rt, principalOf(req), req.params.id)
    return reply
      .type(item.contentType)
      .header('digest', `sha-256=${Buffer.from(item.sha256, 'hex').toString('base64')}`)
      .header('x-document-id', encodeURIComponent(item.documentId))
      .send(rt.blobs.stream(item.blobKey))
  })

  app.post<{ Params: { id: string } }>('/v1/inbox/:id/ack', {
    config: { auth: 'client' },
    schema: {
      tags: ['inbox'],
      summary: 'Acknowledge arrival: sends edXML status 01 (đã đến) back to the sender',
      params: { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] },
      security: [{ apiKey: [] }],
      response: { 202: { type: 'object', properties: { id: { type: 'string' }, status: { type: 'string' }, ackedAt: { type: 'string' } } } },
    },
  }, async (req, reply) => reply.code(202).send(await acknowledge(rt, principalOf(req), req.params.id)))
}
