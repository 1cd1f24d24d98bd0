/**
 * Typed model of edXML packages (QCVN 102:2016) and the XML ⇄ model mapping.
 *
 * Lossless at the information level: every element and attribute the XSDs (edxml-edoc.xsd,
 * edxml-status.xsd) accept has a place in the model; every leaf value is kept as the exact string of the
 * XML text (no trimming, no number/date conversion), and "present but empty" ("") is distinct from
 * "absent" (undefined). The JSON form IS the model (plain strings/arrays/objects), so model ⇄ JSON is the
 * identity plus validation. Not kept: comments, insignificant whitespace between elements, namespace
 * prefixes, and the wire order of pairs the schema allows in either order (e.g. OrganName /
 * OrganizationInCharge, TraceHeader / Bussiness); modelToXml writes the VPCP sample order. The Signature
 * block is kept as an exclusive-C14N string of the element (self-contained namespaces) and re-embedded
 * verbatim; it cannot verify after re-serialisation of the surrounding document — verify signatures on the
 * received bytes.
 */
import { XmlC14NMode, XmlElement } from 'libxml2-wasm'
import { childElements, EDXML_NS, escapeAttr, escapeText, XMLDSIG_NS } from './xml.ts'
import { retype } from './retype.ts'

export const XLINK_NS = 'http://www.w3.org/1999/xlink'

// ---------------------------------------------------------------- types

export interface Organization {
  organId: string
  organizationInCharge?: string
  organName?: string
  organAdd?: string
  email?: string
  telephone?: string
  fax?: string
  website?: string
}
export interface ResponseFor {
  organId: string
  code?: string
  promulgationDate?: string
  documentId: string
}
export interface StaffInfo {
  department?: string
  departmentId?: string
  staff?: string
  staffId?: string
  mobile?: string
  email?: string
}
export interface EdocMessageHeader {
  from: Organization
  to: Organization[]
  documentId: string
  code: { codeNumber: string; codeNotation: string }
  promulgationInfo: { place?: string; promulgationDate: string }
  documentType: { type: string; typeDetail?: string; typeName?: string }
  subject: string
  content?: string
  signerInfo?: { competence?: string; position?: string; fullName?: string }
  dueDate?: string
  otherInfo?: {
    priority?: string
    sphereOfPromulgation?: string
    typerNotation?: string
    promulgationAmount?: string
    pageAmount?: string
    direction?: string
    appendixes?: { appendix?: string[] }
  }
  responseFor?: ResponseFor[]
  steeringType?: string
  toPlaces?: { place?: string[] }
}
export interface TraceHeader {
  organId: string
  timestamp: string
}
export interface Bussiness {
  documentId?: string
  bussinessDocType: '0' | '1' | '2' | '3'
  bussinessDocReason?: string
  paper?: string
  bussinessDocumentInfo?: {
    documentInfo?: string
    documentReceiver?: string
    receiverList?: { receiver?: { organId: string; receiverType: string }[] }
  }
  replacementInfoList?: { replacementInfo?: { documentId: string; organIdList?: { organId?: string[] } }[] }
  staffInfo?: StaffInfo
}
export interface TraceHeaderList {
  id?: string
  version?: string
  traceHeader?: TraceHeader[]
  bussiness?: Bussiness
}
/** The signature element, verbatim. `element`: which of the accepted forms it is. */
export interface SignatureBlock {
  element: 'Signature' | 'DigitalSignature' | 'xmldsig'
  xml: string
}
export interface Reference {
  contentId: string
  contentType: string
  description?: string
  attachmentName: string
  /** xlink:href on Reference (.NET SDK variant) */
  href?: string
}
export interface Attachment {
  contentId: string
  attachmentName: string
  description?: string
  contentType: string
  /** Base64 of the (normally ZIP-compressed) file, exactly as in the XML text */
  contentTransferEncoded: string
}
export interface EdocPackage {
  kind: 'edoc'
  messageHeader: EdocMessageHeader
  traceHeaderList?: TraceHeaderList
  signature?: SignatureBlock
  /** edXMLBody/edXMLManifest; absent when the package has no edXMLBody */
  manifest?: { version?: string; reference?: Reference[] }
  /** AttachmentEncoded/Attachment*; undefined when AttachmentEncoded is absent */
  attachments?: Attachment[]
}
export interface StatusMessage {
  from: Organization
  responseFor: ResponseFor
  staffInfo?: StaffInfo
  statusCode: string
  description?: string
  timestamp: string
}
export interface StatusPackage {
  kind: 'status'
  /** the element name on the wire: MessageHeader (VPCP/VNPT, emitted by default) or Status (Bkav) */
  statusElement?: 'MessageHeader' | 'Status'
  status: StatusMessage
  signature?: SignatureBlock
}
export type EdxmlPackage = EdocPackage | StatusPackage
export type PackageKind = EdxmlPackage['kind']

