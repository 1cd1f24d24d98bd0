/**
 * API-key authentication. Every route declares `config.auth`: 'none' (health, docs), 'client' (any
 * valid key; the key's OrganIds bound what it may do) or 'operator'. Keys travel as
 * `Authorization: Bearer <key>`; only their SHA-256 is stored.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { GatewayError } from '../errors.ts'
import type { Principal } from '../store/clients-repo.ts'
import { principalCache } from './principals.ts'
import type { Runtime } from '../runtime.ts'

export type AuthMode = 'none' | 'client' | 'operator'

declare module 'fastify' {
  interface FastifyContextConfig {
    auth?: AuthMode
  }
  interface FastifyRequest {
    principal: Principal | null
  }
}

export function registerAuth(app: FastifyInstance, rt: Runtime) {
  app.decorateRequest('principal', null)
  const principalOfKey = principalCache(rt.db)
  app.addHook('onRequest', async (req) => {
    const mode: AuthMode = req.routeOptions.config?.auth ?? 'none'
    if (mode === 'none') return
    const h = req.headers.authorization
    const key = h?.startsWith('Bearer ') ? h.slice(7).trim() : undefined
    const who = key ? await principalOfKey(key) : null
    if (!who) throw new GatewayError('UNAUTHENTICATED', key ? 'unknown or disabled API key' : 'send Authorization: Bearer <api key>')
    if (mode === 'operator' && who.role !== 'operator') throw new GatewayError('FORBIDDEN', 'operator key required')
    req.principal = who
  })
}

/** The authenticated caller; routes with auth 'client' or 'operator' always have one. */
export function principalOf(req: FastifyRequest): Principal {
  if (!req.principal) throw new GatewayError('UNAUTHENTICATED')
  return req.principal
}
