/**
 * Webhook subscriptions. A client subscribes a URL to document events — by default all of
 * document.accepted, document.delivered, document.status (01–16), document.failed — optionally filtered by
 * document, recipient or sender. It sees only its own subscriptions, and a subscription receives only events
 * about documents the client's OrganIds sent or received. The signing secret (Standard Webhooks, `whsec_…`)
 * is shown once, on creation and on rotation. Deliveries and their attempt log can be read and replayed.
 */
import type { FastifyInstance } from 'fastify'
import { GatewayError } from '../errors.ts'
import type { Runtime } from '../runtime.ts'
import type { Principal } from '../store/clients-repo.ts'
import { getDocument } from '../store/ledger-repo.ts'
import { EVENT_TYPES } from '../receipts/webhooks/events.ts'
import { checkTarget } from '../net/ssrf.ts'
import { newSecret } from '../receipts/webhooks/signing.ts'
import {
  createSubscription,
  deleteSubscription,
  getSubscription,
  listDeliveries,
  listSubscriptions,
  replayDelivery,
  rotateSecret,
  type Subscription,
} from '../store/webhooks-repo.ts'
import { principalOf } from './auth.ts'

/** After a rotation the previous secret keeps signing (a second v1 signature) this long. */
const ROTATION_GRACE_MS = 24 * 3600_000

const subscriptionSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    url: { type: 'string' },
    events: { type: 'array', items: { type: 'string' } },
    filter: { type: 'object', properties: { document: { type: ['string', 'null'] }, recipient: { type: ['string', 'null'] }, sender: { type: ['string', 'null'] } } },
    createdAt: { type: 'string' },
    secret: { type: 'string', description: 'the signing secret (whsec_ + base64); returned only on creation and rotation' },
  },
} as const
const idParams = { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] } as const

interface CreateBody {
  url: string
  events?: string[]
  filter?: { document?: string; recipient?: string; sender?: string }
}

const view = (s: Subscription) => ({ id: s.id, url: s.url, events: s.events, filter: s.filter, createdAt: s.createdAt })

async function mine(rt: Runtime, who: Principal, id: string): Promise<Subscription> {
  const s = await getSubscription(rt.db, who.clientId, id)
  if (!s) throw new GatewayError('WEBHOOK_NOT_FOUND', `no webhook subscription ${id} for this caller`)
  return s
}

