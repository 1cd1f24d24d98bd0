/**
 * The events a webhook subscriber can receive, read from the Kafka records the gateway already writes:
 * `documents` (document.accepted) and `receipts` (gateway delivery events and edXML statuses). The payload
 * follows the Standard Webhooks shape {type, timestamp, data}; data names the document (gateway id,
 * DocumentId, From), the recipient leg, the status with its code and label, and the edXML status package.
 */
import type { GatewayEventRecord } from '../../bus/consumers.ts'
import { isBusinessCode, labelOf } from '../status-model.ts'
import { documentEventKey } from '../../delivery/event-key.ts'

export const EVENT_TYPES = ['document.accepted', 'document.delivered', 'document.status', 'document.failed'] as const
export type EventType = (typeof EVENT_TYPES)[number]

export interface GatewayEvent {
  type: EventType
  /** unique per event; with the subscription id it makes the delivery row (and its webhook-id) */
  eventKey: string
  documentUuid: string
  /** the recipient leg; null for document.accepted (all recipients) */
  recipient: string | null
  status: string
  at: string
  statusBlob?: string
  statusContentType?: string
  statusFrom?: string
}

/** The event a record stands for, or null when it is not one subscribers receive (e.g. ROUTED). */
export function eventOf(value: GatewayEventRecord): GatewayEvent | null {
  if (value.kind === 'document') {
    const d = value.record
    return { type: 'document.accepted', eventKey: documentEventKey(d.id, 'ACCEPTED'), documentUuid: d.id, recipient: null, status: 'ACCEPTED', at: d.acceptedAt }
  }
  const r = value.record
  const type: EventType | null =
    r.status === 'DELIVERED'
      ? 'document.delivered'
      : r.status === 'DELIVERY_FAILED' || r.status === 'EXPIRED' || r.status === 'RECEIVE_FAILED'
        ? 'document.failed' // the last: a VXP receiver's updateStatus(fail)
        : isBusinessCode(r.status)
          ? 'document.status'
          : null
  if (!type) return null
  return {
    type,
    eventKey: r.eventKey,
    documentUuid: r.id,
    recipient: r.recipient,
    status: r.status,
    at: r.at,
    ...(r.statusBlob ? { statusBlob: r.statusBlob } : {}),
    ...(r.statusContentType ? { statusContentType: r.statusContentType } : {}),
    ...(r.statusFrom ? { statusFrom: r.statusFrom } : {}),
  }
}

export interface DocumentFacts {
  id: string
  documentId: string
  from: string
  subject: string | null
  recipients: string[]
}

export function payloadOf(e: GatewayEvent, doc: DocumentFacts, statusPackage: string | null) {
  return {
    type: e.type,
    timestamp: e.at,
    data: {
      eventKey: e.eventKey,
      document: { id: doc.id, documentId: doc.documentId, from: doc.from, subject: doc.subject, recipients: doc.recipients },
      recipient: e.recipient,
      status: { code: e.status, label: labelOf(e.status), kind: isBusinessCode(e.status) ? 'business' : 'gateway' },
      ...(e.statusFrom ? { statusFrom: e.statusFrom } : {}),
      statusPackage,
    },
  }
}
