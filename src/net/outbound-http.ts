/**
 * The one outbound HTTP client (push, SOAP push, upstream gateway, status return, webhooks; STYLE.md §7):
 *   - the SSRF guard (ssrf.ts) judges every address of the target, and the socket connects to the address
 *     it checked (pinned lookup: DNS rebinding between check and connect changes nothing);
 *   - one deadline covers connect, request and the whole answer;
 *   - redirects are never followed (the answer is returned with its 3xx status for the caller to judge);
 *   - at most `maxAnswerBytes` of the answer are read: the stream is cut as soon as it passes the cap, so a
 *     400 MB error page costs 64 KiB of memory, not 400 MB, on every retry.
 * Throws OutboundRefused (the target is not allowed: permanent) or Error (network, timeout: retry).
 */
import http from 'node:http'
import https from 'node:https'
import type { LookupFunction } from 'node:net'
import { GatewayError } from '../errors.ts'
import type { Readable } from 'node:stream'
import type { Config } from '../config/config.ts'
import { checkTarget } from './ssrf.ts'
import { retype } from '../schemas/retype.ts'

export const DEFAULT_MAX_ANSWER = 64 * 1024

/** A body sent as it is read (a large package from the payload store): its length is known beforehand. */
export interface StreamedBody {
  stream(): Readable
  length: number
}
export const isStreamedBody = (b: unknown): b is StreamedBody => !!b && typeof b === 'object' && typeof (b as StreamedBody).stream === 'function'

export interface OutboundRequest {
  url: string
  method?: 'POST' | 'GET'
  headers: Record<string, string>
  body?: Buffer | string | StreamedBody
  timeoutMs: number
  /** loopback/private targets are allowed for this endpoint (explicit configuration); metadata never */
  allowPrivate: boolean
  maxAnswerBytes?: number
}

export interface OutboundAnswer {
  status: number
  headers: Headers
  /** the answer text, at most maxAnswerBytes */
  body: string
  /** the answer was longer than maxAnswerBytes and was cut */
  truncated: boolean
}

/** The target may not be called at all (SSRF guard): retrying cannot help. */
export class OutboundRefused extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'OutboundRefused'
  }
}

/**
 * Whether a push/forward target may be on a loopback or private address: only when an operator said so for
 * that endpoint — its host (or host:port) is listed in OUTBOUND_ALLOW_PRIVATE, or it is a configured peer.
 */
export function privateAllowedFor(config: Readonly<Config>, url: string): boolean {
  let u: URL
  try {
    u = new URL(url)
  } catch {
    return false
  }
  const host = u.hostname.replace(/^\[|\]$/g, '')
  if (config.outboundAllowPrivate.some((h) => h === host || h === `${host}:${u.port}` || h === u.host)) return true
  return config.peers.some((p) => {
    try {
      return new URL(p.url).origin === u.origin
    } catch {
      return false
    }
  })
}

export async function sendOutbound(req: OutboundRequest): Promise<OutboundAnswer> {
  let target
  try {
    target = await checkTarget(req.url, req.allowPrivate)
  } catch (e) {
    if (e instanceof GatewayError) throw new OutboundRefused(`${req.url}: ${e.message}`)
    throw e
  }
  const max = req.maxAnswerBytes ?? DEFAULT_MAX_ANSWER
  const lookup = retype<LookupFunction>((_host: string, opts: { all?: boolean }, cb: (...a: unknown[]) => void) => {
    if (opts?.all) cb(null, [{ address: target.address, family: target.family }])
    else cb(null, target.address, target.family)
  })
  const streamed = isStreamedBody(req.body) ? req.body : undefined
  const body = req.body === undefined || streamed ? undefined : typeof req.body === 'string' ? Buffer.from(req.body, 'utf8') : (req.body as Buffer)
  const length = streamed ? streamed.length : body?.length
  return new Promise((resolve, reject) => {
    let settled = false
    const settle = (f: () => void) => {
      if (!settled) {
        settled = true
        clearTimeout(timer)
        f()
      }
    }
    const mod = target.url.protocol === 'https:' ? https : http
    const r = mod.request(
      target.url,
      {
        method: req.method ?? 'POST',
        lookup,
        agent: false,
        headers: { ...req.headers, ...(length !== undefined ? { 'content-length': String(length) } : {}) },
      },
      (res) => {
        const chunks: Buffer[] = []
        let read = 0
        let truncated = false
        const end = () =>
          settle(() => {
            const headers = new Headers()
            for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) headers.set(k, Array.isArray(v) ? v.join(', ') : v)
            resolve({ status: res.statusCode ?? 0, headers, body: Buffer.concat(chunks).toString('utf8'), truncated })
            res.destroy()
          })
        res.on('data', (c: Buffer) => {
          const room = max - read
          if (room > 0) chunks.push(c.length > room ? c.subarray(0, room) : c)
          read += c.length
          if (read > max) {
            truncated = true
            end()
          } // cut the stream: the rest is never read
        })
        res.on('end', end)
        res.on('close', end)
        res.on('error', end)
      },
    )
    const timer = setTimeout(() => {
      r.destroy()
      settle(() => reject(new Error(`${req.method ?? 'POST'} ${req.url}: timed out after ${req.timeoutMs} ms`)))
    }, req.timeoutMs)
    r.on('error', (e: NodeJS.ErrnoException) => settle(() => reject(new Error(`${req.method ?? 'POST'} ${req.url}: ${e.code ?? e.message}`, { cause: e }))))
    if (!streamed) {
      r.end(body)
      return
    }
    // a read that fails (a damaged payload fails its SHA-256 check at the end) cuts the request: the
    // receiver never sees a complete body, and the attempt fails and is retried or dead-lettered
    const src = streamed.stream()
    src.on('error', (e) => {
      r.destroy(e)
      settle(() => reject(new Error(`${req.method ?? 'POST'} ${req.url}: reading the payload failed: ${e.message}`, { cause: e })))
    })
    src.pipe(r)
  })
}
