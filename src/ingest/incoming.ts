/**
 * Reading an incoming package, whatever form it came in: the edXML bytes (application/xml, text/xml) or
 * the JSON form (application/json, src/schemas/json.ts). Both end as the same routing envelope; the bytes
 * themselves are never changed (the blob store keeps them as sent, conversion happens on read).
 *
 * Also the read-side conversions: stored bytes → edXML (modelToXml for a JSON-sent package, the exact
 * bytes otherwise) and stored bytes → JSON form.
 */
import { GatewayError } from '../errors.ts'
import type { Runtime } from '../runtime.ts'
import { readEnvelope, type EdocEnvelope, type StatusEnvelope } from '../schemas/envelope.ts'
import { validateJson, modelToJson } from '../schemas/json.ts'
import { modelToXml, validateXml } from '../schemas/validate.ts'
import type { EdxmlPackage } from '../schemas/model.ts'
import type { FlattenedJws } from '../signing/jws.ts'
import { checkFieldLimits } from '../schemas/field-limits.ts'
import { packageIndexOf, type PackageIndex } from '../store/package-index-repo.ts'

export type PackageFormat = 'xml' | 'json'

/** The stored content types: exactly one per format. */
export const CONTENT_TYPE: Record<PackageFormat, string> = { xml: 'application/xml', json: 'application/json' }

/** 'xml' for application/xml, text/xml and +xml types; 'json' for application/json and +json; else 415. */
export function formatOf(contentType: string | undefined): PackageFormat {
  const essence = (contentType ?? '').split(';')[0]!.trim().toLowerCase()
  if (essence === 'application/xml' || essence === 'text/xml' || essence.endsWith('+xml')) return 'xml'
  if (essence === 'application/json' || essence.endsWith('+json')) return 'json'
  throw new GatewayError('UNSUPPORTED_MEDIA_TYPE', `send the package as application/xml (edXML) or application/json (JSON form), not ${contentType ?? 'nothing'}`)
}

export interface Incoming {
  format: PackageFormat
  /** the stored content type (CONTENT_TYPE[format]) */
  contentType: string
  envelope: EdocEnvelope | StatusEnvelope
  /** the model, when the JSON form was parsed (the XML path reads only the envelope) */
  model?: EdxmlPackage
  /** the JSON form arrived signed: a flattened JWS whose payload is the JSON form */
  jws?: FlattenedJws
}

/**
 * Safety gate + XSD (XML) or JSON Schema + XSD of the serialisation (JSON), then the routing envelope.
 * Throws GatewayError (PAYLOAD_TOO_LARGE, XML_*, EDXML_SCHEMA_INVALID, FIELD_TOO_LONG, BAD_REQUEST, UNSUPPORTED_MEDIA_TYPE).
 */
export function readIncoming(rt: Runtime, bytes: Buffer, contentType: string): Incoming {
  const incoming = readForm(rt, bytes, contentType)
  checkFieldLimits(incoming.envelope) // before anything is stored or indexed
  return incoming
}

function readForm(rt: Runtime, bytes: Buffer, contentType: string): Incoming {
  const format = formatOf(contentType)
  const limits = { maxBytes: rt.config.bodyLimit, maxDepth: rt.config.maxXmlDepth }
  if (format === 'xml') return { format, contentType: CONTENT_TYPE.xml, envelope: readEnvelope(bytes, limits) }
  if (bytes.length > limits.maxBytes) throw new GatewayError('PAYLOAD_TOO_LARGE')
  const { form, jws } = jsonForm(parseJson(bytes))
  const model = validateJson(form)
  return { format, contentType: CONTENT_TYPE.json, envelope: envelopeOfModel(model), model, ...(jws ? { jws } : {}) }
}

const isFlattenedJws = (v: unknown): v is FlattenedJws =>
  !!v &&
  typeof v === 'object' &&
  typeof (v as FlattenedJws).payload === 'string' &&
  typeof (v as FlattenedJws).signature === 'string' &&
  typeof (v as FlattenedJws).protected === 'string'

/**
 * The JSON form inside a body: the body itself, or — when the body is a flattened JWS (RFC 7515 §7.2.2)
 * — its payload. The signature is verified separately (accept-document); here only the form is read.
 */
export function jsonForm(body: unknown): { form: unknown; jws?: FlattenedJws } {
  if (!isFlattenedJws(body)) return { form: body }
  // only the flattened serialization's members (RFC 7515 §7.2.2): an extra top-level member is covered by
  // no signature, yet a recipient reading "the original JSON" might take it for the package
  const extra = Object.keys(body).filter((k) => !JWS_MEMBERS.has(k))
  if (extra.length) throw new GatewayError('BAD_REQUEST', `a flattened JWS holds only payload, protected, header and signature; found ${extra.join(', ')}`)
  return { form: parseJson(Buffer.from(body.payload, 'base64url')), jws: body }
}
const JWS_MEMBERS: ReadonlySet<string> = new Set(['payload', 'protected', 'header', 'signature'])

