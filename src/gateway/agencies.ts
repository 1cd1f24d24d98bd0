/**
 * Directory API: read the agency directory (any key), change it (operator keys). Reads come
 * from the in-memory snapshot the route planner uses; every change is written to the store first and the
 * snapshot is then rebuilt (rt.reloadDirectory), so routing sees exactly what is persisted.
 *
 *   GET    /v1/agencies?parent=&tier=&q=&limit=&offset=   filter + page (q: diacritic-insensitive)
 *   GET    /v1/agencies/{organId}
 *   PUT    /v1/agencies/{organId}     create or replace one agency
 *   DELETE /v1/agencies/{organId}
 *   POST   /v1/agencies/import        a TSV / CSV / JSON directory file (src/routing/directory-import.ts):
 *          tier rules + overrides, per-line errors reported, good lines imported (?dryRun=true: report only)
 */
import type { FastifyInstance } from 'fastify'
import { GatewayError } from '../errors.ts'
import type { Runtime } from '../runtime.ts'
import { agencyCodeProblem, parentOf } from '../routing/agency-code.ts'
import { detectFormat, importDirectory, parseEndpoint, type DirectoryFormat, type ImportIssue } from '../routing/directory-import.ts'
import { TIERS, type Agency, type Tier } from '../routing/types.ts'
import { deleteAgency, upsertAgencies, upsertAgenciesBulk } from '../store/directory-repo.ts'
import { peerFor } from '../adapters/upstream.ts'
import { holderOf } from '../routing/succession.ts'

const endpointSchema = {
  type: 'object',
  description: 'inbox (pulled by the agency) | http (push) | soap (push) | gateway (owned by another gateway)',
  properties: { kind: { type: 'string', enum: ['inbox', 'http', 'soap', 'gateway'] }, url: { type: 'string' } },
  required: ['kind'],
} as const

const closureSchema = {
  type: ['object', 'null'],
  description: 'present when the agency is closed (its code stays resolvable): effective date and successors',
  properties: { on: { type: 'string', format: 'date' }, successors: { type: 'array', items: { type: 'string' } }, note: { type: ['string', 'null'] } },
  required: ['on', 'successors'],
} as const

const agencySchema = {
  type: 'object',
  properties: {
    organId: { type: 'string' },
    name: { type: 'string' },
    tier: { type: 'string', enum: [...TIERS] },
    parent: { type: ['string', 'null'] },
    gateway: { type: ['string', 'null'], description: 'base URL of the owning gateway; null = this one' },
    endpoint: endpointSchema,
    certificates: { type: 'array', items: { type: 'string' } },
    enabled: { type: 'boolean' },
    closed: closureSchema,
    holder: { type: ['string', 'null'], description: 'a closed agency: who answers for it today (its successor chain followed); null when none or several' },
  },
} as const

const issueSchema = { type: 'object', properties: { line: { type: 'integer' }, path: { type: 'string' }, organId: { type: 'string' }, message: { type: 'string' } } } as const
const organIdParams = { type: 'object', properties: { organId: { type: 'string' } }, required: ['organId'] } as const

interface PutBody {
  name: string
  tier: Tier
  parent?: string | null
  gateway?: string | null
  endpoint?: string | { kind: string; url?: string }
  certificates?: string[]
  enabled?: boolean
}

/** The gateway an agency is forwarded to, if any, must be a configured peer. */
function unknownGateway(rt: Runtime, a: Agency): string | null {
  const gw = a.gateway ?? (a.endpoint.kind === 'gateway' ? a.endpoint.url : null)
  return gw !== null && !peerFor(rt, gw) ? gw : null
}

function checkCode(organId: string) {
  const problem = agencyCodeProblem(organId)
  if (problem) throw new GatewayError('INVALID_AGENCY_CODE', problem, { extra: { organId } })
}

