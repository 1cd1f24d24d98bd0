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

export interface DeliveryAdapter {
  readonly kind: Agency['endpoint']['kind']
  deliver(rt: Runtime, record: DeliveryRecord, agency: Agency): Promise<DeliveryOutcome>
}
