/** REST surface for recipients: the pull inbox, the package (exact bytes, or converted to the other form), and the ack that sends status 01. */
import type { FastifyInstance } from 'fastify'
import type { Runtime } from '../runtime.ts'
import { listInbox } from '../store/inbox-repo.ts'
import { acknowledge, inboxItemFor } from '../receipts/acknowledge.ts'
import { principalOf } from './auth.ts'
import { inboxCodesOf } from '../ingest/closed-agencies.ts'
import { documentationOnly, packageContent, preferredFormat } from './package-body.ts'
import { asEdxml, asJson, assertHoldable, CONTENT_TYPE, formatOf } from '../ingest/incoming.ts'

const itemSchema = {
  type: 'object',
  properties: {
    id: { type: 'string', description: 'inbox item id (use it to fetch and ack)' },
    documentUuid: { type: 'string' },
    recipient: { type: 'string' },
    from: { type: 'string' },
    documentId: { type: 'string' },
    subject: { type: ['string', 'null'] },
    sha256: { type: 'string' },
    size: { type: 'integer' },
    deliveredAt: { type: 'string' },
    ackedAt: { type: ['string', 'null'] },
    addressedTo: { type: 'string', description: 'the closed agency the package names, when it was delivered to its successor (you)' },
  },
} as const

export async function inboxRoutes(app: FastifyInstance, rt: Runtime) {
  app.get<{ Querystring: { all?: boolean; limit?: number } }>(
    '/v1/inbox',
    {
      config: { auth: 'client' },
      schema: {
        tags: ['inbox'],
        summary: "Documents waiting for the caller's agencies (un-acked; ?all=true to include acked)",
        querystring: { type: 'object', properties: { all: { type: 'boolean', default: false }, limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 } } },
        security: [{ apiKey: [] }],
        response: { 200: { type: 'object', properties: { items: { type: 'array', items: itemSchema } } } },
      },
    },
    async (req) => {
      const who = principalOf(req)
      const items = await listInbox(rt.db, inboxCodesOf(rt, who), { includeAcked: req.query.all ?? false, limit: req.query.limit ?? 100 })
      return { items: items.map(({ blobKey: _b, contentType: _c, ...rest }) => rest) }
    },
  )

  app.get<{ Params: { id: string } }>(
    '/v1/inbox/:id',
    {
      config: { auth: 'client' },
      ...documentationOnly,
      schema: {
        tags: ['inbox'],
        summary: 'The document: edXML by default (the exact bytes when the sender sent edXML), the JSON form with Accept: application/json',
        description:
          'Format bridging: a package is stored as its sender sent it and converted on read. Sent as edXML → `application/xml` is the byte-identical package (signature intact; `Digest` is the SHA-256 of these bytes), `application/json` its JSON form. Sent in JSON form → `application/xml` is modelToXml of it (valid against the national XSD), `application/json` the bytes as sent. `X-Representation: original | converted` says which.',
        params: { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] },
        security: [{ apiKey: [] }],
        response: {
          200: { description: 'the package in the negotiated form', content: packageContent('edoc') },
          '4xx': { $ref: 'Problem#' },
        },
      },
    },
    async (req, reply) => {
      const item = await inboxItemFor(rt, principalOf(req), req.params.id)
      const want = preferredFormat(req)
      reply.header('vary', 'Accept').header('x-document-id', encodeURIComponent(item.documentId))
      if (formatOf(item.contentType) === want) {
        // the bytes as the sender sent them, streamed from the blob store
        return reply
          .type(CONTENT_TYPE[want])
          .header('digest', `sha-256=${Buffer.from(item.sha256, 'hex').toString('base64')}`)
          .header('x-representation', 'original')
          .send(rt.blobs.stream(item.blobKey))
      }
      assertHoldable(rt, item.size, `a conversion to ${CONTENT_TYPE[want]}`) // the form it was sent in streams at any size
      const stored = await rt.blobs.get(item.blobKey)
      const out = want === 'xml' ? asEdxml(stored, item.contentType) : asJson(stored, item.contentType)
      return reply.type(CONTENT_TYPE[want]).header('x-representation', 'converted').send(out.bytes)
    },
  )

  app.post<{ Params: { id: string } }>(
    '/v1/inbox/:id/ack',
    {
      config: { auth: 'client' },
      schema: {
        tags: ['inbox'],
        summary: 'Acknowledge arrival: sends edXML status 01 (đã đến) back to the sender',
        params: { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] },
        security: [{ apiKey: [] }],
        response: { 202: { type: 'object', properties: { id: { type: 'string' }, status: { type: 'string' }, ackedAt: { type: 'string' } } } },
      },
    },
    async (req, reply) => reply.code(202).send(await acknowledge(rt, principalOf(req), req.params.id)),
  )
}
