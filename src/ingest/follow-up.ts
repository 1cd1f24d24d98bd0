/**
 * Follow-up packages (QCVN 102 TraceHeaderList/Bussiness/BussinessDocType): 1 recall (thu hồi), 2 update
 * (cập nhật), 3 replacement (thay thế) must reach the recipients of the document they follow, even when
 * the package lists fewer. The followed document is Bussiness/DocumentId when given, else the
 * package's own DocumentId (the VPCP revocation sample reuses the original's).
 */
import type { Runtime } from '../runtime.ts'
import type { EdocEnvelope } from '../schemas/envelope.ts'
import { findBySenderDocumentId } from '../store/ledger-repo.ts'

const KINDS = new Set(['0', '1', '2', '3'])

/** '0' new, '1' recall, '2' update, '3' replacement; anything absent or unknown counts as new. */
export const businessTypeOf = (v: string | undefined): string => (v !== undefined && KINDS.has(v.trim()) ? v.trim() : '0')

/** The package's To list, plus — for a follow-up — every recipient of the original (sender's own documents only). */
export async function withOriginalRecipients(rt: Runtime, env: EdocEnvelope, businessType: string): Promise<string[]> {
  if (businessType === '0') return env.to
  const original = await findBySenderDocumentId(rt.db, env.from, env.bussinessDocumentId ?? env.documentId, '0')
  return original ? [...new Set([...env.to, ...original.recipients])] : env.to
}
