/**
 * This gateway as a client of a national axis that speaks VXP-WIRE.md (a VXP peer in PEERS): one signed call,
 * headers built as the SDK builds them (src/gateway/vxp/wire.ts), bounded in time and size, no redirects.
 * The answer is the axis' JSON; a transport problem (no answer, not JSON, HTTP other than 200) throws
 * VxpTransportError, which callers retry; a FAIL answer is returned for the caller to judge.
 */
import type { Peer } from '../config/config.ts'
import { traceHeaders } from '../tracing/index.ts'
import { formatTimestamp, hashFileRenderings, signedHeaders } from '../gateway/vxp/wire.ts'

export interface VxpAnswerJson {
  status: string
  ErrorCode: string
  ErrorDesc: string
  [k: string]: unknown
}

export class VxpTransportError extends Error {
  constructor(message: string, opts?: { cause?: unknown }) {
    super(message, opts)
    this.name = 'VxpTransportError'
  }
}

export interface VxpCallInput {
  /** the operation's own parameters (servicetype, messagetype, docId, …), in the order they are signed */
  params: [string, string][]
  /** a file (sendEdoc: octet-stream, hash-file added) or nothing (the SDK sends "{}" as JSON) */
  file?: Buffer
  timeoutMs: number
  maxBytes: number
  /** the offset the axis reads XroadVnpt-timestamp at (the clients' local time) */
  offset: string
}

export async function callVxp(peer: Peer, operation: string, input: VxpCallInput): Promise<VxpAnswerJson> {
  if (peer.protocol !== 'vxp' || !peer.systemId || !peer.secret) throw new VxpTransportError(`peer ${peer.url} is not a VXP peer with systemId and secret`)
  const entries: [string, string][] = [['systemid', peer.systemId], ['timestamp', formatTimestamp(new Date(), input.offset)], ...input.params]
  if (input.file) {
    // the SDK's unpadded rendering: what an axis built on the same Java code compares against
    entries.push(['hash-file', hashFileRenderings(input.file)[1]], ['Content-Type', 'application/octet-stream'])
  } else entries.push(['Content-Type', 'application/json'])
  const url = `${peer.url}/${operation}`
  let res: Response
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { ...traceHeaders(), ...signedHeaders(entries, peer.secret) },
      body: input.file ? new Uint8Array(input.file) : '{}',
      redirect: 'manual',
      signal: AbortSignal.timeout(input.timeoutMs),
    })
  } catch (e) {
    const err = e as Error & { cause?: { code?: string } }
    throw new VxpTransportError(`POST ${url}: ${err.name === 'TimeoutError' ? `timed out after ${input.timeoutMs} ms` : (err.cause?.code ?? err.message)}`, { cause: e })
  }
  const declared = Number(res.headers.get('content-length') ?? 0)
  if (declared > input.maxBytes) {
    await res.body?.cancel()
    throw new VxpTransportError(`POST ${url}: answer of ${declared} bytes is over the limit of ${input.maxBytes}`)
  }
  const text = await res.text().catch((e) => {
    throw new VxpTransportError(`POST ${url}: answer unreadable`, { cause: e })
  })
  if (res.status !== 200) throw new VxpTransportError(`POST ${url}: HTTP ${res.status}: ${text.replace(/\s+/g, ' ').slice(0, 200)}`)
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    json = null
  }
  const a = json as Partial<VxpAnswerJson> | null
  if (!a || typeof a !== 'object' || (a.status !== 'OK' && a.status !== 'FAIL')) {
    throw new VxpTransportError(`POST ${url}: not a VXP answer: ${text.replace(/\s+/g, ' ').slice(0, 200)}`)
  }
  return { ...a, status: a.status, ErrorCode: String(a.ErrorCode ?? ''), ErrorDesc: String(a.ErrorDesc ?? '') }
}