// ---------------------------------------------------------------- value patterns (ECMAScript; XSD equivalents in the .xsd files)

const DATE = '[0-9]{4}/(0[1-9]|1[0-2])/(0[1-9]|[12][0-9]|3[01])'
export const PATTERNS = {
  /** CCC.BB.AA.XNN or the legacy BB.AA.XNN (edoc_new.edxml "28.22.H17") */
  agencyCode: '^(?:[0-9]{3}\\.[0-9]{2}\\.[0-9]{2}\\.[A-Z][0-9A-Z]{2}|[0-9]{2}\\.[0-9]{2}\\.[A-Z][0-9A-Z]{2})$',
  date: `^${DATE}$`,
  timestamp: `^${DATE} ([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]$`,
  documentId:
    `^(?:(?:[0-9]{3}\\.[0-9]{2}\\.[0-9]{2}\\.|[0-9]{2}\\.[0-9]{2}\\.)[A-Z][0-9A-Z]{2},${DATE},[^,/\\s][^,]*/\\S[^,]*` +
    '|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$',
  nonEmpty: '^\\S[\\s\\S]*$',
  digits: '^[0-9]{1,9}$',
  bool: '^(?:true|false|0|1)$',
  bussinessDocType: '^[0-3]$',
  contentId: '^(?:cid:)?[^\\s:<>]+$',
  base64: '^[A-Za-z0-9+/=\\s]*$',
  statusCode: '^[0-9]{2}$',
} as const

/** The strict national form CCC.BB.AA.XNN (routing); the schemas also admit the legacy 3-group form. */
export const AGENCY_CODE_STRICT = /^[0-9]{3}\.[0-9]{2}\.[0-9]{2}\.[A-Z][0-9A-Z]{2}$/

// ---------------------------------------------------------------- descriptors (drive XML ⇄ model and the JSON Schema)

export type Pattern = keyof typeof PATTERNS
export interface Field {
  xml: string
  key: string
  /** leaf text (optionally patterned) or a nested node. `many`: an array (never empty; absent = none). `req`: required (for `many`: at least one). */
  t: 'text' | Node
  pattern?: Pattern
  many?: boolean
  req?: boolean
}
export interface Attr {
  xml: string
  key: string
  ns?: string
}
export interface Node {
  name: string
  fields: Field[]
  attrs?: Attr[]
}

const text = (xml: string, key: string, o: { pattern?: Pattern; req?: boolean; many?: boolean } = {}): Field => ({ xml, key, t: 'text', ...o })
const node = (xml: string, key: string, n: Node, o: { req?: boolean; many?: boolean } = {}): Field => ({ xml, key, t: n, ...o })

