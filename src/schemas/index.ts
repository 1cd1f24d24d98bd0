/** Public API of the national-schema module (edXML, QCVN 102:2016). */
export { DEFAULT_LIMITS, checkSafety, type Limits } from './safety.ts'
export { readEnvelope, buildStatusXml, isAgencyCode, assertRoutableAgencyCodes, type EdocEnvelope, type StatusEnvelope, type Envelope, type BuildStatusInput } from './envelope.ts'
export { loadSchemas, validateXml, parsePackage, xmlToModel, modelToXml, SCHEMA_FILES, type ParsedPackage } from './validate.ts'
export { validateJson, jsonToModel, modelToJson, EDXML_JSON_SCHEMA, EDXML_JSON_EXAMPLE } from './json.ts'
export { listAttachments, decodeAttachment, makeAttachment, normalizeContentId, type AttachmentInfo } from './attachments.ts'
export type * from './model.ts'
export { EDXML_NS, XMLDSIG_NS, formatTimestamp, formatDate } from './xml.ts'
