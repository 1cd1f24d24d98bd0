import { OutboundRefused, sendOutbound } from '../../net/outbound-http.ts'
import type { AttemptResult } from '../../store/webhooks-repo.ts'
/**
 * One webhook attempt through the one outbound client (src/net/outbound-http.ts): the SSRF guard with a
 * pinned lookup, one deadline covering connect, request and response, no redirects (a 3xx is a failed
 * attempt), at most 64 KiB of the answer read. Never throws: the outcome is data for the log.
 */
export async function post(url: string, headers: Record<string, string>, body: string, timeoutMs: number, allowPrivate: boolean): Promise<AttemptResult> {
  const started = performance.now()
  const done = (status: number | null, error: string | null): AttemptResult => ({ status, error, durationMs: performance.now() - started })
  try {
    const a = await sendOutbound({ url, headers: { ...headers, 'content-type': 'application/json' }, body, timeoutMs, allowPrivate })
    const status = a.status
    if (status >= 200 && status < 300) return done(status, null)
    return done(status, status >= 300 && status < 400 ? `redirect to ${a.headers.get('location') ?? '?'} not followed` : `HTTP ${status}`)
  } catch (e) {
    if (e instanceof OutboundRefused) return done(null, `WEBHOOK_URL_REFUSED: ${e.message}`)
    // the attempt log leads with the network error code (ECONNREFUSED: …), as operators search it
    const cause = (e as Error & { cause?: NodeJS.ErrnoException }).cause
    return done(null, cause?.code ? `${cause.code}: ${cause.message}` : (e as Error).message)
  }
}
