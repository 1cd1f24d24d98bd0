/**
 * The pull status inbox, mirroring the national axis's `messagetype=status`: edXML status packages addressed
 * to the caller's agencies — statuses about documents they sent (01–06, 15, 16, including the 01s the
 * gateway builds on inbox acks) and recall requests (13) about documents they received. Each item carries
 * the package itself and a JSON summary; ack removes it from the default (un-acked) view.
 */
import type { FastifyInstance } from 'fastify'
import { GatewayError } from '../errors.ts'
import type { Runtime } from '../runtime.ts'
import type { Principal } from '../store/clients-repo.ts'
import { ackStatus, getStatus, listStatuses, type StatusInboxRow } from '../store/status-inbox-repo.ts'
import { statusPackageXml } from '../receipts/status-package.ts'
import { labelOf } from '../receipts/status-model.ts'
import { principalOf } from './auth.ts'
import { inboxCodesOf, mayReadInboxOf } from '../ingest/closed-agencies.ts'

const itemSchema = {
  type: 'object',
  properties: {
    id: { type: 'string', description: 'status inbox item id (use it to fetch and ack)' },
    seq: { type: 'integer', description: 'arrival order; pass the last one seen as `after`' },
    documentUuid: { type: 'string', description: 'gateway id of the document the status is about' },
    documentId: { type: 'string' },
    documentFrom: { type: 'string' },
    to: { type: 'string', description: 'the OrganId this package is addressed to' },
    recipient: { type: 'string', description: 'the recipient leg of the document the status is about' },
    from: { type: 'string', description: 'the agency that sent the status' },
    statusCode: { type: 'string' },
    label: { type: ['string', 'null'] },
    description: { type: ['string', 'null'] },
    at: { type: 'string' },
    outOfOrder: { type: 'boolean' },
    ackedAt: { type: ['string', 'null'] },
    edxml: { type: 'string', description: 'the edXML status package' },
    signature: {
      type: ['object', 'null'],
      additionalProperties: true,
      description: 'the signature verdict taken when the status entered the gateway (null for a status the gateway built, e.g. 01 on an inbox ack)',
    },
  },
} as const

export async function itemFor(rt: Runtime, who: Principal, id: string): Promise<StatusInboxRow> {
  const row = await getStatus(rt.db, id)
  // 404 rather than 403 for other agencies' items: an id reveals nothing
  if (!row || !mayReadInboxOf(rt, who, row.addressee)) throw new GatewayError('NOT_FOUND', `no status inbox item ${id} for this caller`)
  return row
}

export async function statusInboxRoutes(app: FastifyInstance, rt: Runtime) {
  app.get<{ Querystring: { all?: boolean; after?: number; limit?: number; document?: string } }>(
    '/v1/status-inbox',
    {
      config: { auth: 'client' },
      schema: {
        tags: ['status inbox'],
        summary: "edXML status packages addressed to the caller's agencies, in arrival order (un-acked; ?all=true to include acked)",
        querystring: {
          type: 'object',
          properties: {
            all: { type: 'boolean', default: false },
            after: { type: 'integer', minimum: 0, default: 0, description: 'only items with seq greater than this (cursor)' },
            limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
            document: { type: 'string', format: 'uuid', description: 'only statuses about this document (gateway id)' },
          },
        },
        security: [{ apiKey: [] }],
        response: { 200: { type: 'object', properties: { items: { type: 'array', items: itemSchema }, nextAfter: { type: ['integer', 'null'] } } } },
      },
    },
    async (req) => {
      const who = principalOf(req)
      const limit = req.query.limit ?? 100
      const rows = await listStatuses(rt.db, inboxCodesOf(rt, who), { includeAcked: req.query.all ?? false, after: req.query.after ?? 0, limit, document: req.query.document })
      const items = await Promise.all(
        rows.map(async (r) => ({
          id: r.id,
          seq: r.seq,
          documentUuid: r.documentUuid,
          documentId: r.documentId,
          documentFrom: r.documentFrom,
          to: r.addressee,
          recipient: r.recipient,
          from: r.from,
          statusCode: r.statusCode,
          label: labelOf(r.statusCode),
          description: r.description,
          at: r.at,
          outOfOrder: r.outOfOrder,
          ackedAt: r.ackedAt,
          signature: r.signature,
          edxml: await statusPackageXml(rt, r.statusBlob, r.contentType),
        })),
      )
      return { items, nextAfter: rows.length === limit ? rows[rows.length - 1]!.seq : null }
    },
  )

  app.get<{ Params: { id: string } }>(
    '/v1/status-inbox/:id',
    {
      config: { auth: 'client' },
      schema: {
        tags: ['status inbox'],
        summary: 'The edXML status package',
        params: { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] },
        produces: ['application/xml'],
        security: [{ apiKey: [] }],
      },
    },
    async (req, reply) => {
      const row = await itemFor(rt, principalOf(req), req.params.id)
      return reply.type('application/xml; charset=utf-8').send(await statusPackageXml(rt, row.statusBlob, row.contentType))
    },
  )

  app.post<{ Params: { id: string } }>(
    '/v1/status-inbox/:id/ack',
    {
      config: { auth: 'client' },
      schema: {
        tags: ['status inbox'],
        summary: 'Acknowledge a status package: it leaves the un-acked view (repeating the ack answers the same)',
        params: { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] },
        security: [{ apiKey: [] }],
        response: { 200: { type: 'object', properties: { id: { type: 'string' }, ackedAt: { type: 'string' } } } },
      },
    },
    async (req) => {
      const row = await itemFor(rt, principalOf(req), req.params.id)
      return { id: row.id, ackedAt: row.ackedAt ?? (await ackStatus(rt.db, row.id)) }
    },
  )
}
