/**
 * Length limits on the envelope fields the ledger stores and indexes. The unique index on
 * (From, DocumentId, BussinessDocType) is a PostgreSQL btree, whose entries may not exceed ~2,700 bytes
 * (a third of an 8 KiB page): an unbounded DocumentId would fail at the INSERT, after the payload was
 * already read and checked. QCVN 102:2016 identifiers are short (a mã định danh is 13 characters, a
 * VPCP DocumentId "000.00.00.G22,2015/09/30,7816/VPCP-TTĐT" about 40), so the limits below leave room
 * for every real value and refuse at validation, with a coded 422, what the index could never hold.
 * Characters, not bytes: one UTF-8 character is at most 4 bytes, and 4 × 255 + 4 × 64 stays well inside.
 */
import { GatewayError, type ErrorItem } from '../errors.ts'
import type { EdocEnvelope, StatusEnvelope } from './envelope.ts'

export const FIELD_LIMITS = Object.freeze({
  organId: 64,
  documentId: 255,
  codeNumber: 64,
  codeNotation: 255,
  subject: 2000,
  description: 4000,
})

/** Throws FIELD_TOO_LONG naming every field of the envelope that is over its limit. */
export function checkFieldLimits(env: EdocEnvelope | StatusEnvelope): void {
  const L = FIELD_LIMITS
  const fields: [string, string | undefined, number][] =
    env.kind === 'edoc'
      ? [
          ['From/OrganId', env.from, L.organId],
          ...env.to.map((o, i): [string, string, number] => [`To[${i + 1}]/OrganId`, o, L.organId]),
          ['DocumentId', env.documentId, L.documentId],
          ['Code/CodeNumber', env.codeNumber, L.codeNumber],
          ['Code/CodeNotation', env.codeNotation, L.codeNotation],
          ['Subject', env.subject, L.subject],
          ['Bussiness/DocumentId', env.bussinessDocumentId, L.documentId],
        ]
      : [
          ['From/OrganId', env.from, L.organId],
          ['ResponseFor/OrganId', env.responseFor.organId, L.organId],
          ['ResponseFor/DocumentId', env.responseFor.documentId, L.documentId],
          ['ResponseFor/Code', env.responseFor.code, L.codeNotation],
          ['Description', env.description, L.description],
        ]
  const errors: ErrorItem[] = fields
    .filter(([, v, max]) => v !== undefined && [...v].length > max)
    .map(([path, v, max]) => ({ path, message: `${[...v!].length} characters; at most ${max}` }))
  if (errors.length) {
    throw new GatewayError('FIELD_TOO_LONG', `${errors.map((e) => e.path).join(', ')} longer than allowed`, { errors })
  }
}
