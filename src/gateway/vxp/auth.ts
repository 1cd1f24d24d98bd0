/**
 * Authentication on /vxp exactly as the SDK signs (VXP-WIRE.md §Requests), from the headers alone — it runs
 * in onRequest, before any body byte is read:
 *
 *   1 XroadVnpt-systemid names a known, enabled system                         UNAUTHENTICATED
 *   2 XroadVnpt-hash-header = HMAC-SHA256(secret, XroadVnpt-sign-header as sent) VXP_SIGNATURE_INVALID
 *   3 the sign-header is a JSON object of XroadVnpt-* entries, the same set as
 *     XroadVnpt-sign-header-key, each equal to the header actually received,
 *     and it signs systemid and timestamp                                      VXP_SIGNATURE_INVALID
 *   4 the timestamp is within ±VXP_CLOCK_SKEW_MS of the gateway's clock        VXP_TIMESTAMP_REFUSED
 *   5 this signature was not seen before (shared table: every replica agrees)  VXP_REPLAYED
 *
 * The operation's parameters are then read only from the signed entries: an unsigned XroadVnpt-* header
 * added to a captured request changes nothing. Secrets never reach a log line.
 */
import crypto from 'node:crypto'
import type { IncomingHttpHeaders } from 'node:http'
import { GatewayError } from '../../errors.ts'
import type { Runtime } from '../../runtime.ts'
import type { Principal } from '../../store/clients-repo.ts'
import { findVxpSystem, firstSighting, secretBoxKey, type VxpSystem } from '../../store/vxp-systems-repo.ts'
import { jurisdictionMatches } from '../../routing/agency-code.ts'
import { HASH_HEADER, HEADER_PREFIX, parseTimestamp, SIGN_HEADER, SIGN_HEADER_KEY, signatureOf } from './wire.ts'

export interface VxpCaller {
  system: VxpSystem
  /** the pipeline's view of the caller: the system's OrganIds, as an API key's */
  principal: Principal
  /** the signed parameters, by lower-cased key without the prefix (`docId` and `docid` both occur) */
  params: ReadonlyMap<string, string>
}

export const VXP_CLIENT_PREFIX = 'vxp:'

/**
 * The OrganIds of a relay system — a province gateway or hub calling the axis for its whole jurisdiction
 * (SPEC-NOTES §4.2: Bkav relays with systemId 00.53.W00) — given as jurisdiction patterns (`*.H41`):
 * `has` answers for every code they match, so the pipeline's "may act for" checks hold unchanged.
 */
export class JurisdictionSet extends Set<string> {
  override has(code: string): boolean {
    return super.has(code) || jurisdictionMatches(code, [...this])
  }
}

export const isPattern = (organId: string) => /[*?]/.test(organId)

const one = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v.join(', ') : v)

function signedEntries(signHeader: string): Map<string, string> {
  let json: unknown
  try {
    json = JSON.parse(signHeader)
  } catch {
    json = null
  }
  if (!json || typeof json !== 'object' || Array.isArray(json)) throw new GatewayError('VXP_SIGNATURE_INVALID', `${SIGN_HEADER} is not a JSON object`)
  const out = new Map<string, string>()
  for (const [name, value] of Object.entries(json)) {
    if (!name.toLowerCase().startsWith(HEADER_PREFIX.toLowerCase()) || typeof value !== 'string') {
      throw new GatewayError('VXP_SIGNATURE_INVALID', `${SIGN_HEADER} may hold only string XroadVnpt-* entries, not ${name}`)
    }
    const key = name.slice(HEADER_PREFIX.length).toLowerCase()
    if (out.has(key)) throw new GatewayError('VXP_SIGNATURE_INVALID', `${SIGN_HEADER} names ${name} twice`)
    out.set(key, value)
  }
  return out
}

