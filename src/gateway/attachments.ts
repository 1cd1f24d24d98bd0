/**
 * REST surface for a document's attachments (recipients): list them, and download one decoded — the
 * Base64 of ContentTransferEncoded turned back into the file the sender attached (the ZIP bytes as they
 * are when the sender zipped it, as QCVN practice has it; nothing is unzipped here).
 */
import type { FastifyInstance } from 'fastify'
import type { Runtime } from '../runtime.ts'
import { listAttachments, decodeAttachment, findAttachment } from '../schemas/attachments.ts'
import { decodedSizeOf, decodeStream, piecesOf } from '../schemas/attachment-stream.ts'
import { inboxItemFor } from '../receipts/acknowledge.ts'
import { storedPackage } from '../ingest/incoming.ts'
import { checkedStream } from '../store/blobs.ts'
import { principalOf } from './auth.ts'

/**
 * Content-Disposition per RFC 6266 with the RFC 5987/8187 `filename*` for the real (often Vietnamese)
 * name and a plain ASCII `filename` fallback (diacritics stripped, đ → d) for old clients.
 */
export function contentDisposition(name: string, type: 'attachment' | 'inline' = 'attachment'): string {
  const clean = name.replace(/[\r\n"\\]/g, '_').replace(/[/]/g, '_') || 'attachment'
  const ascii = clean
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/đ/g, 'd')
    .replace(/Đ/g, 'D')
    .replace(/[^\x20-\x7e]/g, '_')
    .replace(/%/g, '_')
  const encoded = encodeURIComponent(clean).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
  return `${type}; filename="${ascii}"; filename*=UTF-8''${encoded}`
}

const attachmentInfo = {
  type: 'object',
  properties: {
    contentId: { type: 'string', description: 'ContentId without the "cid:" prefix; use it in the download URL' },
    attachmentName: { type: 'string' },
    contentType: { type: 'string' },
    description: { type: 'string' },
    size: { type: 'integer', description: 'decoded size in bytes' },
    inManifest: { type: 'boolean' },
    hasContent: { type: 'boolean' },
  },
} as const

export async function attachmentRoutes(app: FastifyInstance, rt: Runtime) {
  app.get<{ Params: { id: string } }>(
    '/v1/inbox/:id/attachments',
    {
      config: { auth: 'client' },
      schema: {
        tags: ['inbox'],
        summary: "The document's attachments (manifest joined with AttachmentEncoded)",
        params: { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] },
        security: [{ apiKey: [] }],
        response: { 200: { type: 'object', properties: { items: { type: 'array', items: attachmentInfo } } }, '4xx': { $ref: 'Problem#' } },
      },
    },
    async (req) => {
      const item = await inboxItemFor(rt, principalOf(req), req.params.id)
      const { model, index } = await storedPackage(rt, item)
      if (!index) return { items: listAttachments(model) }
      return { items: listAttachments(model, (encoded) => decodedSizeOf(piecesOf(encoded, index.nonce, index.runs))) }
    },
  )

  app.get<{ Params: { id: string; contentId: string } }>(
    '/v1/inbox/:id/attachments/:contentId',
    {
      config: { auth: 'client' },
      schema: {
        tags: ['inbox'],
        summary: 'One attachment, decoded (Base64 → the file; a ZIP stays a ZIP), named by its AttachmentName',
        description:
          "contentId as in the package, with or without the `cid:` prefix (URL-encoded). Content-Type is the attachment's ContentType; Content-Disposition carries AttachmentName (RFC 6266, `filename*` per RFC 5987 for Vietnamese names).",
        params: { type: 'object', properties: { id: { type: 'string' }, contentId: { type: 'string' } }, required: ['id', 'contentId'] },
        security: [{ apiKey: [] }],
        response: {
          200: { description: 'the decoded file', content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } } },
          '4xx': { $ref: 'Problem#' },
        },
      },
    },
    async (req, reply) => {
      const item = await inboxItemFor(rt, principalOf(req), req.params.id)
      const { model, index } = await storedPackage(rt, item)
      const a = findAttachment(model, req.params.contentId)
      const pieces = index ? piecesOf(a.contentTransferEncoded, index.nonce, index.runs) : []
      // a streamed package's attachment comes from its runs in the stored bytes, each checked against the
      // SHA-256 recorded at ingest, decoded as it goes; any other is decoded from the (small) package
      const body = pieces.some((p) => typeof p !== 'string')
        ? decodeStream(pieces, (run) => rt.blobs.streamRange(item.blobKey, run.offset, run.length).pipe(checkedStream(item.blobKey, run.sha256)))
        : decodeAttachment(model, req.params.contentId).data
      const type = /^[\w!#$&^.+-]+\/[\w!#$&^.+-]+$/.test(a.contentType.trim()) ? a.contentType.trim() : 'application/octet-stream'
      if (index) reply.header('content-length', String(decodedSizeOf(pieces.length ? pieces : [a.contentTransferEncoded])))
      return reply.type(type).header('content-disposition', contentDisposition(a.attachmentName)).header('x-content-type-options', 'nosniff').send(body)
    },
  )
}
