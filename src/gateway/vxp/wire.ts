/**
 * The national axis' wire format as the VNPT SDK (SDKVXP 2.0.x) writes it — VXP-WIRE.md §Requests:
 * parameters as `XroadVnpt-<key>` headers, a JSON of the signed entries, HMAC-SHA256 of that JSON under the
 * system's secret, a local-time timestamp, and the SHA-256 of the file as (sometimes unpadded) hex.
 * Pure functions, used by the /vxp surface to check requests and by the VXP client adapter to build them.
 */
import crypto from 'node:crypto'

export const HEADER_PREFIX = 'XroadVnpt-'
export const SIGN_HEADER = 'XroadVnpt-sign-header'
export const SIGN_HEADER_KEY = 'XroadVnpt-sign-header-key'
export const HASH_HEADER = 'XroadVnpt-hash-header'
export const VERSION = '3.0.201608'
export const USER_AGENT = 'JAVASDKAgent/1.0.0 XRoad/VPCP'

/** lowercase hex of HMAC-SHA256(key = secret as UTF-8, message = the sign-header string as sent). */
export const signatureOf = (secret: string, signHeader: string): string => crypto.createHmac('sha256', Buffer.from(secret, 'utf8')).update(signHeader, 'utf8').digest('hex')

/**
 * The two renderings of a file's SHA-256 a server must accept: the padded hex, and the SDK's, which writes
 * each byte without its leading zero (0x06 → "6"; VXP-WIRE.md "hash-file quirk").
 */
export function hashFileRenderings(bytes: Buffer): [padded: string, unpadded: string] {
  const digest = crypto.createHash('sha256').update(bytes).digest()
  return [digest.toString('hex'), [...digest].map((b) => b.toString(16)).join('')]
}

/** The UTC offset "+07:00" in minutes. */
export function offsetMinutes(offset: string): number {
  const m = /^([+-])(\d{2}):(\d{2})$/.exec(offset)
  if (!m) throw new Error(`not a UTC offset: ${offset}`)
  return (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3]))
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0')

/**
 * `ddMMyyyy'T'HHmmss+SSSS` in the client's local time (Java SimpleDateFormat in the SDK): the "+SSSS" is the
 * milliseconds zero-padded to 4 digits, not a zone — the zone is implied, hence `offset`.
 */
export function formatTimestamp(at: Date, offset: string): string {
  const l = new Date(at.getTime() + offsetMinutes(offset) * 60_000)
  return `${pad(l.getUTCDate())}${pad(l.getUTCMonth() + 1)}${l.getUTCFullYear()}T${pad(l.getUTCHours())}${pad(l.getUTCMinutes())}${pad(l.getUTCSeconds())}+${pad(l.getUTCMilliseconds(), 4)}`
}

/** The instant a timestamp written at `offset` names, or null when it is not of the SDK's form. */
export function parseTimestamp(ts: string, offset: string): Date | null {
  const m = /^(\d{2})(\d{2})(\d{4})T(\d{2})(\d{2})(\d{2})\+(\d{3,4})$/.exec(ts.trim())
  if (!m) return null
  const [d, mo, y, h, mi, s, ms] = m.slice(1).map(Number) as [number, number, number, number, number, number, number]
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 59 || ms > 999) return null
  const utc = Date.UTC(y, mo - 1, d, h, mi, s, ms)
  if (new Date(utc).getUTCDate() !== d) return null // 31 February
  return new Date(utc - offsetMinutes(offset) * 60_000)
}

/**
 * The headers of one signed request, as the SDK builds them (VnptService.addXroadVnptHashHeader): every
 * entry becomes `XroadVnpt-<key>`, Content-Type is also sent as itself, and the entries are signed as one
 * JSON object. `entries` keep their order (the SDK's is a HashMap's; a server must not depend on it).
 */
export function signedHeaders(entries: readonly (readonly [string, string])[], secret: string): Record<string, string> {
  const json: Record<string, string> = {}
  const out: Record<string, string> = {}
  for (const [k, v] of entries) {
    json[`${HEADER_PREFIX}${k}`] = v
    out[`${HEADER_PREFIX}${k}`] = v
    if (k === 'Content-Type') out['Content-Type'] = v
  }
  const signHeader = JSON.stringify(json)
  out[SIGN_HEADER_KEY] = entries.map(([k]) => k).join(';')
  out[SIGN_HEADER] = signHeader
  out[HASH_HEADER] = signatureOf(secret, signHeader)
  out['User-Agent'] = USER_AGENT
  out[`${HEADER_PREFIX}version`] = VERSION
  return out
}

/** "dd/MM/yyyy HH:mm:ss" at `offset`: the form of the axis' list dates (fromDate/toDate, SPEC-NOTES §4.1). */
export function formatListTime(iso: string | Date | null, offset: string): string {
  if (iso === null) return ''
  const l = new Date(new Date(iso).getTime() + offsetMinutes(offset) * 60_000)
  return `${pad(l.getUTCDate())}/${pad(l.getUTCMonth() + 1)}/${l.getUTCFullYear()} ${pad(l.getUTCHours())}:${pad(l.getUTCMinutes())}:${pad(l.getUTCSeconds())}`
}
