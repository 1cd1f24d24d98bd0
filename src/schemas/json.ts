/**
 * JSON form of edXML packages: the JSON Schema (generated from the same descriptors as the XML mapping,
 * so the two cannot drift), an example for OpenAPI, and validateJson / jsonToModel / modelToJson.
 * The JSON form is the model itself: all leaf values are strings, exactly as in the XML.
 */
import AjvModule from 'ajv'
import type { ErrorObject, ValidateFunction } from 'ajv'
import { GatewayError } from '../errors.ts'
import { ATTACHMENT, EDOC_MESSAGE_HEADER, MANIFEST, modelToXml, PATTERNS, STATUS_MESSAGE, TRACE_HEADER_LIST, type EdxmlPackage, type Field, type Node } from './model.ts'
import { validateXml } from './validate.ts'
import { retype } from './retype.ts'

type JsonSchema = Record<string, unknown>

function fieldSchema(f: Field): JsonSchema {
  const one: JsonSchema = f.t === 'text' ? { type: 'string', ...(f.pattern ? { pattern: PATTERNS[f.pattern] } : {}) } : nodeSchema(f.t)
  return f.many ? { type: 'array', minItems: 1, items: one } : one
}

function nodeSchema(n: Node): JsonSchema {
  const properties: Record<string, JsonSchema> = {}
  for (const a of n.attrs ?? []) properties[a.key] = { type: 'string', description: `attribute ${a.xml}` }
  for (const f of n.fields) properties[f.key] = { ...fieldSchema(f), description: `edXML:${f.xml}` }
  const required = n.fields.filter((f) => f.req).map((f) => f.key)
  return { type: 'object', additionalProperties: false, properties, ...(required.length ? { required } : {}) }
}

const signature: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['element', 'xml'],
  description: 'The signature element verbatim (exclusive C14N). Signatures are verified on the received bytes, not on a re-serialisation.',
  properties: { element: { enum: ['Signature', 'DigitalSignature', 'xmldsig'] }, xml: { type: 'string', pattern: '^<' } },
}

/** JSON Schema (draft 2020-12 compatible subset, ajv 8 default draft-07 keywords) of the JSON form. */
export const EDXML_JSON_SCHEMA = {
  $id: 'https://lien-thong.local/schemas/edxml-package.json',
  title: 'edXML package (QCVN 102:2016) in JSON form',
  description:
    'Lossless JSON form of an edXML edoc or status package. Keys are the camelCased element names (wire spellings kept: bussiness, typerNotation, organAdd); every value is the exact XML text.',
  oneOf: [
    {
      title: 'edoc package',
      type: 'object',
      additionalProperties: false,
      required: ['kind', 'messageHeader'],
      properties: {
        kind: { const: 'edoc' },
        messageHeader: nodeSchema(EDOC_MESSAGE_HEADER),
        traceHeaderList: nodeSchema(TRACE_HEADER_LIST),
        signature,
        manifest: nodeSchema(MANIFEST),
        attachments: { type: 'array', items: nodeSchema(ATTACHMENT), description: 'AttachmentEncoded/Attachment; absent when AttachmentEncoded is absent' },
      },
    },
    {
      title: 'status package',
      type: 'object',
      additionalProperties: false,
      required: ['kind', 'status'],
      properties: {
        kind: { const: 'status' },
        statusElement: { enum: ['MessageHeader', 'Status'], default: 'MessageHeader' },
        status: nodeSchema(STATUS_MESSAGE),
        signature,
      },
    },
  ],
} as const satisfies JsonSchema

/** A status 01 in JSON form, for OpenAPI `example`. */
export const EDXML_JSON_EXAMPLE = {
  kind: 'status',
  statusElement: 'MessageHeader',
  status: {
    from: { organId: '000.21.30.H41', organName: 'UBND xã Hưng Lộc', organizationInCharge: 'UBND xã Hưng Lộc' },
    responseFor: {
      organId: '000.00.00.H41',
      code: '123/UBND-VP',
      promulgationDate: '2024/05/02',
      documentId: '000.00.00.H41,2024/05/02,123/UBND-VP',
    },
    staffInfo: { department: 'Văn phòng', staff: 'Nguyễn Văn A' },
    statusCode: '01',
    description: 'Đã đến - Phần mềm QLVB đã nhận nhưng văn thư chưa xử lý',
    timestamp: '2024/05/02 09:15:00',
  },
} as const

const Ajv = AjvModule.default ?? retype<typeof AjvModule.default>(AjvModule)
let validator: ValidateFunction | undefined
function ajvValidator(): ValidateFunction {
  validator ??= new Ajv({ allErrors: true, strict: true, unicodeRegExp: true }).compile(EDXML_JSON_SCHEMA)
  return validator
}

function ajvErrors(errs: ErrorObject[] | null | undefined): { path: string; message: string }[] {
  // oneOf reports the errors of both branches; keep those of the branch matching `kind` when possible
  return (errs ?? []).map((e) => ({
    path: e.instancePath || '/',
    message: `${e.message ?? 'invalid'}${e.params && 'additionalProperty' in e.params ? ` (${String(e.params.additionalProperty)})` : ''}`,
  }))
}

/**
 * Validate the JSON form: JSON Schema first (errors with JSON pointers), then the serialised XML against
 * the XSD, so a JSON package accepted here always yields a schema-valid edXML. Returns a fresh model.
 */
export function validateJson(obj: unknown): EdxmlPackage {
  const v = ajvValidator()
  if (!v(obj)) {
    const kind = obj && typeof obj === 'object' ? (obj as { kind?: unknown }).kind : undefined
    const branch = kind === 'edoc' ? '/oneOf/0/' : kind === 'status' ? '/oneOf/1/' : undefined
    const all = v.errors ?? []
    const relevant = branch ? all.filter((e) => e.schemaPath.includes(branch)) : all
    const errors = ajvErrors(relevant.length ? relevant : all).slice(0, 50)
    throw new GatewayError('EDXML_SCHEMA_INVALID', `JSON package: ${errors[0]?.path ?? ''} ${errors[0]?.message ?? ''}`.trim(), { errors })
  }
  const model = structuredClone(obj) as EdxmlPackage
  validateXml(modelToXml(model))
  return model
}

export const jsonToModel = validateJson

/** The JSON form of a model (a deep copy without undefined members). */
export function modelToJson(model: EdxmlPackage): EdxmlPackage {
  return JSON.parse(JSON.stringify(model)) as EdxmlPackage
}