/** Organization in edoc order (edoc samples); STATUS_ORGANIZATION is the status_inbox__01 order. */
export const ORGANIZATION: Node = {
  name: 'Organization',
  fields: [
    text('OrganId', 'organId', { pattern: 'agencyCode', req: true }),
    text('OrganizationInCharge', 'organizationInCharge'),
    text('OrganName', 'organName'),
    text('OrganAdd', 'organAdd'),
    text('Email', 'email'),
    text('Telephone', 'telephone'),
    text('Fax', 'fax'),
    text('Website', 'website'),
  ],
}
export const STATUS_ORGANIZATION: Node = {
  name: 'Organization',
  fields: [ORGANIZATION.fields[0]!, ORGANIZATION.fields[2]!, ORGANIZATION.fields[1]!, ...ORGANIZATION.fields.slice(3)],
}
export const RESPONSE_FOR: Node = {
  name: 'ResponseFor',
  fields: [
    text('OrganId', 'organId', { pattern: 'agencyCode', req: true }),
    text('Code', 'code'),
    text('PromulgationDate', 'promulgationDate', { pattern: 'date' }),
    text('DocumentId', 'documentId', { pattern: 'documentId', req: true }),
  ],
}
/** edoc order (edoc samples: Email before Mobile) */
export const STAFF_INFO: Node = {
  name: 'StaffInfo',
  fields: [
    text('Department', 'department'),
    text('DepartmentId', 'departmentId'),
    text('Staff', 'staff'),
    text('StaffId', 'staffId'),
    text('Email', 'email'),
    text('Mobile', 'mobile'),
  ],
}
/** status_inbox__01 order (Mobile before Email) */
export const STATUS_STAFF_INFO: Node = {
  name: 'StaffInfo',
  fields: [...STAFF_INFO.fields.slice(0, 4), STAFF_INFO.fields[5]!, STAFF_INFO.fields[4]!],
}

export const EDOC_MESSAGE_HEADER: Node = {
  name: 'EdocMessageHeader',
  fields: [
    node('From', 'from', ORGANIZATION, { req: true }),
    node('To', 'to', ORGANIZATION, { req: true, many: true }),
    text('DocumentId', 'documentId', { pattern: 'documentId', req: true }),
    node('Code', 'code', { name: 'Code', fields: [text('CodeNumber', 'codeNumber', { req: true }), text('CodeNotation', 'codeNotation', { req: true })] }, { req: true }),
    node(
      'PromulgationInfo',
      'promulgationInfo',
      { name: 'PromulgationInfo', fields: [text('Place', 'place'), text('PromulgationDate', 'promulgationDate', { pattern: 'date', req: true })] },
      { req: true },
    ),
    node(
      'DocumentType',
      'documentType',
      {
        name: 'DocumentType',
        fields: [text('Type', 'type', { pattern: 'digits', req: true }), text('TypeDetail', 'typeDetail', { pattern: 'digits' }), text('TypeName', 'typeName')],
      },
      { req: true },
    ),
    text('Subject', 'subject', { pattern: 'nonEmpty', req: true }),
    text('Content', 'content'),
    node('SignerInfo', 'signerInfo', { name: 'SignerInfo', fields: [text('Competence', 'competence'), text('Position', 'position'), text('FullName', 'fullName')] }),
    text('DueDate', 'dueDate', { pattern: 'date' }),
    node('OtherInfo', 'otherInfo', {
      name: 'OtherInfo',
      fields: [
        text('Priority', 'priority', { pattern: 'digits' }),
        text('SphereOfPromulgation', 'sphereOfPromulgation'),
        text('TyperNotation', 'typerNotation'),
        text('PromulgationAmount', 'promulgationAmount', { pattern: 'digits' }),
        text('PageAmount', 'pageAmount', { pattern: 'digits' }),
        text('Direction', 'direction', { pattern: 'bool' }),
        node('Appendixes', 'appendixes', { name: 'Appendixes', fields: [text('Appendix', 'appendix', { many: true })] }),
      ],
    }),
    node('ResponseFor', 'responseFor', RESPONSE_FOR, { many: true }),
    text('SteeringType', 'steeringType', { pattern: 'digits' }),
    node('ToPlaces', 'toPlaces', { name: 'ToPlaces', fields: [text('Place', 'place', { many: true })] }),
  ],
}

