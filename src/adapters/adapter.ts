/**
 * The delivery port. Every adapter is one file implementing this contract:
 * - `deliver` is called once per (document, recipient) record, possibly again after a crash or retry,
 *   so it must be idempotent on (record.id, record.recipient);
 * - it resolves only when the effect is durable (row committed, receiver answered 2xx);
 * - it throws to ask for a retry; the delivery worker owns retry, backoff and DLQ.
 */
import type { DeliveryRecord } from '../bus/topics.ts'
import type { Runtime } from '../runtime.ts'
import type { Agency } from '../routing/types.ts'

export interface DeliveryOutcome {
  /** false when this record had already been delivered (a replay) */
  fresh: boolean
  /** true when delivery itself proves arrival (push got 2xx): the worker then emits status 01 */
  arrived: boolean
}

/** Context of one attempt: push adapters send it to receivers as headers. */
export interface AttemptContext {
  /** 1 for the first attempt */
  attempt: number
  timeoutMs: number
}

export interface DeliveryAdapter {
  readonly kind: Agency['endpoint']['kind']
  /** `agency` is null on the forward path: the recipient belongs to another gateway's directory */
  deliver(rt: Runtime, record: DeliveryRecord, agency: Agency | null, ctx: AttemptContext): Promise<DeliveryOutcome>
  /** release connections and timers; called once when the workers stop */
  close?(): Promise<void>
}

/**
 * Thrown by an adapter when retrying cannot help (the receiver refused the document itself, e.g. HTTP 400,
 * 404, 410, 413, 422, or no credentials for a peer): the worker sends the record to the DLQ at once.
 */
export class PermanentDeliveryError extends Error {
  constructor(message: string, opts?: { cause?: unknown }) {
    super(message, opts)
    this.name = 'PermanentDeliveryError'
  }
}
