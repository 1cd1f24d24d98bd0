/**
 * The directory operations of the national axis (SPEC-NOTES §4.1), read from the same directory snapshot the
 * route planner uses, and changed through the same store + reload as PUT/DELETE /v1/agencies:
 *
 *   getAgenciesList      data [{id, code, name, mail, pid}] — enabled agencies
 *   getAgenciesListQD20  the same + code102, oldCode; optional XroadVnpt-level (code level 1–4)
 *   getSynchronizeUnit   the same + version, centerCode, deleted, modifyDate, isAgency — every agency
 *   registerAgency       JSON {id, pcode, code, name, mail, mobile, fax}; operator systems only
 *   deleteAgency         XroadVnpt-AgencyCode; operator systems only
 *
 * The directory keeps no mail/mobile/fax (QCVN 102 routes on the code alone): they are answered empty and
 * not stored. `id` is the code itself: the directory has no numeric ids.
 */
import { GatewayError } from '../../errors.ts'
import type { Runtime } from '../../runtime.ts'
import type { Agency } from '../../routing/types.ts'
import { agencyCodeProblem, levelOf, parentOf } from '../../routing/agency-code.ts'
import { inferTier } from '../../routing/tier-rules.ts'
import { deleteAgency as removeAgency, upsertAgencies } from '../../store/directory-repo.ts'
import { parseJson } from '../../ingest/incoming.ts'
import { ok, type Answer, type VxpRequest } from './exchange.ts'

const basic = (a: Agency) => ({ id: a.organId, code: a.organId, name: a.name, mail: '', pid: a.parent ?? '' })
const qd20 = (a: Agency) => ({ ...basic(a), code102: a.organId, oldCode: '' })

export async function getAgenciesList(rt: Runtime): Promise<Answer> {
  return ok({
    data: rt
      .directory()
      .all()
      .filter((a) => a.enabled)
      .map(basic),
  })
}

export async function getAgenciesListQD20(rt: Runtime, r: VxpRequest): Promise<Answer> {
  const raw = r.caller.params.get('level')?.trim()
  const level = raw ? Number(raw) : undefined
  if (level !== undefined && ![1, 2, 3, 4].includes(level)) throw new GatewayError('BAD_REQUEST', `XroadVnpt-level is 1, 2, 3 or 4, not ${raw}`)
  const list = rt
    .directory()
    .all()
    .filter((a) => a.enabled && (level === undefined || (agencyCodeProblem(a.organId) === null && levelOf(a.organId) === level)))
  return ok({ data: list.map(qd20) })
}

export async function getSynchronizeUnit(rt: Runtime): Promise<Answer> {
  return ok({
    data: rt
      .directory()
      .all()
      .map((a) => ({
        ...qd20(a),
        version: 1,
        centerCode: rt.config.gatewayId,
        deleted: !a.enabled,
        modifyDate: '',
        isAgency: a.endpoint.kind !== 'gateway',
      })),
  })
}

function operatorOnly(r: VxpRequest, op: string): void {
  if (!r.caller.system.operator) throw new GatewayError('FORBIDDEN', `${op} is for operator systems; ${r.caller.system.systemId} is not one`)
}

function checkCode(code: string, what: string): void {
  const problem = agencyCodeProblem(code)
  if (problem) throw new GatewayError('INVALID_AGENCY_CODE', `${what}: ${problem}`, { extra: { organId: code } })
}

export async function registerAgency(rt: Runtime, r: VxpRequest): Promise<Answer> {
  operatorOnly(r, 'registerAgency')
  const b = parseJson(r.body) as Record<string, unknown> | null
  const code = typeof b?.code === 'string' ? b.code.trim() : ''
  const name = typeof b?.name === 'string' ? b.name.trim() : ''
  if (!code || !name) throw new GatewayError('BAD_REQUEST', 'send the JSON body {"code", "name", "pcode"?, …}')
  checkCode(code, 'code')
  const pcode = typeof b?.pcode === 'string' && b.pcode.trim() ? b.pcode.trim() : parentOf(code)
  if (pcode) checkCode(pcode, 'pcode')
  const dir = rt.directory()
  const existing = dir.get(code)
  const tier = existing?.tier ?? inferTier(code, name, pcode ? (dir.get(pcode)?.tier ?? null) : null)?.tier
  if (!tier) throw new GatewayError('BAD_REQUEST', `no tier can be inferred for ${code}; register its parent first or use PUT /v1/agencies/${code}`)
  const agency: Agency = existing
    ? { ...existing, name, parent: pcode, enabled: true }
    : { organId: code, name, tier, parent: pcode, gateway: null, endpoint: { kind: 'inbox' }, certificates: [], enabled: true }
  await rt.db.tx((q) => upsertAgencies(q, [agency]))
  await rt.reloadDirectory()
  return ok()
}

export async function deleteAgency(rt: Runtime, r: VxpRequest): Promise<Answer> {
  operatorOnly(r, 'deleteAgency')
  const code = r.caller.params.get('agencycode')?.trim()
  if (!code) throw new GatewayError('BAD_REQUEST', 'send the signed header XroadVnpt-AgencyCode')
  if (!(await removeAgency(rt.db, code))) throw new GatewayError('NOT_FOUND', `no agency ${code} in the directory`)
  await rt.reloadDirectory()
  return ok()
}
