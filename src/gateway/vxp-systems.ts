/**
 * Provisioning of VXP client systems (operator keys; `lgsp vxp-system` calls these):
 *
 *   GET  /v1/ops/vxp-systems                 every system, without secrets
 *   POST /v1/ops/vxp-systems                 {systemId?, name, organIds, operator?} → 201 with the secret, once
 *   POST /v1/ops/vxp-systems/{id}/disable    requests signed by it are refused from now on (UNAUTHENTICATED)
 *   POST /v1/ops/vxp-systems/{id}/enable
 *   POST /v1/ops/vxp-systems/{id}/rotate     a new secret, shown once; the old one stops verifying at once
 *
 * Each change is one operator.action row in the message log, in the transaction of the change; a secret is
 * never written there, nor to any log.
 */
import crypto from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import { GatewayError } from '../errors.ts'
import type { Runtime } from '../runtime.ts'
import type { Sql } from '../store/db.ts'
import { agencyCodeProblem, validateJurisdiction } from '../routing/agency-code.ts'
import { isPattern } from './vxp/auth.ts'
import { logOperatorAction } from '../store/message-log-repo.ts'
import { listVxpSystems, rotateVxpSecret, saveVxpSystem, secretBoxKey, setVxpSystemDisabled, vxpSystemExists, type VxpSystem } from '../store/vxp-systems-repo.ts'
import { principalOf } from './auth.ts'

const systemSchema = {
  type: 'object',
  properties: {
    systemId: { type: 'string' },
    name: { type: 'string' },
    organIds: { type: 'array', items: { type: 'string' } },
    operator: { type: 'boolean', description: 'may also registerAgency / deleteAgency' },
    disabled: { type: 'boolean' },
    createdAt: { type: 'string' },
    rotatedAt: { type: ['string', 'null'] },
  },
} as const
const withSecret = {
  type: 'object',
  properties: { system: systemSchema, secret: { type: 'string', description: 'the SDK `secret`; shown only in this answer' } },
} as const
const idParams = { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] } as const

function patternProblem(p: string): string | null {
  try {
    validateJurisdiction([p])
    return null
  } catch (e) {
    return (e as Error).message
  }
}

export async function vxpSystemRoutes(app: FastifyInstance, rt: Runtime) {
  const op = { config: { auth: 'operator' as const } }
  const doc = (summary: string, extra: Record<string, unknown> = {}) => ({ tags: ['operations'], summary, security: [{ apiKey: [] }], ...extra })
  const key = () => secretBoxKey(rt.config)

  app.get(
    '/v1/ops/vxp-systems',
    {
      ...op,
      schema: doc('VXP client systems (the SDK systemid), their OrganIds and state; never their secrets', {
        response: { 200: { type: 'object', properties: { items: { type: 'array', items: systemSchema } } } },
      }),
    },
    async () => ({ items: await listVxpSystems(rt.db) }),
  )

  app.post<{ Body: { systemId?: string; name: string; organIds: string[]; operator?: boolean } }>(
    '/v1/ops/vxp-systems',
    {
      ...op,
      schema: doc('Create a VXP client system bound to OrganIds; the answer carries its secret, shown once', {
        body: {
          type: 'object',
          required: ['name', 'organIds'],
          additionalProperties: false,
          properties: {
            systemId: { type: 'string', pattern: '^[A-Za-z0-9._:-]{1,100}$', description: 'default: generated (vxp.<random>)' },
            name: { type: 'string', minLength: 1, maxLength: 500 },
            organIds: { type: 'array', items: { type: 'string' }, maxItems: 10_000 },
            operator: { type: 'boolean', default: false },
          },
        },
        response: { 201: withSecret, '4xx': { $ref: 'Problem#' } },
      }),
    },
    async (req, reply) => {
      const b = req.body
      // an agency code, or — for a relay system acting for a whole jurisdiction — a pattern such as *.H41
      const bad = b.organIds.map((o) => [o, isPattern(o) ? patternProblem(o) : agencyCodeProblem(o)] as const).filter(([, p]) => p !== null)
      if (bad.length)
        throw new GatewayError('INVALID_AGENCY_CODE', `not agency codes or jurisdiction patterns: ${bad.map(([o]) => o).join(', ')}`, {
          errors: bad.map(([o, p]) => ({ path: `/organIds[${o}]`, message: p! })),
        })
      const systemId = b.systemId ?? `vxp.${crypto.randomBytes(6).toString('hex')}`
      const actor = principalOf(req).clientId
      const created = await rt.db.tx(async (q) => {
        if (await vxpSystemExists(q, systemId)) throw new GatewayError('VXP_SYSTEM_EXISTS', `VXP system ${systemId} already exists; rotate its secret instead`)
        const c = await saveVxpSystem(q, key(), { systemId, name: b.name.trim(), organIds: b.organIds, operator: b.operator ?? false })
        await logOperatorAction(q, { actor, action: 'vxp-system.add', detail: { systemId, organIds: b.organIds, operator: b.operator ?? false } })
        return c
      })
      return reply.code(201).send(created)
    },
  )

  const change = (action: 'disable' | 'enable' | 'rotate', run: (q: Sql, id: string) => Promise<{ system: VxpSystem; secret?: string } | null>) =>
    app.post<{ Params: { id: string } }>(
      `/v1/ops/vxp-systems/:id/${action}`,
      {
        ...op,
        schema: doc(
          action === 'rotate' ? 'A new secret for a VXP system, shown once; the old one stops verifying at once' : `${action === 'disable' ? 'Disable' : 'Enable'} a VXP system`,
          { params: idParams, response: { 200: action === 'rotate' ? withSecret : { type: 'object', properties: { system: systemSchema } }, '4xx': { $ref: 'Problem#' } } },
        ),
      },
      async (req) =>
        rt.db.tx(async (q) => {
          const r = await run(q, req.params.id)
          if (!r) throw new GatewayError('NOT_FOUND', `no VXP system ${req.params.id}`)
          await logOperatorAction(q, { actor: principalOf(req).clientId, action: `vxp-system.${action}`, detail: { systemId: req.params.id } })
          return r
        }),
    )
  change('disable', async (q, id) => {
    const s = await setVxpSystemDisabled(q, id, true)
    return s && { system: s }
  })
  change('enable', async (q, id) => {
    const s = await setVxpSystemDisabled(q, id, false)
    return s && { system: s }
  })
  change('rotate', (q, id) => rotateVxpSecret(q, key(), id))
}
