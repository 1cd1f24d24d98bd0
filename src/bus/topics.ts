/**
 * Topic names. Every name carries the deployment prefix; the set does not grow with the number of
 * agencies (111,000 nationally): deliveries are partitioned by recipient OrganId instead.
 */
import { TIERS, type Tier } from '../routing/types.ts'
import type { Verdict } from '../signing/verify-edxml.ts'

export interface Topics {
  /** accepted documents, one record per document (key = sender OrganId) */
  documents: string
  /** one record per recipient on its tier (key = recipient OrganId: per-recipient order) */
  deliver: Record<Tier, string>
  /** edXML status messages and gateway delivery events travelling back to senders */
  receipts: string
  /** documents for recipients owned by another gateway, one record per (document, gateway); key = gateway */
  forward: string
  /** deliveries that exhausted their retries (DeadLetterRecord), key = recipient */
  dlq: string
  /** webhook deliveries that exhausted their retries; created by the webhook dispatcher when it starts */
  webhooksDlq: string
  /** the topics created at start-up */
  all: string[]
}

export function topicsFor(prefix: string): Topics {
  const deliver = Object.fromEntries(TIERS.map((t) => [t, `${prefix}deliver.${t}`])) as Record<Tier, string>
  const documents = `${prefix}documents`
  const receipts = `${prefix}receipts`
  const forward = `${prefix}forward`
  const dlq = `${prefix}deliver.dlq`
  return { documents, deliver, receipts, forward, dlq, webhooksDlq: `${prefix}webhooks.dlq`, all: [documents, ...Object.values(deliver), receipts, forward, dlq] }
}

/** The record on `documents`: metadata and a claim-check reference; never the payload itself. */
export interface DocumentRecord {
  id: string
  from: string
  documentId: string
  to: string[]
  sha256: string
  size: number
  contentType: string
  acceptedAt: string
  /** the peer gateway (base URL) this document was forwarded from; absent for local senders */
  via?: string
}

/** The record on `deliver.<tier>`. */
export interface DeliveryRecord {
  id: string
  recipient: string
  tier: Tier
  from: string
  documentId: string
  sha256: string
  /** on `forward`: the gateway to forward to, and every recipient this one forward carries */
  gateway?: string
  recipients?: string[]
}

/** The record on `deliver.dlq`: the delivery that gave up, with its original Kafka position. */
export interface DeadLetterRecord {
  record: DeliveryRecord
  origin: { topic: string; partition: number; offset: string }
  endpoint: string
  attempts: number
  firstAttemptAt: string
  failedAt: string
  reason: 'max-attempts' | 'max-age' | 'permanent' | 'no-adapter'
  lastError: string
}

/** The record on `receipts`. eventKey makes applying it idempotent. */
export interface ReceiptRecord {
  eventKey: string
  id: string
  recipient: string
  /** edXML status code ('01'…'16') or a gateway delivery state */
  status: string
  at: string
  /** blob key of the edXML status package, when the event is a business status */
  statusBlob?: string
  /** content type of the statusBlob bytes as sent: application/xml (default) or application/json (JSON form) */
  statusContentType?: string
  /** the OrganId that sent the status (the recipient for 01–06/15/16, the document's sender for 13) */
  statusFrom?: string
  /** the signature verdict of the status package, as checked when it entered this gateway */
  signature?: Verdict
}
