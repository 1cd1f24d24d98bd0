/**
 * A VXP client written from ../shared/edxml/VXP-WIRE.md alone, as the VNPT SDK (SDKVXP 2.0.1) behaves — not
 * from the server code, so a misreading of the wire format on one side shows up as a failing test:
 * `POST {endpoint}/{operation}`, every parameter as `XroadVnpt-<key>` (case kept), the entries signed as one
 * JSON object in HashMap-like (shuffled) order, HMAC-SHA256 under the secret as lowercase hex, a local-time
 * `ddMMyyyy'T'HHmmss+SSSS` timestamp, and the file's SHA-256 rendered without zero-padding as the SDK does.
 */
import crypto from 'node:crypto'

export interface VxpCredentials {
  systemId: string
  secret: string
}

export interface VxpCallOptions {
  /** the .edxml for sendEdoc; or a JSON string body ("{}" by default for JSON operations) */
  body?: Buffer | string
  /** 'raw' (2.0.1: application/octet-stream body) or 'multipart' (2.0.0 / .NET: part file_doc) */
  upload?: 'raw' | 'multipart'
  /** the client's clock (default now) and its UTC offset in minutes (default +7 h, Vietnam) */
  at?: Date
  offsetMinutes?: number
  /** change a header after signing (the "signed header altered" refusal) or drop one */
  tamper?: (headers: Record<string, string>) => void
  /** hash-file in the padded rendering instead of the SDK's unpadded one */
  paddedHashFile?: boolean
}

export interface VxpAnswer {
  http: number
  contentType: string | null
  json: Record<string, unknown> | null
  text: string
  bytes: Buffer
}

const two = (n: number) => (n < 10 ? `0${n}` : `${n}`)

/** SimpleDateFormat("ddMMyyyy'T'HHmmss+SSSS") in the client's zone: "+SSSS" is the milliseconds, 4 digits. */
export function sdkTimestamp(at: Date, offsetMinutes = 7 * 60): string {
  const l = new Date(at.getTime() + offsetMinutes * 60_000)
  const ms = String(l.getUTCMilliseconds()).padStart(4, '0')
  return `${two(l.getUTCDate())}${two(l.getUTCMonth() + 1)}${l.getUTCFullYear()}T${two(l.getUTCHours())}${two(l.getUTCMinutes())}${two(l.getUTCSeconds())}+${ms}`
}

/** The SDK's hash-file: each SHA-256 byte as Integer.toHexString, so 0x06 is "6" (VXP-WIRE.md). */
export const sdkHashFile = (bytes: Buffer) => [...crypto.createHash('sha256').update(bytes).digest()].map((b) => b.toString(16)).join('')

function shuffled<T>(xs: T[]): T[] {
  const a = [...xs]
  for (let i = a.length - 1; i > 0; i--) {
    const j = crypto.randomInt(i + 1)
    ;[a[i], a[j]] = [a[j]!, a[i]!]
  }
  return a
}

/** The headers the SDK sends for `params` (the JSON it is given) plus systemid and timestamp. */
export function sdkHeaders(creds: VxpCredentials, params: Record<string, string>, opts: { at?: Date; offsetMinutes?: number } = {}): Record<string, string> {
  const map: [string, string][] = shuffled([['systemid', creds.systemId], ['timestamp', sdkTimestamp(opts.at ?? new Date(), opts.offsetMinutes)], ...Object.entries(params)])
  const signed: Record<string, string> = {}
  const headers: Record<string, string> = {}
  for (const [k, v] of map) {
    if (k === 'Content-Type') headers['Content-Type'] = v
    signed[`XroadVnpt-${k}`] = v
    headers[`XroadVnpt-${k}`] = v
  }
  const signHeader = JSON.stringify(signed)
  headers['XroadVnpt-sign-header-key'] = map.map(([k]) => k).join(';')
  headers['XroadVnpt-sign-header'] = signHeader
  headers['XroadVnpt-hash-header'] = crypto.createHmac('sha256', Buffer.from(creds.secret, 'utf8')).update(signHeader, 'utf8').digest('hex')
  headers['XroadVnpt-version'] = '3.0.201608'
  headers['User-Agent'] = 'JAVASDKAgent/1.0.0 XRoad/VPCP'
  return headers
}

/** One SDK call. For sendEdoc the file's hash-file and the octet-stream Content-Type are added to `params`. */
export async function vxpCall(endpoint: string, creds: VxpCredentials, operation: string, params: Record<string, string> = {}, opts: VxpCallOptions = {}): Promise<VxpAnswer> {
  const isUpload = Buffer.isBuffer(opts.body)
  const p: Record<string, string> = { ...params }
  let body: BodyInit | undefined
  let multipartType: string | undefined
  if (isUpload) {
    const file = opts.body as Buffer
    p['hash-file'] ??= opts.paddedHashFile ? crypto.createHash('sha256').update(file).digest('hex') : sdkHashFile(file)
    p['Content-Type'] ??= 'application/octet-stream'
    if (opts.upload === 'multipart') {
      const form = new FormData()
      form.append('file_doc', new Blob([new Uint8Array(file)]), 'edoc.edxml')
      const req = new Request('http://multipart.invalid/', { method: 'POST', body: form })
      multipartType = req.headers.get('content-type')!
      body = new Uint8Array(await req.arrayBuffer())
    } else body = new Uint8Array(file)
  } else {
    p['Content-Type'] ??= 'application/json'
    body = (opts.body as string | undefined) ?? '{}'
  }
  const headers = sdkHeaders(creds, p, opts)
  if (multipartType) headers['Content-Type'] = multipartType // the part carries the file; XroadVnpt-Content-Type stays signed
  opts.tamper?.(headers)
  const res = await fetch(`${endpoint}/${operation}`, { method: 'POST', headers, body })
  const bytes = Buffer.from(await res.arrayBuffer())
  const text = bytes.toString('utf8')
  let json: Record<string, unknown> | null = null
  try {
    json = JSON.parse(text)
  } catch {
    /* not JSON: the caller asserts on it */
  }
  return { http: res.status, contentType: res.headers.get('content-type'), json, text, bytes }
}

/** A client bound to one endpoint and system, for readable tests. */
export function vxpClient(endpoint: string, creds: VxpCredentials) {
  return (operation: string, params: Record<string, string> = {}, opts: VxpCallOptions = {}) => vxpCall(endpoint, creds, operation, params, opts)
}