export async function agencyRoutes(app: FastifyInstance, rt: Runtime) {
  // directory files travel as text (this plugin only); JSON files use the default JSON parser
  app.addContentTypeParser(['text/csv', 'text/tab-separated-values', 'text/plain'], { parseAs: 'string' }, (_req, body, done) => done(null, body))

  app.get<{ Querystring: { parent?: string; tier?: Tier; q?: string; status?: 'active' | 'closed'; limit?: number; offset?: number } }>(
    '/v1/agencies',
    {
      config: { auth: 'client' },
      schema: {
        tags: ['directory'],
        summary: 'List agencies: filter by parent, tier and text (name or code, diacritics ignored); paged',
        querystring: {
          type: 'object',
          properties: {
            parent: { type: 'string' },
            tier: { type: 'string', enum: [...TIERS] },
            q: { type: 'string', maxLength: 200 },
            status: { type: 'string', enum: ['active', 'closed'], description: 'closed = has a closure (whatever its date)' },
            limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
            offset: { type: 'integer', minimum: 0, default: 0 },
          },
        },
        security: [{ apiKey: [] }],
        response: {
          200: {
            type: 'object',
            properties: { total: { type: 'integer' }, offset: { type: 'integer' }, limit: { type: 'integer' }, items: { type: 'array', items: agencySchema } },
          },
        },
      },
    },
    async (req) => {
      const { parent, tier, q } = req.query
      const limit = req.query.limit ?? 100
      const offset = req.query.offset ?? 0
      const dir = rt.directory()
      let list: readonly Agency[] = q?.trim()
        ? dir.search(q, { limit: Number.MAX_SAFE_INTEGER, tier, includeDisabled: true })
        : parent !== undefined
          ? dir.children(parent)
          : dir.all()
      if (tier || parent !== undefined) list = list.filter((a) => (!tier || a.tier === tier) && (parent === undefined || a.parent === parent))
      if (req.query.status) list = list.filter((a) => !!a.closed === (req.query.status === 'closed'))
      return { total: list.length, offset, limit, items: list.slice(offset, offset + limit) }
    },
  )

  app.get<{ Params: { organId: string } }>(
    '/v1/agencies/:organId',
    {
      config: { auth: 'client' },
      schema: { tags: ['directory'], summary: 'One agency', params: organIdParams, security: [{ apiKey: [] }], response: { 200: agencySchema, '4xx': { $ref: 'Problem#' } } },
    },
    async (req) => {
      const dir = rt.directory()
      const a = dir.get(req.params.organId)
      if (!a) throw new GatewayError('NOT_FOUND', `no agency ${req.params.organId} in the directory`)
      return a.closed ? { ...a, holder: holderOf(dir, a.organId, Date.now()) } : a
    },
  )

  app.put<{ Params: { organId: string }; Body: PutBody }>(
    '/v1/agencies/:organId',
    {
      config: { auth: 'operator' },
      schema: {
        tags: ['directory'],
        summary: 'Create or replace one agency (operator)',
        params: organIdParams,
        body: {
          type: 'object',
          required: ['name', 'tier'],
          additionalProperties: false,
          properties: {
            name: { type: 'string', minLength: 1, maxLength: 500 },
            tier: { type: 'string', enum: [...TIERS] },
            parent: { type: ['string', 'null'], description: 'default: the code parent' },
            gateway: { type: ['string', 'null'], description: 'base URL (or peer id) of the owning gateway; null = this gateway' },
            endpoint: { anyOf: [{ type: 'string', description: 'inbox | http:<url> | soap:<url> | gateway:<url>' }, endpointSchema] },
            certificates: { type: 'array', items: { type: 'string' } },
            enabled: { type: 'boolean' },
          },
        },
        security: [{ apiKey: [] }],
        response: { 200: agencySchema, 201: agencySchema, '4xx': { $ref: 'Problem#' } },
      },
    },
    async (req, reply) => {
      const { organId } = req.params
      checkCode(organId)
      const b = req.body
      if (b.parent) checkCode(b.parent)
      let endpoint: Agency['endpoint']
      try {
        endpoint = parseEndpoint(typeof b.endpoint === 'object' ? (b.endpoint.kind === 'inbox' ? 'inbox' : `${b.endpoint.kind}:${b.endpoint.url ?? ''}`) : b.endpoint)
      } catch (e) {
        throw new GatewayError('BAD_REQUEST', (e as Error).message, { errors: [{ path: '/endpoint', message: (e as Error).message }] })
      }
      const agency: Agency = {
        organId,
        name: b.name.trim(),
        tier: b.tier,
        parent: b.parent === undefined ? parentOf(organId) : b.parent,
        gateway: b.gateway ? b.gateway.replace(/\/+$/, '') : null,
        endpoint,
        certificates: b.certificates ?? [],
        enabled: b.enabled ?? true,
      }
      const gw = unknownGateway(rt, agency)
      if (gw) throw new GatewayError('UNKNOWN_GATEWAY', `no peer credentials for gateway ${gw}; add it to PEERS`, { extra: { gateway: gw } })
      const created = !rt.directory().has(organId)
      await rt.db.tx((q) => upsertAgencies(q, [agency]))
      await rt.reloadDirectory()
      return reply.code(created ? 201 : 200).send(rt.directory().get(organId))
    },
  )

  app.delete<{ Params: { organId: string } }>(
    '/v1/agencies/:organId',
    {
      config: { auth: 'operator' },
      schema: { tags: ['directory'], summary: 'Remove one agency (operator)', params: organIdParams, security: [{ apiKey: [] }], response: { '4xx': { $ref: 'Problem#' } } },
    },
    async (req, reply) => {
      if (!(await deleteAgency(rt.db, req.params.organId))) throw new GatewayError('NOT_FOUND', `no agency ${req.params.organId} in the directory`)
      await rt.reloadDirectory()
      return reply.code(204).send()
    },
  )

  app.post<{ Querystring: { format?: DirectoryFormat; dryRun?: boolean; override?: string[] }; Body: unknown }>(
    '/v1/agencies/import',
    {
      config: { auth: 'operator' },
      schema: {
        tags: ['directory'],
        summary: 'Import a directory file: TSV, CSV or JSON (operator). Good lines are imported, bad ones reported',
        description:
          'Columns: organId, name, tier?, parent?, endpoint?, gateway? (header optional). Tiers not given are inferred by the tier rules; `override=<OrganId>=<tier>` (repeatable) wins over both. A JSON body may also carry `{"agencies": [...], "overrides": {"<OrganId>": "<tier>"}}`.',
        querystring: {
          type: 'object',
          properties: {
            format: { type: 'string', enum: ['tsv', 'csv', 'json'], description: 'default: from the Content-Type, else sniffed' },
            dryRun: { type: 'boolean', default: false },
            override: { type: 'array', items: { type: 'string', pattern: '^[^=]+=(central|province|district|commune)$' } },
          },
        },
        security: [{ apiKey: [] }],
        response: {
          200: {
            type: 'object',
            properties: {
              rows: { type: 'integer' },
              imported: { type: 'integer' },
              dryRun: { type: 'boolean' },
              directorySize: { type: 'integer' },
              byTier: { type: 'object', additionalProperties: { type: 'integer' } },
              bySource: { type: 'object', additionalProperties: { type: 'integer' } },
              errors: { type: 'array', items: issueSchema },
              warnings: { type: 'array', items: issueSchema },
            },
          },
          '4xx': { $ref: 'Problem#' },
        },
      },
    },
    async (req) => {
      const ct = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase()
      let text: string
      const overrides: Record<string, Tier> = {}
      if (typeof req.body === 'string') text = req.body
      else if (req.body && typeof req.body === 'object') {
        const o = req.body as { overrides?: Record<string, Tier> }
        if (o.overrides && typeof o.overrides === 'object' && !Array.isArray(o.overrides)) Object.assign(overrides, o.overrides)
        text = JSON.stringify(req.body)
      } else throw new GatewayError('BAD_REQUEST', 'send the directory file as the body (text/tab-separated-values, text/csv or application/json)')
      for (const o of req.query.override ?? []) {
        const i = o.lastIndexOf('=')
        overrides[o.slice(0, i).trim()] = o.slice(i + 1) as Tier
      }
      const format: DirectoryFormat =
        req.query.format ?? (ct === 'application/json' ? 'json' : ct === 'text/csv' ? 'csv' : ct === 'text/tab-separated-values' ? 'tsv' : detectFormat('', text))
      let result
      try {
        result = importDirectory(text, { format, overrides })
      } catch (e) {
        throw new GatewayError('BAD_REQUEST', (e as Error).message) // e.g. an override naming no tier
      }
      const errors: ImportIssue[] = [...result.errors]
      const agencies = result.agencies.filter((a) => {
        const gw = unknownGateway(rt, a)
        if (gw) errors.push({ organId: a.organId, message: `UNKNOWN_GATEWAY: no peer credentials for gateway ${gw}` })
        return !gw
      })
      const dryRun = req.query.dryRun ?? false
      if (!dryRun && agencies.length) {
        await rt.db.tx((q) => upsertAgenciesBulk(q, agencies))
        await rt.reloadDirectory()
      }
      req.log.info({ rows: result.rows, imported: dryRun ? 0 : agencies.length, errors: errors.length, warnings: result.warnings.length }, 'directory import')
      return {
        rows: result.rows,
        imported: dryRun ? 0 : agencies.length,
        dryRun,
        directorySize: rt.directory().size,
        byTier: result.byTier,
        bySource: result.bySource,
        errors,
        warnings: result.warnings,
      }
    },
  )
}
