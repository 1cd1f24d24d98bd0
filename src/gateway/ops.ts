/**
 * Ops API, operator keys only: queue depth per tier, search across all documents, a document's
 * timeline across all its recipients, stuck and failed legs, the redelivery schedule, the delivery DLQ
 * (browse, replay, discard), every webhook subscription with its delivery log (and replay), and the
 * message log with its verification. Every action that changes something is one operator.action row in
 * the message log, written in the transaction of the change.
 */
import type { FastifyInstance } from 'fastify'
import { GatewayError } from '../errors.ts'
import type { Runtime } from '../runtime.ts'
import { principalOf } from './auth.ts'
import { TIERS } from '../routing/types.ts'
import { getDocument, timelines } from '../store/ledger-repo.ts'
import { queuesView } from '../ops/queues.ts'
import { failedDeliveries, retrySchedule, searchDocuments, stuckDeliveries } from '../store/ops-documents-repo.ts'
import { discardDeadLetter, listDeadLetters, replayDeadLetter } from '../ops/dead-letters.ts'
import { allSubscriptions, replayWebhookDelivery } from '../store/ops-webhooks-repo.ts'
import { listDeliveries } from '../store/webhooks-repo.ts'
import { listLog, logHead, verifyChain } from '../store/message-log-repo.ts'

const paging = {
  limit: { type: 'integer', minimum: 1, maximum: 500, default: 50 },
  offset: { type: 'integer', minimum: 0, default: 0 },
} as const
const idParams = { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] } as const

