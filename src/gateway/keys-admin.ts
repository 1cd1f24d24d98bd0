/**
 * Client API keys for operators: list, rotate with an overlap window, revoke. A rotation answers the new key
 * once (only its SHA-256 is stored); the previous key keeps working until the window ends, so a client
 * system switches without an outage. A revocation disables the client: both keys fail with the very next
 * request (keys are looked up on every request, nothing caches a principal). Every change is an operator
 * action in the hash-chained message log.
 */
import type { FastifyInstance } from 'fastify'
import { GatewayError } from '../errors.ts'
import type { Runtime } from '../runtime.ts'
import { listClientKeys, revokeClient, rotateClientKey } from '../store/clients-repo.ts'
import { logOperatorAction } from '../store/message-log-repo.ts'
import { principalOf } from './auth.ts'

const DAY_S = 86_400
const keySchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    role: { type: 'string' },
    organIds: { type: 'array', items: { type: 'string' } },
    disabled: { type: 'boolean' },
    createdAt: { type: ['string', 'null'] },
    rotatedAt: { type: ['string', 'null'] },
    previousValidUntil: { type: ['string', 'null'], description: 'the previous key is accepted until then' },
  },
} as const
const idParam = { type: 'object', properties: { id: { type: 'string', minLength: 1, maxLength: 300 } }, required: ['id'] } as const

export async function keysAdminRoutes(app: FastifyInstance, rt: Runtime) {
  app.get(
    '/v1/ops/keys',
    {
      config: { auth: 'operator' },
      schema: {
        tags: ['ops'],
        summary: 'Client systems and their API keys (never the keys themselves)',
        security: [{ apiKey: [] }],
        response: { 200: { type: 'object', properties: { items: { type: 'array', items: keySchema } } } },
      },
    },
    async () => ({ items: await listClientKeys(rt.db) }),
  )

  app.post<{ Params: { id: string }; Body: { overlapSeconds?: number } | undefined }>(
    '/v1/ops/keys/:id/rotate',
    {
      config: { auth: 'operator' },
      schema: {
        tags: ['ops'],
        summary: 'A new API key for a client; the current one stays valid for overlapSeconds (default one day, 0 = at once)',
        security: [{ apiKey: [] }],
        params: idParam,
        body: { type: 'object', properties: { overlapSeconds: { type: 'integer', minimum: 0, maximum: 30 * DAY_S } }, additionalProperties: false },
        response: {
          200: { type: 'object', properties: { id: { type: 'string' }, key: { type: 'string', description: 'shown once' }, previousValidUntil: { type: ['string', 'null'] } } },
        },
      },
    },
    async (req) => {
      const overlapS = req.body?.overlapSeconds ?? DAY_S
      const r = await rotateClientKey(rt.db, req.params.id, overlapS * 1000)
      if (!r) throw new GatewayError('NOT_FOUND', `no enabled client ${req.params.id}`)
      await logOperatorAction(rt.db, { actor: principalOf(req).name, action: 'keys.rotate', detail: { client: req.params.id, overlapSeconds: overlapS } })
      return { id: req.params.id, ...r }
    },
  )

  app.post<{ Params: { id: string } }>(
    '/v1/ops/keys/:id/revoke',
    {
      config: { auth: 'operator' },
      schema: {
        tags: ['ops'],
        summary: 'Disable a client: its keys stop working with the next request',
        security: [{ apiKey: [] }],
        params: idParam,
        response: { 200: { type: 'object', properties: { id: { type: 'string' }, disabled: { type: 'boolean' } } } },
      },
    },
    async (req) => {
      if (!(await revokeClient(rt.db, req.params.id))) throw new GatewayError('NOT_FOUND', `no client ${req.params.id}`)
      await logOperatorAction(rt.db, { actor: principalOf(req).name, action: 'keys.revoke', detail: { client: req.params.id } })
      return { id: req.params.id, disabled: true }
    },
  )
}