export function parseJson(bytes: Buffer): unknown {
  try {
    return JSON.parse(bytes.toString('utf8'))
  } catch (e) {
    throw new GatewayError('BAD_REQUEST', `the body is not valid JSON: ${(e as Error).message}`, { cause: e })
  }
}

const trim = (s: string | undefined) => (s === undefined ? undefined : s.trim())
function opt<K extends string>(key: K, v: string | undefined): Partial<Record<K, string>> {
  return v === undefined ? {} : ({ [key]: v } as Record<K, string>)
}

/** The routing envelope of a (valid) model, trimmed as readEnvelope trims the XML text. */
export function envelopeOfModel(m: EdxmlPackage): EdocEnvelope | StatusEnvelope {
  if (m.kind === 'status') {
    const s = m.status
    return {
      kind: 'status',
      from: s.from.organId.trim(),
      responseFor: {
        organId: s.responseFor.organId.trim(),
        documentId: s.responseFor.documentId.trim(),
        ...opt('code', trim(s.responseFor.code)),
        ...opt('promulgationDate', trim(s.responseFor.promulgationDate)),
      },
      statusCode: s.statusCode.trim(),
      ...opt('description', trim(s.description)),
      ...opt('timestamp', trim(s.timestamp)),
    }
  }
  const h = m.messageHeader
  const bus = m.traceHeaderList?.bussiness
  return {
    kind: 'edoc',
    from: h.from.organId.trim(),
    to: h.to.map((t) => t.organId.trim()),
    documentId: h.documentId.trim(),
    ...opt('subject', trim(h.subject)),
    ...opt('codeNumber', trim(h.code.codeNumber)),
    ...opt('codeNotation', trim(h.code.codeNotation)),
    ...opt('promulgationDate', trim(h.promulgationInfo.promulgationDate)),
    ...opt('bussinessDocType', trim(bus?.bussinessDocType)),
    ...opt('bussinessDocumentId', trim(bus?.documentId)),
  }
}

/** The model of stored bytes (already validated on the way in; validated again, it is cheap). */
export function storedModel(bytes: Buffer, contentType: string): EdxmlPackage {
  return formatOf(contentType) === 'json' ? validateJson(jsonForm(parseJson(bytes)).form) : validateXml(bytes, { maxBytes: Number.MAX_SAFE_INTEGER, maxDepth: 10_000 }).model
}

/**
 * The model of a stored package, read once: a streamed package's from its skeleton (its attachments' Base64
 * stays in the stored bytes; `index` says where), any other's from its bytes.
 */
export async function storedPackage(rt: Runtime, item: { blobKey: string; contentType: string }): Promise<{ model: EdxmlPackage; index: PackageIndex | null }> {
  const index = await packageIndexOf(rt.db, item.blobKey)
  if (index) return { model: storedModel(await rt.blobs.get(index.skeletonKey), CONTENT_TYPE.xml), index }
  return { model: storedModel(await rt.blobs.get(item.blobKey), item.contentType), index: null }
}

/**
 * The surfaces that carry a package inside something else (SOAP's Base64 element, the VXP JSON answer, a
 * conversion to the other form) must hold it whole in memory; above BODY_LIMIT that is refused, so one large
 * package cannot take the process's memory. Such a package is read as a stream: GET /v1/inbox/{id}.
 */
export function assertHoldable(rt: Runtime, size: number, where: string): void {
  if (size > rt.config.bodyLimit) {
    throw new GatewayError(
      'NOT_CONVERTIBLE',
      `this package is ${size} bytes; ${where} carries at most ${rt.config.bodyLimit} (BODY_LIMIT): fetch it with GET /v1/inbox/{id}, which streams it`,
    )
  }
}

/** Stored bytes as edXML: the exact bytes when they were sent as XML, modelToXml of the JSON form otherwise. */
export function asEdxml(bytes: Buffer, contentType: string): { bytes: Buffer; converted: boolean } {
  if (formatOf(contentType) === 'xml') return { bytes, converted: false }
  return { bytes: Buffer.from(modelToXml(validateJson(jsonForm(parseJson(bytes)).form)), 'utf8'), converted: true }
}

/** Stored bytes in the JSON form: the exact bytes when they were sent as JSON, the model of the XML otherwise. */
export function asJson(bytes: Buffer, contentType: string): { bytes: Buffer; converted: boolean } {
  if (formatOf(contentType) === 'json') return { bytes, converted: false }
  return { bytes: Buffer.from(JSON.stringify(modelToJson(storedModel(bytes, contentType))), 'utf8'), converted: true }
}