export async function opsRoutes(app: FastifyInstance, rt: Runtime) {
  const op = { config: { auth: 'operator' as const } }
  const doc = (summary: string, extra: Record<string, unknown> = {}) => ({ tags: ['operations'], summary, security: [{ apiKey: [] }], ...extra })

  app.get('/v1/ops/queues', { ...op, schema: doc("Per tier: Kafka lag, undelivered legs and the oldest one's age, in retry, in the DLQ; lag of the other stages") }, async () =>
    queuesView(rt),
  )

  app.get<{ Querystring: { q?: string; status?: string; sender?: string; recipient?: string; limit?: number; offset?: number } }>(
    '/v1/ops/documents',
    {
      ...op,
      schema: doc("Search every document: q = gateway id, or part of the DocumentId or subject; status = any leg's current status; sender / recipient OrganId", {
        querystring: {
          type: 'object',
          properties: {
            q: { type: 'string', maxLength: 200 },
            status: { type: 'string', maxLength: 40 },
            sender: { type: 'string', maxLength: 40 },
            recipient: { type: 'string', maxLength: 40 },
            ...paging,
          },
        },
      }),
    },
    async (req) => {
      const { q, status, sender, recipient } = req.query
      return searchDocuments(rt.db, { q, status, sender, recipient, limit: req.query.limit ?? 50, offset: req.query.offset ?? 0 })
    },
  )

  app.get<{ Params: { id: string } }>(
    '/v1/ops/documents/:id',
    { ...op, schema: doc("A document, each recipient's timeline, its DLQ items and its message-log rows", { params: idParams }) },
    async (req) => {
      const d = await getDocument(rt.db, req.params.id)
      if (!d) throw new GatewayError('DOCUMENT_NOT_FOUND', `no document ${req.params.id}`)
      const [recipients, dlq, log] = await Promise.all([
        timelines(rt.db, d.id),
        listDeadLetters(rt.db, { documentUuid: d.id, limit: 100, offset: 0 }),
        listLog(rt.db, { documentUuid: d.id, limit: 500 }),
      ])
      return {
        id: d.id,
        documentId: d.document_id,
        from: d.from_organ,
        subject: d.subject,
        sha256: d.sha256,
        size: Number(d.size),
        contentType: d.content_type,
        acceptedAt: d.accepted_at ? new Date(d.accepted_at).toISOString() : null,
        signature: (d as { signature?: unknown }).signature ?? null,
        recipients,
        deadLetters: dlq.items,
        log,
      }
    },
  )

  app.get<{ Querystring: { olderThanSeconds?: number; limit?: number } }>(
    '/v1/ops/deliveries/stuck',
    {
      ...op,
      schema: doc('Legs accepted but not delivered after olderThanSeconds (default 300), oldest first, with their retry state', {
        querystring: { type: 'object', properties: { olderThanSeconds: { type: 'integer', minimum: 0, default: 300 }, limit: paging.limit } },
      }),
    },
    async (req) => ({ items: await stuckDeliveries(rt.db, req.query.olderThanSeconds ?? 300, req.query.limit ?? 50) }),
  )

  app.get<{ Querystring: { limit?: number } }>(
    '/v1/ops/deliveries/failed',
    {
      ...op,
      schema: doc('Legs whose current status is DELIVERY_FAILED, newest first', { querystring: { type: 'object', properties: { limit: paging.limit } } }),
    },
    async (req) => ({ items: await failedDeliveries(rt.db, req.query.limit ?? 50) }),
  )

  app.get<{ Querystring: { limit?: number } }>(
    '/v1/ops/retries',
    {
      ...op,
      schema: doc('The redelivery schedule: legs waiting for their next attempt', { querystring: { type: 'object', properties: { limit: paging.limit } } }),
    },
    async (req) => ({ items: await retrySchedule(rt.db, req.query.limit ?? 50) }),
  )

  app.get<{ Querystring: { state?: string; tier?: string; recipient?: string; document?: string; limit?: number; offset?: number } }>(
    '/v1/ops/dlq',
    {
      ...op,
      schema: doc('The delivery dead-letter queue (mirrored from <prefix>deliver.dlq), newest first', {
        querystring: {
          type: 'object',
          properties: {
            state: { type: 'string', enum: ['dead', 'replayed', 'discarded'] },
            tier: { type: 'string', enum: [...TIERS] },
            recipient: { type: 'string', maxLength: 40 },
            document: { type: 'string', format: 'uuid' },
            ...paging,
          },
        },
      }),
    },
    async (req) => {
      const { state, tier, recipient, document } = req.query
      return listDeadLetters(rt.db, { state, tier, recipient, documentUuid: document, limit: req.query.limit ?? 50, offset: req.query.offset ?? 0 })
    },
  )

  app.post<{ Params: { id: string } }>(
    '/v1/ops/dlq/:id/replay',
    {
      ...op,
      schema: doc('Re-enqueue a DLQ item on its original topic for a fresh round of delivery attempts (audited)', { params: idParams }),
    },
    async (req, reply) => reply.code(202).send(await replayDeadLetter(rt, req.params.id, principalOf(req).clientId)),
  )

  app.post<{ Params: { id: string }; Body: { note?: string } | undefined }>(
    '/v1/ops/dlq/:id/discard',
    {
      ...op,
      schema: doc('Give up on a DLQ item for good (audited, with an optional note)', {
        params: idParams,
        body: { type: ['object', 'null'], properties: { note: { type: 'string', maxLength: 1000 } }, additionalProperties: false },
      }),
    },
    async (req) => discardDeadLetter(rt, req.params.id, principalOf(req).clientId, req.body?.note),
  )

  app.get('/v1/ops/webhooks', { ...op, schema: doc('Every webhook subscription, with its client and delivery counts by state') }, async () => ({
    items: await allSubscriptions(rt.db),
  }))

  app.get<{ Params: { id: string }; Querystring: { state?: string; limit?: number } }>(
    '/v1/ops/webhooks/:id/deliveries',
    {
      ...op,
      schema: doc('Deliveries of any subscription, newest first, with their attempt log', {
        params: idParams,
        querystring: { type: 'object', properties: { state: { type: 'string', enum: ['pending', 'delivered', 'dead'] }, limit: paging.limit } },
      }),
    },
    async (req) => ({ items: await listDeliveries(rt.db, req.params.id, { state: req.query.state, limit: req.query.limit ?? 50 }) }),
  )

  app.post<{ Params: { id: string; deliveryId: string } }>(
    '/v1/ops/webhooks/:id/deliveries/:deliveryId/replay',
    {
      ...op,
      schema: doc('Send a webhook delivery again, now, with the same webhook-id (audited)', {
        params: { type: 'object', properties: { id: { type: 'string' }, deliveryId: { type: 'string' } }, required: ['id', 'deliveryId'] },
      }),
    },
    async (req, reply) => {
      await replayWebhookDelivery(rt, req.params.id, req.params.deliveryId, principalOf(req).clientId)
      return reply.code(202).send({ id: req.params.deliveryId, state: 'pending' })
    },
  )

  app.get<{ Querystring: { after?: number; limit?: number; document?: string } }>(
    '/v1/ops/log',
    {
      ...op,
      schema: doc('Message-log rows after a seq, oldest first (page with after = the last seq); the head names the newest row and its hash', {
        querystring: {
          type: 'object',
          properties: {
            after: { type: 'integer', minimum: 0, default: 0 },
            limit: { type: 'integer', minimum: 1, maximum: 5000, default: 500 },
            document: { type: 'string', format: 'uuid' },
          },
        },
      }),
    },
    async (req) => ({
      head: await logHead(rt.db),
      items: await listLog(rt.db, { after: req.query.after ?? 0, limit: req.query.limit ?? 500, documentUuid: req.query.document }),
    }),
  )

  app.get(
    '/v1/ops/log/verify',
    { ...op, schema: doc('Walk the whole hash chain here and report altered or removed rows (`lgsp log verify` does the same walk on its side)') },
    async () => {
      const head = await logHead(rt.db)
      return verifyChain(pages(rt), head)
    },
  )
}

/** Every log row, oldest first, a page at a time (bounded memory on a long log). */
async function* pages(rt: Runtime) {
  let after = 0
  for (;;) {
    const rows = await listLog(rt.db, { after, limit: 2000 })
    yield* rows
    if (rows.length < 2000) return
    after = rows[rows.length - 1]!.seq
  }
}
