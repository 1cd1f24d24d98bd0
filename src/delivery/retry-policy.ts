/**
 * One circuit breaker per endpoint of push and forward deliveries (a push URL, a SOAP URL or a peer
 * gateway); the backoff between attempts is the delivery contract's (src/delivery/contract.ts). Pure logic
 * and in-process state; the schedule itself is durable (delivery_retries, src/store/retry-repo.ts).
 */
import type { Runtime } from '../runtime.ts'

interface BreakerState {
  failures: number
  openUntil: number
  trial: boolean
}

/**
 * Per-endpoint circuit breaker: `threshold` consecutive failures open it for `cooldownMs`; then one trial
 * attempt is let through (half-open): success closes it, failure opens it again. While open, records for
 * the endpoint are rescheduled without an attempt, so a dead receiver costs nothing per record.
 */
export class CircuitBreakers {
  readonly #s = new Map<string, BreakerState>()
  readonly threshold: number
  readonly cooldownMs: number

  constructor(threshold: number, cooldownMs: number) {
    this.threshold = threshold
    this.cooldownMs = cooldownMs
  }

  /** null when an attempt may go now, else the instant (ms) the breaker lets the next trial through */
  blockedUntil(endpoint: string, now = Date.now()): number | null {
    const s = this.#s.get(endpoint)
    if (!s || s.failures < this.threshold) return null
    if (now < s.openUntil) return s.openUntil
    if (s.trial) return now + Math.min(this.cooldownMs, 1000) // a trial is in flight: wait for its verdict
    s.trial = true
    return null
  }

  /** the trial let through ended without a verdict on the endpoint (our own store failed first): let another through */
  abandon(endpoint: string): void {
    const s = this.#s.get(endpoint)
    if (s) s.trial = false
  }

  success(endpoint: string): void {
    this.#s.delete(endpoint)
  }

  failure(endpoint: string, now = Date.now()): void {
    const s = this.#s.get(endpoint) ?? { failures: 0, openUntil: 0, trial: false }
    s.failures++
    s.trial = false
    if (s.failures >= this.threshold) s.openUntil = now + this.cooldownMs
    this.#s.set(endpoint, s)
  }

  isOpen(endpoint: string, now = Date.now()): boolean {
    const s = this.#s.get(endpoint)
    return !!s && s.failures >= this.threshold && now < s.openUntil
  }
}

const breakers = new WeakMap<Runtime, CircuitBreakers>()
/** The breakers of one gateway process, shared by the tier consumers and the retry worker. */
export function breakersFor(rt: Runtime): CircuitBreakers {
  let b = breakers.get(rt)
  if (!b) breakers.set(rt, (b = new CircuitBreakers(rt.config.breakerThreshold, rt.config.breakerCooldownMs)))
  return b
}
