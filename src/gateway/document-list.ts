/** REST surface for senders: GET /v1/documents — the caller's sent documents, filtered, cursor-paged. */
import type { FastifyInstance } from 'fastify'
import { GatewayError } from '../errors.ts'
import type { Runtime } from '../runtime.ts'
import { listSentDocuments } from '../store/document-list-repo.ts'
import { labelOf } from '../receipts/status-model.ts'
import { principalOf } from './auth.ts'

interface Query {
  status?: string
  recipient?: string
  since?: string
  cursor?: string
  limit?: number
}

const encodeCursor = (c: { at: string; id: string }) => Buffer.from(JSON.stringify([c.at, c.id])).toString('base64url')
function decodeCursor(s: string): { at: string; id: string } {
  try {
    const [at, id] = JSON.parse(Buffer.from(s, 'base64url').toString('utf8')) as [string, string]
    // accepted_at as PostgreSQL prints a timestamptz, e.g. "2026-11-23 17:10:00.123456+00"
    if (/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d{1,6})?[+-]\d{2}(:\d{2})?$/.test(at) && /^[0-9a-f-]{36}$/i.test(id)) return { at, id }
  } catch {
    /* fall through */
  }
  throw new GatewayError('BAD_REQUEST', 'cursor is not one this endpoint returned')
}

export async function documentListRoutes(app: FastifyInstance, rt: Runtime) {
  app.get<{ Querystring: Query }>(
    '/v1/documents',
    {
      config: { auth: 'client' },
      schema: {
        tags: ['documents'],
        summary: "The caller's sent documents, newest first, with each recipient's current status",
        querystring: {
          type: 'object',
          properties: {
            status: { type: 'string', description: 'only documents with a recipient whose current status is this (e.g. DELIVERED, 01, 06)' },
            recipient: { type: 'string', description: 'only documents sent to this OrganId (with status: that recipient’s status)' },
            since: { type: 'string', format: 'date-time', description: 'accepted at or after this instant' },
            cursor: { type: 'string', description: 'nextCursor of the previous page' },
            limit: { type: 'integer', minimum: 1, maximum: 500, default: 50 },
          },
        },
        security: [{ apiKey: [] }],
        response: {
          200: {
            type: 'object',
            properties: {
              items: {
                type: 'array',
                items: {
                  type: 'object',
                  properties: {
                    id: { type: 'string' },
                    documentId: { type: 'string' },
                    from: { type: 'string' },
                    subject: { type: ['string', 'null'] },
                    acceptedAt: { type: 'string' },
                    recipients: {
                      type: 'array',
                      items: {
                        type: 'object',
                        properties: { organId: { type: 'string' }, tier: { type: 'string' }, status: { type: 'string' }, label: { type: ['string', 'null'] } },
                      },
                    },
                  },
                },
              },
              nextCursor: { type: ['string', 'null'] },
            },
          },
          '4xx': { $ref: 'Problem#' },
        },
      },
    },
    async (req) => {
      const who = principalOf(req)
      const q = req.query
      const { items, next } = await listSentDocuments(rt.db, {
        senders: who.role === 'operator' ? null : [...who.organIds],
        status: q.status,
        recipient: q.recipient,
        since: q.since,
        limit: q.limit ?? 50,
        cursor: q.cursor ? decodeCursor(q.cursor) : undefined,
      })
      return {
        items: items.map((d) => ({ ...d, recipients: d.recipients.map((r) => ({ ...r, label: labelOf(r.status) })) })),
        nextCursor: next ? encodeCursor(next) : null,
      }
    },
  )
}
