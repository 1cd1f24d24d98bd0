/**
 * The six SOAP operations. Each calls the same pipeline functions and repositories as its REST twin, so
 * rules, idempotency and error codes are the same; only the encoding differs.
 */
import type { XmlElement } from 'libxml2-wasm'
import { GatewayError } from '../../errors.ts'
import type { Runtime } from '../../runtime.ts'
import type { Principal } from '../../store/clients-repo.ts'
import { acceptDocument } from '../../ingest/accept-document.ts'
import { acknowledge, inboxItemFor } from '../../receipts/acknowledge.ts'
import { submitStatus } from '../../receipts/submit-status.ts'
import { documentStatus } from '../../receipts/document-status.ts'
import { asEdxml, asJson, assertHoldable, CONTENT_TYPE, formatOf } from '../../ingest/incoming.ts'
import { inboxCodesOf } from '../../ingest/closed-agencies.ts'
import { listInbox } from '../../store/inbox-repo.ts'
import { base64Field, field, requiredField, type Fields } from './envelope.ts'
import type { Operation } from './wsdl.ts'

export type Handler = (rt: Runtime, who: Principal, op: XmlElement) => Promise<Fields>

function bool(v: string | undefined, dflt: boolean): boolean {
  if (v === undefined || v.trim() === '') return dflt
  const t = v.trim()
  if (t === 'true' || t === '1') return true
  if (t === 'false' || t === '0') return false
  throw new GatewayError('BAD_REQUEST', `"${t}" is not an xs:boolean`)
}

function int(v: string | undefined, dflt: number, min: number, max: number): number {
  if (v === undefined || v.trim() === '') return dflt
  const n = Number(v.trim())
  if (!Number.isInteger(n) || n < min || n > max) throw new GatewayError('BAD_REQUEST', `"${v.trim()}" is not an integer in ${min}..${max}`)
  return n
}

export const HANDLERS: Record<Operation, Handler> = {
  async SendDocument(rt, who, op) {
    const bytes = base64Field(op, 'package')
    const { answer, replayed } = await acceptDocument(rt, who, bytes, field(op, 'contentType')?.trim() || 'application/xml')
    return {
      id: answer.id,
      documentId: answer.documentId,
      sha256: answer.sha256,
      acceptedAt: answer.acceptedAt,
      replayed,
      // addressedTo: the closed agency the package names, when it goes to its successor (src/routing/succession.ts)
      recipient: answer.recipients.map((r) => ({ organId: r.organId, tier: r.tier, status: r.status, ...(r.redirect ? { addressedTo: r.redirect.addressedTo } : {}) })),
    }
  },

  async GetPendingDocuments(rt, who, op) {
    const items = await listInbox(rt.db, inboxCodesOf(rt, who), { includeAcked: bool(field(op, 'includeAcked'), false), limit: int(field(op, 'limit'), 100, 1, 1000) })
    return {
      item: items.map((i) => ({
        id: i.id,
        documentUuid: i.documentUuid,
        recipient: i.recipient,
        from: i.from,
        documentId: i.documentId,
        subject: i.subject,
        sha256: i.sha256,
        size: i.size,
        deliveredAt: i.deliveredAt,
        ackedAt: i.ackedAt,
        ...(i.addressedTo ? { addressedTo: i.addressedTo } : {}),
      })),
    }
  },

  async GetDocument(rt, who, op) {
    const item = await inboxItemFor(rt, who, requiredField(op, 'id'))
    const format = (field(op, 'format')?.trim() || 'xml').toLowerCase()
    if (format !== 'xml' && format !== 'json') throw new GatewayError('BAD_REQUEST', 'format is xml or json')
    assertHoldable(rt, item.size, 'SOAP GetDocument')
    const stored = await rt.blobs.get(item.blobKey)
    const out = format === 'xml' ? asEdxml(stored, item.contentType) : asJson(stored, item.contentType)
    return {
      id: item.id,
      documentId: item.documentId,
      from: item.from,
      contentType: CONTENT_TYPE[format],
      representation: formatOf(item.contentType) === format ? 'original' : 'converted',
      sha256: item.sha256,
      package: out.bytes.toString('base64'),
    }
  },

  async AcknowledgeDocument(rt, who, op) {
    const r = await acknowledge(rt, who, requiredField(op, 'id'))
    return { id: r.id, status: r.status, ackedAt: r.ackedAt }
  },

  async SendStatus(rt, who, op) {
    const bytes = base64Field(op, 'package')
    const a = await submitStatus(rt, who, bytes, field(op, 'contentType')?.trim() || 'application/xml')
    return {
      id: a.id,
      documentId: a.documentId,
      documentFrom: a.documentFrom,
      from: a.from,
      statusCode: a.statusCode,
      role: a.role,
      recipient: a.recipients,
      sha256: a.sha256,
      at: a.at,
      signed: a.signature.signed,
      ...(a.signature.signer ? { signer: a.signature.signer.subject } : {}),
    }
  },

  async GetDocumentStatus(rt, who, op) {
    const v = await documentStatus(rt, who, requiredField(op, 'id'))
    return {
      id: v.id,
      documentId: v.documentId,
      from: v.from,
      sha256: v.sha256,
      size: v.size,
      subject: v.subject,
      acceptedAt: v.acceptedAt,
      recipient: v.recipients.map((r) => ({
        organId: r.organId,
        tier: r.tier,
        status: r.status,
        ...(r.addressedTo ? { addressedTo: r.addressedTo } : {}),
        event: r.timeline.map((e) => ({ status: e.status, at: e.at })),
      })),
    }
  },
}