export const BUSSINESS: Node = {
  name: 'Bussiness',
  fields: [
    text('DocumentId', 'documentId', { pattern: 'documentId' }),
    text('BussinessDocType', 'bussinessDocType', { pattern: 'bussinessDocType', req: true }),
    text('BussinessDocReason', 'bussinessDocReason'),
    text('Paper', 'paper', { pattern: 'digits' }),
    node('BussinessDocumentInfo', 'bussinessDocumentInfo', {
      name: 'BussinessDocumentInfo',
      fields: [
        text('DocumentInfo', 'documentInfo', { pattern: 'digits' }),
        text('DocumentReceiver', 'documentReceiver', { pattern: 'digits' }),
        node('ReceiverList', 'receiverList', {
          name: 'ReceiverList',
          fields: [
            node(
              'Receiver',
              'receiver',
              {
                name: 'Receiver',
                fields: [text('OrganId', 'organId', { pattern: 'agencyCode', req: true }), text('ReceiverType', 'receiverType', { pattern: 'digits', req: true })],
              },
              { many: true },
            ),
          ],
        }),
      ],
    }),
    node('ReplacementInfoList', 'replacementInfoList', {
      name: 'ReplacementInfoList',
      fields: [
        node(
          'ReplacementInfo',
          'replacementInfo',
          {
            name: 'ReplacementInfo',
            fields: [
              text('DocumentId', 'documentId', { pattern: 'documentId', req: true }),
              node('OrganIdList', 'organIdList', { name: 'OrganIdList', fields: [text('OrganId', 'organId', { pattern: 'agencyCode', many: true })] }),
            ],
          },
          { many: true },
        ),
      ],
    }),
    node('StaffInfo', 'staffInfo', STAFF_INFO),
  ],
}

export const TRACE_HEADER_LIST: Node = {
  name: 'TraceHeaderList',
  attrs: [
    { xml: 'id', key: 'id' },
    { xml: 'version', key: 'version' },
  ],
  fields: [
    node(
      'TraceHeader',
      'traceHeader',
      { name: 'TraceHeader', fields: [text('OrganId', 'organId', { pattern: 'agencyCode', req: true }), text('Timestamp', 'timestamp', { pattern: 'timestamp', req: true })] },
      { many: true },
    ),
    node('Bussiness', 'bussiness', BUSSINESS),
  ],
}

export const REFERENCE: Node = {
  name: 'Reference',
  attrs: [{ xml: 'href', key: 'href', ns: XLINK_NS }],
  fields: [
    text('ContentId', 'contentId', { pattern: 'contentId', req: true }),
    text('ContentType', 'contentType', { pattern: 'nonEmpty', req: true }),
    text('Description', 'description'),
    text('AttachmentName', 'attachmentName', { pattern: 'nonEmpty', req: true }),
  ],
}
export const MANIFEST: Node = {
  name: 'Manifest',
  attrs: [{ xml: 'version', key: 'version' }],
  fields: [node('Reference', 'reference', REFERENCE, { many: true })],
}
export const ATTACHMENT: Node = {
  name: 'Attachment',
  fields: [
    text('ContentId', 'contentId', { pattern: 'contentId', req: true }),
    text('AttachmentName', 'attachmentName', { pattern: 'nonEmpty', req: true }),
    text('Description', 'description'),
    text('ContentType', 'contentType', { pattern: 'nonEmpty', req: true }),
    text('ContentTransferEncoded', 'contentTransferEncoded', { pattern: 'base64', req: true }),
  ],
}
export const STATUS_MESSAGE: Node = {
  name: 'StatusMessage',
  fields: [
    node('From', 'from', STATUS_ORGANIZATION, { req: true }),
    node('ResponseFor', 'responseFor', RESPONSE_FOR, { req: true }),
    node('StaffInfo', 'staffInfo', STATUS_STAFF_INFO),
    text('StatusCode', 'statusCode', { pattern: 'statusCode', req: true }),
    text('Description', 'description'),
    text('Timestamp', 'timestamp', { pattern: 'timestamp', req: true }),
  ],
}

