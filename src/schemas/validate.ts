/**
 * XSD validation of edXML packages with libxml2-wasm, and the public parse/convert API.
 *
 * The two schemas (edxml-edoc.xsd, edxml-status.xsd) are compiled once, lazily on first use or eagerly
 * with loadSchemas() at start-up, and kept for the life of the process. Every parsed input document is
 * disposed before returning. Which schema applies is decided by detectKind (StatusCode in MessageHeader,
 * or a Status element → status; anything else → edoc).
 */
import { readFileSync } from 'node:fs'
import { XmlDocument, XsdValidator, type XmlElement } from 'libxml2-wasm'
import { GatewayError, type ErrorItem } from '../errors.ts'
import { DEFAULT_LIMITS, type Limits } from './safety.ts'
import { detectKind, elementToModel, modelToXml, type EdxmlPackage, type PackageKind } from './model.ts'
import { libErrors, PARSE_OPTIONS, withDocument } from './xml.ts'

export const SCHEMA_FILES: Record<PackageKind, URL> = {
  edoc: new URL('./edxml-edoc.xsd', import.meta.url),
  status: new URL('./edxml-status.xsd', import.meta.url),
}

/** At most this many findings are returned in GatewayError.errors. */
export const MAX_REPORTED_ERRORS = 50

interface Compiled {
  doc: XmlDocument
  validator: XsdValidator
}
let compiled: Record<PackageKind, Compiled> | undefined

function compile(kind: PackageKind): Compiled {
  const doc = XmlDocument.fromBuffer(readFileSync(SCHEMA_FILES[kind]), { option: PARSE_OPTIONS })
  try {
    return { doc, validator: XsdValidator.fromDoc(doc) }
  } catch (e) {
    doc.dispose()
    throw new GatewayError('INTERNAL', `edXML schema ${kind} does not compile`, { errors: libErrors(e), cause: e })
  }
}

/** Compile both schemas now (idempotent). Call at start-up to fail fast and keep the first request quick. */
export function loadSchemas(): void {
  compiled ??= { edoc: compile('edoc'), status: compile('status') }
}

function schemaInvalid(kind: PackageKind, errors: ErrorItem[]): GatewayError {
  const first = errors[0]
  const shown = errors.slice(0, MAX_REPORTED_ERRORS)
  return new GatewayError('EDXML_SCHEMA_INVALID', first ? `${kind} package: ${first.message}${first.line ? ` (line ${first.line})` : ''}` : undefined, {
    errors: shown,
    extra: { kind, errorCount: errors.length },
  })
}

/** Validate a parsed package against the schema for its kind. Throws EDXML_SCHEMA_INVALID. */
export function validateDocument(doc: XmlDocument): PackageKind {
  loadSchemas()
  const kind = detectKind(doc.root)
  try {
    compiled![kind].validator.validate(doc)
  } catch (e) {
    throw schemaInvalid(kind, libErrors(e))
  }
  return kind
}

/** Safety gate → parse → XSD → fn(root, kind); the document is always disposed. */
export function withValidPackage<T>(bytes: Buffer, limits: Limits | undefined, fn: (root: XmlElement, kind: PackageKind) => T): T {
  return withDocument(bytes, limits ?? DEFAULT_LIMITS, (doc) => fn(doc.root, validateDocument(doc)))
}

export interface ParsedPackage {
  kind: PackageKind
  model: EdxmlPackage
}

/** Safety gate, parse, XSD validation, mapping to the model. Throws GatewayError. */
export function validateXml(bytes: Buffer | string, limits: Limits = DEFAULT_LIMITS): ParsedPackage {
  const buf = typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : bytes
  return withValidPackage(buf, limits, (root, kind) => ({ kind, model: elementToModel(root) }))
}

/** Alias of validateXml. */
export const parsePackage = validateXml

/** XML bytes → model (validated). */
export function xmlToModel(bytes: Buffer | string, limits: Limits = DEFAULT_LIMITS): EdxmlPackage {
  return validateXml(bytes, limits).model
}

export { modelToXml }
