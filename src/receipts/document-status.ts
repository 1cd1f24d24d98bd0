/** A sent document and every recipient's status timeline, for its sender (REST GET /v1/documents/{id}, SOAP GetDocumentStatus). */
import { GatewayError } from '../errors.ts'
import type { Runtime } from '../runtime.ts'
import type { Principal } from '../store/clients-repo.ts'
import { getDocument, timelines, type DocumentRow, type RecipientTimeline } from '../store/ledger-repo.ts'
import type { Verdict } from '../signing/verify-edxml.ts'
import { answersFor } from '../ingest/closed-agencies.ts'

export interface DocumentStatusView {
  id: string
  documentId: string
  from: string
  sha256: string
  size: number
  subject: string | null
  acceptedAt: string | null
  /** the signature verdict recorded at acceptance */
  signature: Verdict | null
  recipients: RecipientTimeline[]
}

/** 404 DOCUMENT_NOT_FOUND unless the caller acts for the document's sender (or is an operator). */
export async function documentStatus(rt: Runtime, who: Principal, id: string): Promise<DocumentStatusView> {
  const doc = await getDocument(rt.db, id)
  // the successor of a closed sender follows its documents too (src/routing/succession.ts)
  if (!doc || (who.role !== 'operator' && !who.organIds.has(doc.from_organ) && !answersFor(rt, who, doc.from_organ))) {
    throw new GatewayError('DOCUMENT_NOT_FOUND', `no document ${id} sent by this caller`)
  }
  return {
    id: doc.id,
    documentId: doc.document_id,
    from: doc.from_organ,
    sha256: doc.sha256,
    size: Number(doc.size),
    subject: doc.subject,
    acceptedAt: doc.accepted_at ? new Date(doc.accepted_at).toISOString() : null,
    signature: doc.signature ?? null,
    recipients: withReceipts(rt, doc, await timelines(rt.db, doc.id)),
  }
}

/**
 * Every timeline event carries the gateway's signature over (DocumentId, sha256 of the bytes received,
 * recipient, status, time): the sender can prove what the gateway recorded and when.
 * Signed when read — the facts are the ledger's, RSA signing costs ~0.25 ms per event.
 */
function withReceipts(rt: Runtime, doc: DocumentRow, list: RecipientTimeline[]): RecipientTimeline[] {
  return list.map((r) => ({
    ...r,
    timeline: r.timeline.map((e) => ({
      ...e,
      receipt: rt.signing.receipt({ documentId: doc.document_id, sha256: doc.sha256, recipient: r.organId, status: e.status, time: e.at }),
    })),
  }))
}