// ---------------------------------------------------------------- XML → model (input already XSD-valid)

type Obj = Record<string, unknown>

function readNode(el: XmlElement, n: Node): Obj {
  const out: Obj = {}
  if (n.attrs) {
    for (const a of n.attrs) {
      const at = el.attrs.find((x) => x.name === a.xml && (x.namespaceUri || undefined) === a.ns)
      if (at) out[a.key] = at.value
    }
  }
  for (const c of childElements(el)) {
    if (c.namespaceUri !== EDXML_NS) continue
    const f = n.fields.find((x) => x.xml === c.name)
    if (!f) continue
    const v = f.t === 'text' ? c.content : readNode(c, f.t)
    if (f.many) ((out[f.key] ??= []) as unknown[]).push(v)
    else out[f.key] = v
  }
  return out
}

function ed(el: XmlElement | undefined, local: string): XmlElement | undefined {
  return el ? childElements(el).find((c) => c.name === local && c.namespaceUri === EDXML_NS) : undefined
}

function readSignature(el: XmlElement): SignatureBlock {
  const element = el.namespaceUri === XMLDSIG_NS ? 'xmldsig' : (el.name as 'Signature' | 'DigitalSignature')
  return { element, xml: el.canonicalizeToString({ mode: XmlC14NMode.XML_C14N_EXCLUSIVE_1_0, withComments: false }) }
}

function signatureOf(header: XmlElement): SignatureBlock | undefined {
  const s = childElements(header).find((c) => c.namespaceUri === XMLDSIG_NS || (c.namespaceUri === EDXML_NS && (c.name === 'Signature' || c.name === 'DigitalSignature')))
  return s ? readSignature(s) : undefined
}

/** Which schema applies: a status package has StatusCode in its MessageHeader, or a Status element. */
export function detectKind(root: XmlElement): PackageKind {
  const header = ed(ed(root, 'edXMLEnvelope'), 'edXMLHeader')
  if (ed(header, 'Status')) return 'status'
  return ed(ed(header, 'MessageHeader'), 'StatusCode') ? 'status' : 'edoc'
}

/** Map an XSD-valid package (root element edXML) to the model. */
export function elementToModel(root: XmlElement): EdxmlPackage {
  const env = ed(root, 'edXMLEnvelope')!
  const header = ed(env, 'edXMLHeader')!
  if (detectKind(root) === 'status') {
    const st = ed(header, 'Status')
    const mh = st ?? ed(header, 'MessageHeader')!
    const sig = signatureOf(header)
    return {
      kind: 'status',
      statusElement: st ? 'Status' : 'MessageHeader',
      status: retype<StatusMessage>(readNode(mh, STATUS_MESSAGE)),
      ...(sig ? { signature: sig } : {}),
    }
  }
  const out: EdocPackage = { kind: 'edoc', messageHeader: retype<EdocMessageHeader>(readNode(ed(header, 'MessageHeader')!, EDOC_MESSAGE_HEADER)) }
  const thl = ed(header, 'TraceHeaderList')
  if (thl) out.traceHeaderList = readNode(thl, TRACE_HEADER_LIST) as TraceHeaderList
  const sig = signatureOf(header)
  if (sig) out.signature = sig
  const manifest = ed(ed(env, 'edXMLBody'), 'edXMLManifest')
  if (manifest) out.manifest = readNode(manifest, MANIFEST) as EdocPackage['manifest']
  const ae = ed(root, 'AttachmentEncoded')
  if (ae)
    out.attachments = childElements(ae)
      .filter((c) => c.name === 'Attachment' && c.namespaceUri === EDXML_NS)
      .map((a) => retype<Attachment>(readNode(a, ATTACHMENT)))
  return out
}

