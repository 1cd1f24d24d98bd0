/**
 * One JSON call of a CLI command to the running gateway (the target of ./gateway-target.ts): a refusal
 * becomes a CallFailed carrying the problem's code (RFC 9457 `code`), an unreachable gateway UNREACHABLE.
 */
export class CallFailed extends Error {
  readonly code: string
  readonly problem?: unknown

  constructor(code: string, message: string, problem?: unknown) {
    super(message)
    this.code = code
    this.problem = problem
  }
}

export function gatewayCaller(target: { base: string; key: string }) {
  return async (method: string, p: string, body?: unknown): Promise<unknown> => {
    let res: Response
    try {
      res = await fetch(target.base + p, {
        method,
        signal: AbortSignal.timeout(60_000),
        headers: { authorization: `Bearer ${target.key}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      })
    } catch (e) {
      throw new CallFailed('UNREACHABLE', `cannot reach ${target.base}: ${(e as Error & { cause?: Error }).cause?.message ?? (e as Error).message}`)
    }
    const text = await res.text()
    let json: unknown = text
    try {
      json = JSON.parse(text)
    } catch {
      /* not JSON */
    }
    if (!res.ok) {
      const prob = (json && typeof json === 'object' ? json : {}) as { code?: string; detail?: string; title?: string }
      const code = prob.code ?? `HTTP_${res.status}`
      throw new CallFailed(code, `${method} ${p}: HTTP ${res.status} ${code}: ${prob.detail ?? prob.title ?? text.slice(0, 300)}`, json)
    }
    return json
  }
}
