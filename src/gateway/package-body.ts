/**
 * What the REST routes that take or give a package share: the raw-bytes body parser for the JSON form
 * (the bytes are stored as sent, like edXML), the OpenAPI description of both forms (documentation only:
 * the pipeline validates, so these routes skip Fastify's body validation and response serialisation),
 * and Accept negotiation between edXML and the JSON form.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { EDXML_JSON_EXAMPLE, EDXML_JSON_SCHEMA } from '../schemas/json.ts'

/**
 * Replace Fastify's JSON parser, in the calling plugin only, by one that keeps the raw bytes: the
 * pipeline parses and validates them (validateJson) and the blob store keeps them as sent.
 */
export function rawJsonBodies(app: FastifyInstance) {
  app.removeContentTypeParser(['application/json'])
  const keep = (_req: unknown, body: string | Buffer, done: (err: null, body: Buffer) => void) => done(null, body as Buffer)
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, keep)
  app.addContentTypeParser(/^application\/[a-z0-9.+-]+\+json$/, { parseAs: 'buffer' }, keep)
}

/** For routes whose schema documents the body/response but must not validate or re-serialise it. */
export const documentationOnly = {
  validatorCompiler: () => () => true,
  serializerCompiler: () => (data: unknown) => JSON.stringify(data),
} as const

/** EDXML_JSON_SCHEMA in OpenAPI 3.0 terms (no `const`, no `$id`). */
function toOpenApi30(s: unknown): unknown {
  if (Array.isArray(s)) return s.map(toOpenApi30)
  if (!s || typeof s !== 'object') return s
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(s)) {
    if (k === '$id') continue
    if (k === 'const') out.enum = [v]
    else out[k] = toOpenApi30(v)
  }
  return out
}
export const packageJsonSchema = toOpenApi30(EDXML_JSON_SCHEMA) as Record<string, unknown>

/** A document (edoc) in JSON form, for OpenAPI. */
export const EDOC_JSON_EXAMPLE = {
  kind: 'edoc',
  messageHeader: {
    from: { organId: '000.21.30.H41', organizationInCharge: 'UBND huyện Quỳnh Lưu', organName: 'UBND xã Quỳnh Thạch' },
    to: [{ organId: '000.00.00.H41', organName: 'UBND tỉnh Nghệ An' }],
    documentId: '000.21.30.H41,2026/11/23,125/UBND-VP',
    code: { codeNumber: '125', codeNotation: 'UBND-VP' },
    promulgationInfo: { place: 'Quỳnh Thạch', promulgationDate: '2026/11/23' },
    documentType: { type: '1', typeDetail: '0', typeName: 'Công văn' },
    subject: 'V/v báo cáo tình hình thiệt hại do mưa lũ trên địa bàn xã',
    signerInfo: { competence: 'TM. UBND XÃ', position: 'Chủ tịch', fullName: 'Nguyễn Văn An' },
    otherInfo: { priority: '1', promulgationAmount: '3', pageAmount: '2' },
    steeringType: '0',
  },
  traceHeaderList: {
    traceHeader: [{ organId: '000.21.30.H41', timestamp: '2026/11/23 09:15:00' }],
    bussiness: { bussinessDocType: '0', bussinessDocReason: 'Văn bản điện tử mới', paper: '0' },
  },
} as const

const xmlBody = { type: 'string', format: 'binary', description: 'the edXML package, byte for byte as signed' }

/** OpenAPI `content` of a request or response carrying a package in either form. */
export function packageContent(example: 'edoc' | 'status') {
  return {
    'application/xml': { schema: xmlBody },
    'application/json': {
      schema: {
        ...packageJsonSchema,
        description: `${String(EDXML_JSON_SCHEMA.description)} A package sent in this form is stored as sent; a recipient asking for edXML gets modelToXml of it, which validates against the national XSD.`,
        // @fastify/swagger turns a one-item `examples` into the media type's `example`
        examples: [example === 'edoc' ? EDOC_JSON_EXAMPLE : EDXML_JSON_EXAMPLE],
      },
    },
  }
}

/**
 * 'json' when the Accept header prefers application/json (or +json) over XML; 'xml' otherwise (the
 * default, including no Accept and *∕*).
 */
export function preferredFormat(req: FastifyRequest): 'xml' | 'json' {
  const accept = req.headers.accept
  if (!accept) return 'xml'
  let json = -1,
    xml = -1
  for (const part of accept.split(',')) {
    const [range, ...params] = part
      .trim()
      .toLowerCase()
      .split(';')
      .map((s) => s.trim())
    const qp = params.find((p) => p.startsWith('q='))
    const q = qp ? Number(qp.slice(2)) : 1
    if (!range || Number.isNaN(q)) continue
    if (range === 'application/json' || range.endsWith('+json')) json = Math.max(json, q)
    else if (range === 'application/xml' || range === 'text/xml' || range.endsWith('+xml') || range === '*/*' || range === 'application/*' || range === 'text/*')
      xml = Math.max(xml, q)
  }
  return json > 0 && json > xml ? 'json' : 'xml'
}