// ---------------------------------------------------------------- model → XML (VPCP sample form)

const P = 'edXML:'
const ind = (n: number) => '  '.repeat(n)

function writeNode(name: string, n: Node, v: Obj, depth: number, prefix: string, lines: string[], extraAttrs = ''): void {
  let attrs = extraAttrs
  for (const a of n.attrs ?? []) {
    const val = v[a.key]
    if (typeof val !== 'string') continue
    attrs += a.ns === XLINK_NS ? ` xmlns:xlink="${XLINK_NS}" xlink:${a.xml}="${escapeAttr(val)}"` : ` ${a.xml}="${escapeAttr(val)}"`
  }
  lines.push(`${ind(depth)}<${prefix}${name}${attrs}>`)
  for (const f of n.fields) {
    const val = v[f.key]
    if (val === undefined) continue
    for (const item of f.many ? (val as unknown[]) : [val]) {
      if (f.t === 'text') {
        const tagPrefix = f.xml === 'ContentTransferEncoded' && prefix === '' ? P : prefix
        const decl = f.xml === 'ContentTransferEncoded' && prefix === '' ? ` xmlns:edXML="${EDXML_NS}"` : ''
        lines.push(`${ind(depth + 1)}<${tagPrefix}${f.xml}${decl}>${escapeText(String(item))}</${tagPrefix}${f.xml}>`)
      } else {
        writeNode(f.xml, f.t, item as Obj, depth + 1, prefix, lines)
      }
    }
  }
  lines.push(`${ind(depth)}</${prefix}${name}>`)
}

/** Serialise a model in the VPCP sample form (default namespace on edXML, edXML: prefix inside the envelope). */
export function modelToXml(m: EdxmlPackage): string {
  const lines: string[] = ['<?xml version="1.0" encoding="UTF-8"?>', `<edXML xmlns="${EDXML_NS}">`, `${ind(1)}<${P}edXMLEnvelope xmlns:${P.slice(0, -1)}="${EDXML_NS}">`]
  lines.push(`${ind(2)}<${P}edXMLHeader>`)
  if (m.kind === 'status') {
    writeNode(m.statusElement ?? 'MessageHeader', STATUS_MESSAGE, retype<Obj>(m.status), 3, P, lines)
    if (m.signature) lines.push(ind(3) + m.signature.xml)
    lines.push(`${ind(2)}</${P}edXMLHeader>`)
  } else {
    writeNode('MessageHeader', EDOC_MESSAGE_HEADER, retype<Obj>(m.messageHeader), 3, P, lines)
    if (m.traceHeaderList) writeNode('TraceHeaderList', TRACE_HEADER_LIST, m.traceHeaderList as Obj, 3, P, lines)
    if (m.signature) lines.push(ind(3) + m.signature.xml)
    lines.push(`${ind(2)}</${P}edXMLHeader>`)
    if (m.manifest) {
      lines.push(`${ind(2)}<${P}edXMLBody>`)
      writeNode('edXMLManifest', MANIFEST, m.manifest as Obj, 3, P, lines)
      lines.push(`${ind(2)}</${P}edXMLBody>`)
    }
  }
  lines.push(`${ind(1)}</${P}edXMLEnvelope>`)
  if (m.kind === 'edoc' && m.attachments) {
    lines.push(`${ind(1)}<AttachmentEncoded>`)
    for (const a of m.attachments) writeNode('Attachment', ATTACHMENT, retype<Obj>(a), 2, '', lines)
    lines.push(`${ind(1)}</AttachmentEncoded>`)
  }
  lines.push('</edXML>', '')
  return lines.join('\n')
}
