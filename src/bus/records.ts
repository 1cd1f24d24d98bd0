/**
 * Records are decoded where they leave Kafka: each topic's record shape (src/bus/topics.ts) is checked field
 * by field here, so a handler receives a typed value and casts nothing. A record that is not what its topic
 * carries (written by another version, or by hand) fails here with its topic, partition and offset named,
 * and is retried like any failed handler: nothing is skipped silently.
 */
import { TIERS, type Tier } from '../routing/types.ts'
import type { Verdict } from '../signing/verify-edxml.ts'
import type { DeadLetterRecord, DeliveryRecord, DocumentRecord, ReceiptRecord } from './topics.ts'

export class BadRecordError extends Error {
  constructor(what: string, detail: string) {
    super(`not a ${what} record: ${detail}`)
    this.name = 'BadRecordError'
  }
}

type Fields = { readonly [k: string]: unknown }

/** The one place a decoded JSON value is taken as an object of fields. */
function fields(v: unknown, what: string): Fields {
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new BadRecordError(what, 'not an object')
  return v as Fields
}

function str(o: Fields, k: string, what: string): string {
  const v = o[k]
  if (typeof v !== 'string') throw new BadRecordError(what, `${k} is not a string`)
  return v
}
function optStr(o: Fields, k: string, what: string): { [key: string]: string } {
  const v = o[k]
  if (v === undefined || v === null) return {}
  if (typeof v !== 'string') throw new BadRecordError(what, `${k} is not a string`)
  return { [k]: v }
}
function num(o: Fields, k: string, what: string): number {
  const v = o[k]
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new BadRecordError(what, `${k} is not a number`)
  return v
}
function strings(v: unknown, k: string, what: string): string[] {
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw new BadRecordError(what, `${k} is not a list of strings`)
  return v.map(String)
}
function oneOf<T extends string>(o: Fields, k: string, values: readonly T[], what: string): T {
  const v = str(o, k, what)
  const hit = values.find((x) => x === v)
  if (hit === undefined) throw new BadRecordError(what, `${k} is ${v}, not one of ${values.join(', ')}`)
  return hit
}

export function documentRecord(v: unknown): DocumentRecord {
  const w = 'document'
  const o = fields(v, w)
  return {
    id: str(o, 'id', w),
    from: str(o, 'from', w),
    documentId: str(o, 'documentId', w),
    to: strings(o.to, 'to', w),
    sha256: str(o, 'sha256', w),
    size: num(o, 'size', w),
    contentType: str(o, 'contentType', w),
    acceptedAt: str(o, 'acceptedAt', w),
    ...optStr(o, 'via', w),
  }
}

export function deliveryRecord(v: unknown): DeliveryRecord {
  const w = 'delivery'
  const o = fields(v, w)
  const tier: Tier = oneOf(o, 'tier', TIERS, w)
  return {
    id: str(o, 'id', w),
    recipient: str(o, 'recipient', w),
    tier,
    from: str(o, 'from', w),
    documentId: str(o, 'documentId', w),
    sha256: str(o, 'sha256', w),
    ...optStr(o, 'gateway', w),
    ...(o.recipients === undefined ? {} : { recipients: strings(o.recipients, 'recipients', w) }),
  }
}

/** A signature verdict travels as the gateway wrote it; `signed` and `verifiedAt` must be there. */
function verdict(v: unknown): Verdict {
  const w = 'signature verdict'
  const o = fields(v, w)
  if (typeof o.signed !== 'boolean') throw new BadRecordError(w, 'signed is not a boolean')
  const signer = o.signer === undefined ? undefined : fields(o.signer, w)
  return {
    signed: o.signed,
    verifiedAt: str(o, 'verifiedAt', w),
    ...(signer ? { signer: { subject: str(signer, 'subject', w), fingerprint256: str(signer, 'fingerprint256', w), issuer: str(signer, 'issuer', w) } } : {}),
    ...optStr(o, 'algorithm', w),
    ...optStr(o, 'from', w),
    ...(o.chain === undefined ? {} : { chain: strings(o.chain, 'chain', w) }),
  }
}

export function receiptRecord(v: unknown): ReceiptRecord {
  const w = 'receipt'
  const o = fields(v, w)
  return {
    eventKey: str(o, 'eventKey', w),
    id: str(o, 'id', w),
    recipient: str(o, 'recipient', w),
    status: str(o, 'status', w),
    at: str(o, 'at', w),
    ...optStr(o, 'statusBlob', w),
    ...optStr(o, 'statusContentType', w),
    ...optStr(o, 'statusFrom', w),
    ...(o.signature === undefined || o.signature === null ? {} : { signature: verdict(o.signature) }),
  }
}

const REASONS = ['max-attempts', 'max-age', 'permanent', 'no-adapter'] as const

export function deadLetterRecord(v: unknown): DeadLetterRecord {
  const w = 'dead-letter'
  const o = fields(v, w)
  const origin = fields(o.origin, w)
  return {
    record: deliveryRecord(o.record),
    origin: { topic: str(origin, 'topic', w), partition: num(origin, 'partition', w), offset: str(origin, 'offset', w) },
    endpoint: str(o, 'endpoint', w),
    attempts: num(o, 'attempts', w),
    firstAttemptAt: str(o, 'firstAttemptAt', w),
    failedAt: str(o, 'failedAt', w),
    reason: oneOf(o, 'reason', REASONS, w),
    lastError: typeof o.lastError === 'string' ? o.lastError : '',
  }
}