export async function webhookRoutes(app: FastifyInstance, rt: Runtime) {
  const common = { config: { auth: 'client' as const } }

  app.post<{ Body: CreateBody }>(
    '/v1/webhooks',
    {
      ...common,
      schema: {
        tags: ['webhooks'],
        summary: 'Subscribe a URL to document events; the answer carries the signing secret, once',
        description:
          'Deliveries follow Standard Webhooks (webhook-id, webhook-timestamp, webhook-signature v1 HMAC-SHA256), are retried with exponential backoff for about a day, then dead-lettered. The URL must resolve to public addresses (WEBHOOK_URL_REFUSED otherwise, unless the deployment allows private ones).',
        body: {
          type: 'object',
          required: ['url'],
          additionalProperties: false,
          properties: {
            url: { type: 'string', maxLength: 2048 },
            events: { type: 'array', minItems: 1, uniqueItems: true, items: { type: 'string', enum: [...EVENT_TYPES] }, description: 'default: all' },
            filter: {
              type: 'object',
              additionalProperties: false,
              properties: { document: { type: 'string', format: 'uuid' }, recipient: { type: 'string' }, sender: { type: 'string' } },
            },
          },
        },
        security: [{ apiKey: [] }],
        response: { 201: subscriptionSchema, '4xx': { $ref: 'Problem#' } },
      },
    },
    async (req, reply) => {
      const who = principalOf(req)
      const b = req.body
      await checkTarget(b.url, rt.config.webhookAllowPrivate)
      if (b.filter?.document) {
        const doc = await getDocument(rt.db, b.filter.document)
        const involved = doc && (who.role === 'operator' || who.organIds.has(doc.from_organ) || doc.recipients.some((r) => who.organIds.has(r)))
        if (!involved) throw new GatewayError('DOCUMENT_NOT_FOUND', `no document ${b.filter.document} sent or received by this caller`)
      }
      const secret = newSecret()
      const s = await createSubscription(rt.db, {
        clientId: who.clientId,
        url: b.url,
        events: b.events ?? [...EVENT_TYPES],
        secret,
        filter: { document: b.filter?.document ?? null, recipient: b.filter?.recipient ?? null, sender: b.filter?.sender ?? null },
      })
      return reply
        .code(201)
        .header('location', `/v1/webhooks/${s.id}`)
        .send({ ...view(s), secret })
    },
  )

  app.get(
    '/v1/webhooks',
    {
      ...common,
      schema: {
        tags: ['webhooks'],
        summary: "The caller's webhook subscriptions",
        security: [{ apiKey: [] }],
        response: { 200: { type: 'object', properties: { items: { type: 'array', items: subscriptionSchema } } } },
      },
    },
    async (req) => ({ items: (await listSubscriptions(rt.db, principalOf(req).clientId)).map(view) }),
  )

  app.get<{ Params: { id: string } }>(
    '/v1/webhooks/:id',
    {
      ...common,
      schema: {
        tags: ['webhooks'],
        summary: 'One subscription (without its secret)',
        params: idParams,
        security: [{ apiKey: [] }],
        response: { 200: subscriptionSchema, '4xx': { $ref: 'Problem#' } },
      },
    },
    async (req) => view(await mine(rt, principalOf(req), req.params.id)),
  )

  app.delete<{ Params: { id: string } }>(
    '/v1/webhooks/:id',
    {
      ...common,
      schema: { tags: ['webhooks'], summary: 'Unsubscribe; pending deliveries are dropped', params: idParams, security: [{ apiKey: [] }] },
    },
    async (req, reply) => {
      if (!(await deleteSubscription(rt.db, principalOf(req).clientId, req.params.id)))
        throw new GatewayError('WEBHOOK_NOT_FOUND', `no webhook subscription ${req.params.id} for this caller`)
      return reply.code(204).send()
    },
  )

  app.post<{ Params: { id: string } }>(
    '/v1/webhooks/:id/rotate-secret',
    {
      ...common,
      schema: {
        tags: ['webhooks'],
        summary: 'A new signing secret, returned once; the previous one keeps signing alongside for 24 h',
        params: idParams,
        security: [{ apiKey: [] }],
        response: {
          200: { type: 'object', properties: { id: { type: 'string' }, secret: { type: 'string' }, previousSecretValidUntil: { type: 'string' } } },
          '4xx': { $ref: 'Problem#' },
        },
      },
    },
    async (req) => {
      const who = principalOf(req)
      const secret = newSecret()
      if (!(await rotateSecret(rt.db, who.clientId, req.params.id, secret, ROTATION_GRACE_MS)))
        throw new GatewayError('WEBHOOK_NOT_FOUND', `no webhook subscription ${req.params.id} for this caller`)
      return { id: req.params.id, secret, previousSecretValidUntil: new Date(Date.now() + ROTATION_GRACE_MS).toISOString() }
    },
  )

  app.get<{ Params: { id: string }; Querystring: { state?: string; limit?: number; before?: string } }>(
    '/v1/webhooks/:id/deliveries',
    {
      ...common,
      schema: {
        tags: ['webhooks'],
        summary: 'Deliveries of a subscription, newest first, each with its attempt log (status code, error, duration)',
        params: idParams,
        querystring: {
          type: 'object',
          properties: {
            state: { type: 'string', enum: ['pending', 'delivered', 'dead'] },
            limit: { type: 'integer', minimum: 1, maximum: 500, default: 50 },
            before: { type: 'string', description: 'a delivery id: only older deliveries (paging)' },
          },
        },
        security: [{ apiKey: [] }],
      },
    },
    async (req) => {
      const s = await mine(rt, principalOf(req), req.params.id)
      return { items: await listDeliveries(rt.db, s.id, { state: req.query.state, limit: req.query.limit ?? 50, before: req.query.before }) }
    },
  )

  app.post<{ Params: { id: string; deliveryId: string } }>(
    '/v1/webhooks/:id/deliveries/:deliveryId/replay',
    {
      ...common,
      schema: {
        tags: ['webhooks'],
        summary: 'Send a delivery again (e.g. out of the DLQ), now, with the same webhook-id and a fresh retry horizon',
        params: { type: 'object', properties: { id: { type: 'string' }, deliveryId: { type: 'string' } }, required: ['id', 'deliveryId'] },
        security: [{ apiKey: [] }],
      },
    },
    async (req, reply) => {
      const s = await mine(rt, principalOf(req), req.params.id)
      if (!(await replayDelivery(rt.db, s.id, req.params.deliveryId))) throw new GatewayError('WEBHOOK_NOT_FOUND', `no delivery ${req.params.deliveryId} in subscription ${s.id}`)
      return reply.code(202).send({ id: req.params.deliveryId, state: 'pending' })
    },
  )
}
