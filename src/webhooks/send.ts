/**
 * One webhook attempt: a POST to the address the SSRF guard checked (pinned lookup), bounded by one deadline
 * covering connect, request and response; redirects are not followed (a 3xx is a failed attempt); at most
 * 64 KiB of the answer is read, and only to free the socket. Never throws: the outcome is data for the log.
 */
import http from 'node:http'
import https from 'node:https'
import type { LookupFunction } from 'node:net'
import type { Target } from './ssrf.ts'
import type { AttemptResult } from './repo.ts'

const MAX_ANSWER = 64 * 1024

export function post(target: Target, headers: Record<string, string>, body: string, timeoutMs: number): Promise<AttemptResult> {
  const started = performance.now()
  const done = (status: number | null, error: string | null): AttemptResult => ({ status, error, durationMs: performance.now() - started })
  const lookup = ((_host: string, opts: { all?: boolean }, cb: (...a: unknown[]) => void) => {
    if (opts?.all) cb(null, [{ address: target.address, family: target.family }])
    else cb(null, target.address, target.family)
  }) as unknown as LookupFunction
  return new Promise((resolve) => {
    let settled = false
    const finish = (r: AttemptResult) => { if (!settled) { settled = true; clearTimeout(timer); resolve(r) } }
    const mod = target.url.protocol === 'https:' ? https : http
    const req = mod.request(target.url, {
      method: 'POST', lookup, agent: false,
      headers: { ...headers, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) },
    }, (res) => {
      const status = res.statusCode ?? 0
      let read = 0
      res.on('data', (c: Buffer) => { read += c.length; if (read > MAX_ANSWER) res.destroy() })
      const end = () => finish(status >= 200 && status < 300 ? done(status, null)
        : done(status, status >= 300 && status < 400 ? `redirect to ${res.headers.location ?? '?'} not followed` : `HTTP ${status}`))
      res.on('end', end)
      res.on('close', end)
      res.on('error', end)
    })
    const timer = setTimeout(() => {
      req.destroy()
      finish(done(null, `timeout after ${timeoutMs} ms`))
    }, timeoutMs)
    req.on('error', (e: NodeJS.ErrnoException) => finish(done(null, e.code ? `${e.code}: ${e.message}` : e.message)))
    req.end(body)
  })
}

/**
 * Exponential backoff with equal jitter: attempt n waits between half and all of min(max, base·2^(n−1)),
 * so a subscriber that comes back is not hit by every queued delivery at the same instant.
 */
export function backoffMs(attempt: number, baseMs: number, maxMs: number, random = Math.random): number {
  const d = Math.min(maxMs, baseMs * 2 ** Math.min(attempt - 1, 40))
  return Math.round(d / 2 + random() * d / 2)
}