export async function authenticateVxp(rt: Runtime, headers: IncomingHttpHeaders): Promise<VxpCaller> {
  const h = (name: string) => one(headers[name.toLowerCase()])
  const systemId = h(`${HEADER_PREFIX}systemid`)?.trim()
  if (!systemId) throw new GatewayError('UNAUTHENTICATED', `send ${HEADER_PREFIX}systemid (the SDK's systemid) and the signed headers`)
  const signHeader = h(SIGN_HEADER)
  const signKeys = h(SIGN_HEADER_KEY)
  const hash = h(HASH_HEADER)?.trim().toLowerCase()
  if (!signHeader || signKeys === undefined || !hash) throw new GatewayError('VXP_SIGNATURE_INVALID', `send ${SIGN_HEADER}, ${SIGN_HEADER_KEY} and ${HASH_HEADER}`)

  const found = await findVxpSystem(rt.db, secretBoxKey(rt.config), systemId)
  if (!found || found.system.disabled) throw new GatewayError('UNAUTHENTICATED', `unknown or disabled VXP system ${systemId}`)

  const expected = Buffer.from(signatureOf(found.secret, signHeader), 'utf8')
  const given = Buffer.from(hash, 'utf8')
  if (given.length !== expected.length || !crypto.timingSafeEqual(given, expected)) {
    throw new GatewayError('VXP_SIGNATURE_INVALID', `${HASH_HEADER} is not the HMAC-SHA256 of ${SIGN_HEADER} under the secret of ${systemId}`)
  }

  const params = signedEntries(signHeader)
  const listed = signKeys
    .split(';')
    .map((k) => k.trim().toLowerCase())
    .filter(Boolean)
  if (listed.length !== params.size || !listed.every((k) => params.has(k))) {
    throw new GatewayError('VXP_SIGNATURE_INVALID', `${SIGN_HEADER_KEY} does not list exactly the entries of ${SIGN_HEADER}`)
  }
  for (const [key, value] of params) {
    const received = h(`${HEADER_PREFIX}${key}`)
    if (received !== value) throw new GatewayError('VXP_SIGNATURE_INVALID', `the signed header ${HEADER_PREFIX}${key} differs from the one received`)
  }
  if (params.get('systemid') !== systemId) throw new GatewayError('VXP_SIGNATURE_INVALID', `${HEADER_PREFIX}systemid must be signed`)

  const ts = params.get('timestamp')
  if (ts === undefined) throw new GatewayError('VXP_TIMESTAMP_REFUSED', `${HEADER_PREFIX}timestamp must be signed`)
  const at = parseTimestamp(ts, rt.config.vxpTimestampOffset)
  if (!at) throw new GatewayError('VXP_TIMESTAMP_REFUSED', `${HEADER_PREFIX}timestamp "${ts}" is not ddMMyyyy'T'HHmmss+SSSS`)
  const skew = Math.abs(Date.now() - at.getTime())
  if (skew > rt.config.vxpClockSkewMs) {
    throw new GatewayError(
      'VXP_TIMESTAMP_REFUSED',
      `${HEADER_PREFIX}timestamp "${ts}" (read at UTC${rt.config.vxpTimestampOffset}) is ${Math.round(skew / 1000)} s from the gateway clock; at most ${rt.config.vxpClockSkewMs / 1000} s`,
    )
  }
  if (!(await firstSighting(rt.db, hash, systemId, 2 * rt.config.vxpClockSkewMs))) {
    throw new GatewayError('VXP_REPLAYED', `this signed request (${HEADER_PREFIX}timestamp "${ts}") was already received`)
  }

  const s = found.system
  // a relay names the recipients it asks the axis to route (the `to` header), as a peer gateway does
  const relay = s.organIds.some(isPattern)
  return {
    system: s,
    principal: {
      clientId: `${VXP_CLIENT_PREFIX}${s.systemId}`,
      name: s.name,
      role: relay ? 'gateway' : 'client',
      organIds: relay ? new JurisdictionSet(s.organIds) : new Set(s.organIds),
    },
    params,
  }
}
