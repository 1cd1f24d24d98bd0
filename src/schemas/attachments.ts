/**
 * Attachments of an edoc package: list them (manifest joined with AttachmentEncoded on ContentId,
 * tolerant of the "cid:" prefix on either side) and decode one (Base64 of ContentTransferEncoded).
 * Decoding gives the ZIP the sender made (QCVN practice: each file is zipped, then Base64-encoded);
 * unzipping is left to the caller.
 */
import { GatewayError } from '../errors.ts'
import type { Attachment, EdxmlPackage, Reference } from './model.ts'

export function normalizeContentId(id: string): string {
  const t = id.trim()
  return t.toLowerCase().startsWith('cid:') ? t.slice(4) : t
}

export interface AttachmentInfo {
  /** ContentId without the "cid:" prefix */
  contentId: string
  attachmentName: string
  contentType: string
  description?: string
  /** decoded size in bytes (computed from the Base64 length) */
  size: number
  /** true when the manifest lists it */
  inManifest: boolean
  /** true when AttachmentEncoded carries its content */
  hasContent: boolean
}

function base64Size(b64: string): number {
  const s = b64.replace(/\s+/g, '')
  const pad = s.endsWith('==') ? 2 : s.endsWith('=') ? 1 : 0
  return Math.max(0, Math.floor((s.length * 3) / 4) - pad)
}

/**
 * Every attachment named by the manifest or carried in AttachmentEncoded, manifest order first. `sizeOf`
 * gives the decoded size of a ContentTransferEncoded (a streamed package's skeleton holds markers there).
 */
export function listAttachments(model: EdxmlPackage, sizeOf: (encoded: string) => number = base64Size): AttachmentInfo[] {
  if (model.kind !== 'edoc') return []
  const refs: Reference[] = model.manifest?.reference ?? []
  const atts: Attachment[] = model.attachments ?? []
  const byId = new Map(atts.map((a) => [normalizeContentId(a.contentId), a]))
  const out: AttachmentInfo[] = []
  const seen = new Set<string>()
  for (const r of refs) {
    const id = normalizeContentId(r.contentId)
    const a = byId.get(id)
    seen.add(id)
    out.push({
      contentId: id,
      attachmentName: a?.attachmentName ?? r.attachmentName,
      contentType: a?.contentType ?? r.contentType,
      ...((a?.description ?? r.description) !== undefined ? { description: a?.description ?? r.description } : {}),
      size: a ? sizeOf(a.contentTransferEncoded) : 0,
      inManifest: true,
      hasContent: !!a,
    })
  }
  for (const a of atts) {
    const id = normalizeContentId(a.contentId)
    if (seen.has(id)) continue
    seen.add(id)
    out.push({
      contentId: id,
      attachmentName: a.attachmentName,
      contentType: a.contentType,
      ...(a.description !== undefined ? { description: a.description } : {}),
      size: sizeOf(a.contentTransferEncoded),
      inManifest: false,
      hasContent: true,
    })
  }
  return out
}

/** The attachment with this ContentId ("cid:" prefix optional). Throws NOT_FOUND. */
export function findAttachment(model: EdxmlPackage, contentId: string): Attachment {
  const id = normalizeContentId(contentId)
  const a = model.kind === 'edoc' ? (model.attachments ?? []).find((x) => normalizeContentId(x.contentId) === id) : undefined
  if (!a) throw new GatewayError('NOT_FOUND', `No attachment with ContentId ${id}`)
  return a
}

/** Decode the attachment with this ContentId ("cid:" prefix optional). Throws NOT_FOUND / BAD_REQUEST. */
export function decodeAttachment(model: EdxmlPackage, contentId: string): { name: string; contentType: string; data: Buffer } {
  const id = normalizeContentId(contentId)
  const a = findAttachment(model, contentId)
  const s = a.contentTransferEncoded.replace(/\s+/g, '')
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(s) || s.length % 4 !== 0) throw new GatewayError('BAD_REQUEST', `Attachment ${id} is not valid Base64`)
  return { name: a.attachmentName, contentType: a.contentType, data: Buffer.from(s, 'base64') }
}

/** Build an Attachment + manifest Reference pair from bytes (already zipped by the caller if required). */
export function makeAttachment(o: { contentId: string; attachmentName: string; contentType: string; description?: string; data: Buffer }): {
  attachment: Attachment
  reference: Reference
} {
  const cid = `cid:${normalizeContentId(o.contentId)}`
  const desc = o.description !== undefined ? { description: o.description } : {}
  return {
    attachment: { contentId: cid, attachmentName: o.attachmentName, ...desc, contentType: o.contentType, contentTransferEncoded: o.data.toString('base64') },
    reference: { contentId: cid, contentType: o.contentType, ...desc, attachmentName: o.attachmentName },
  }
}
