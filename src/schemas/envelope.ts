/**
 * The small routing view of an edXML package ("envelope"), for the ingest path, and the builder of
 * outgoing status packages.
 *
 * readEnvelope(bytes): safety gate (size, DOCTYPE/ENTITY, depth, encoding) → namespace-aware parse →
 * the fields the gateway routes on. Throws GatewayError (PAYLOAD_TOO_LARGE, XML_FORBIDDEN_CONSTRUCT,
 * XML_TOO_DEEP, XML_MALFORMED, EDXML_SCHEMA_INVALID).
 */
import type { XmlElement } from 'libxml2-wasm'
import { GatewayError, type ErrorItem } from '../errors.ts'
import { DEFAULT_LIMITS, type Limits } from './safety.ts'
import { AGENCY_CODE_STRICT } from './model.ts'
import { withValidPackage } from './validate.ts'
import { child, children, EDXML_NS, escapeText, formatTimestamp, isEd, textOf } from './xml.ts'

export { DEFAULT_LIMITS, type Limits } from './safety.ts'

export interface EdocEnvelope {
  kind: 'edoc'
  from: string
  to: string[]
  documentId: string
  subject?: string
  codeNumber?: string
  codeNotation?: string
  promulgationDate?: string
  bussinessDocType?: string
  bussinessDocumentId?: string
}

export interface StatusEnvelope {
  kind: 'status'
  from: string
  responseFor: { organId: string; documentId: string; code?: string; promulgationDate?: string }
  statusCode: string
  description?: string
  timestamp?: string
}

export type Envelope = EdocEnvelope | StatusEnvelope

function opt<K extends string>(key: K, v: string | undefined): Partial<Record<K, string>> {
  return v === undefined ? {} : ({ [key]: v } as Record<K, string>)
}

function trimmed(el: XmlElement | undefined): string | undefined {
  const t = textOf(el)
  return t === undefined ? undefined : t.trim()
}

/** Reads only what routing needs. Full validation is schemas/validate.ts (validateXml). */
export function envelopeFromRoot(root: XmlElement): Envelope {
  const errors: ErrorItem[] = []
  const need = (parent: XmlElement | undefined, name: string, path: string): string => {
    const el = child(parent, name)
    const v = trimmed(el)
    if (v === undefined || v === '') {
      errors.push({ path: `${path}/${name}`, ...(parent ? { line: parent.line } : {}), message: `missing or empty ${name}` })
      return ''
    }
    return v
  }
  const fail = (): never => {
    const first = errors[0]
    throw new GatewayError('EDXML_SCHEMA_INVALID', first ? `${first.path ?? ''}: ${first.message}` : undefined, { errors })
  }

  if (!isEd(root, 'edXML')) {
    errors.push({ path: '/', line: root.line, message: `root element must be {${EDXML_NS}}edXML, found {${root.namespaceUri}}${root.name}` })
    fail()
  }
  const envelope = child(root, 'edXMLEnvelope')
  const header = child(envelope, 'edXMLHeader')
  if (!envelope || !header) {
    errors.push({ path: '/edXML/edXMLEnvelope/edXMLHeader', line: root.line, message: 'missing edXMLEnvelope/edXMLHeader' })
    fail()
  }
  const status = child(header, 'Status')
  const mh = status ?? child(header, 'MessageHeader')
  const base = `/edXML/edXMLEnvelope/edXMLHeader/${status ? 'Status' : 'MessageHeader'}`
  if (!mh) {
    errors.push({ path: base, line: header!.line, message: 'missing MessageHeader (or Status)' })
    return fail()
  }
  const fromEl = child(mh, 'From')
  if (!fromEl) errors.push({ path: `${base}/From`, line: mh.line, message: 'missing From' })

  if (status || child(mh, 'StatusCode')) {
    const from = fromEl ? need(fromEl, 'OrganId', `${base}/From`) : ''
    const rf = child(mh, 'ResponseFor')
    if (!rf) errors.push({ path: `${base}/ResponseFor`, line: mh.line, message: 'missing ResponseFor' })
    const organId = rf ? need(rf, 'OrganId', `${base}/ResponseFor`) : ''
    const documentId = rf ? need(rf, 'DocumentId', `${base}/ResponseFor`) : ''
    const statusCode = need(mh, 'StatusCode', base)
    if (errors.length) fail()
    return {
      kind: 'status',
      from,
      responseFor: {
        organId,
        documentId,
        ...opt('code', trimmed(child(rf, 'Code'))),
        ...opt('promulgationDate', trimmed(child(rf, 'PromulgationDate'))),
      },
      statusCode,
      ...opt('description', trimmed(child(mh, 'Description'))),
      ...opt('timestamp', trimmed(child(mh, 'Timestamp'))),
    }
  }

  const from = fromEl ? need(fromEl, 'OrganId', `${base}/From`) : ''
  const toEls = children(mh, 'To')
  if (toEls.length === 0) errors.push({ path: `${base}/To`, line: mh.line, message: 'missing To (at least one recipient)' })
  const to = toEls.map((t, i) => need(t, 'OrganId', `${base}/To[${i + 1}]`))
  const documentId = need(mh, 'DocumentId', base)
  if (errors.length) fail()
  const code = child(mh, 'Code')
  const bus = child(child(header, 'TraceHeaderList'), 'Bussiness')
  return {
    kind: 'edoc',
    from,
    to,
    documentId,
    ...opt('subject', trimmed(child(mh, 'Subject'))),
    ...opt('codeNumber', trimmed(child(code, 'CodeNumber'))),
    ...opt('codeNotation', trimmed(child(code, 'CodeNotation'))),
    ...opt('promulgationDate', trimmed(child(child(mh, 'PromulgationInfo'), 'PromulgationDate'))),
    ...opt('bussinessDocType', trimmed(child(bus, 'BussinessDocType'))),
    ...opt('bussinessDocumentId', trimmed(child(bus, 'DocumentId'))),
  }
}

/**
 * Safety gate + parse + XSD validation (edxml-edoc.xsd / edxml-status.xsd) + extract. Throws GatewayError
 * (PAYLOAD_TOO_LARGE, XML_FORBIDDEN_CONSTRUCT, XML_TOO_DEEP, XML_MALFORMED, EDXML_SCHEMA_INVALID); never
 * returns a partial envelope. The schema admits the legacy 3-group OrganId (BB.AA.XNN) seen in VPCP samples;
 * call assertRoutableAgencyCodes(env) before routing to require CCC.BB.AA.XNN.
 */
export function readEnvelope(bytes: Buffer, limits: Limits = DEFAULT_LIMITS): EdocEnvelope | StatusEnvelope {
  return withValidPackage(bytes, limits, (root) => envelopeFromRoot(root))
}

/** True for the national form CCC.BB.AA.XNN (e.g. 000.21.30.H41). */
export function isAgencyCode(code: string): boolean {
  return AGENCY_CODE_STRICT.test(code)
}

/** Throws INVALID_AGENCY_CODE listing every sender/recipient/addressee code not of the form CCC.BB.AA.XNN. */
export function assertRoutableAgencyCodes(env: EdocEnvelope | StatusEnvelope): void {
  const items =
    env.kind === 'edoc'
      ? [{ path: 'from', code: env.from }, ...env.to.map((c, i) => ({ path: `to[${i}]`, code: c }))]
      : [
          { path: 'from', code: env.from },
          { path: 'responseFor.organId', code: env.responseFor.organId },
        ]
  const bad = items.filter((x) => !isAgencyCode(x.code))
  if (bad.length) {
    throw new GatewayError('INVALID_AGENCY_CODE', `Not of the form CCC.BB.AA.XNN: ${bad.map((b) => b.code).join(', ')}`, {
      errors: bad.map((b) => ({ path: b.path, message: `"${b.code}" is not of the form CCC.BB.AA.XNN` })),
    })
  }
}

export interface StatusOrgan {
  organId: string
  organName?: string
  organizationInCharge?: string
  organAdd?: string
  email?: string
  telephone?: string
  fax?: string
  website?: string
}

export interface StatusStaff {
  department?: string
  staff?: string
  mobile?: string
  email?: string
}

export interface BuildStatusInput {
  from: StatusOrgan
  responseFor: { organId: string; documentId: string; code?: string; promulgationDate?: string }
  statusCode: string
  description: string
  timestamp: Date
  staff?: StatusStaff
}

const I = (n: number) => '  '.repeat(n)
function el(indent: number, name: string, value: string | undefined): string {
  return value === undefined ? '' : `${I(indent)}<edXML:${name}>${escapeText(value)}</edXML:${name}>\n`
}

/**
 * An edXML status package in the shape of the VPCP sample status_inbox__01.edxml: root edXML with the
 * default namespace, edXML:-prefixed children, status element MessageHeader, child order
 * From, ResponseFor, StaffInfo, StatusCode, Description, Timestamp (yyyy/MM/dd HH:mm:ss, Asia/Ho_Chi_Minh).
 * OrganizationInCharge defaults to OrganName, as in the samples.
 */
export function buildStatusXml(s: BuildStatusInput): string {
  if (!/^\d{2}$/.test(s.statusCode)) throw new GatewayError('BAD_REQUEST', 'statusCode must be two digits, e.g. "01"')
  const f = s.from
  const rf = s.responseFor
  const st = s.staff
  const staffXml =
    st && (st.department ?? st.staff ?? st.mobile ?? st.email) !== undefined
      ? `${I(4)}<edXML:StaffInfo>\n` +
        el(5, 'Department', st.department) +
        el(5, 'Staff', st.staff) +
        el(5, 'Mobile', st.mobile) +
        el(5, 'Email', st.email) +
        `${I(4)}</edXML:StaffInfo>\n`
      : ''
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<edXML xmlns="${EDXML_NS}">\n` +
    `${I(1)}<edXML:edXMLEnvelope xmlns:edXML="${EDXML_NS}">\n` +
    `${I(2)}<edXML:edXMLHeader>\n` +
    `${I(3)}<edXML:MessageHeader>\n` +
    `${I(4)}<edXML:From>\n` +
    el(5, 'OrganId', f.organId) +
    el(5, 'OrganName', f.organName) +
    el(5, 'OrganizationInCharge', f.organizationInCharge ?? f.organName) +
    el(5, 'OrganAdd', f.organAdd) +
    el(5, 'Email', f.email) +
    el(5, 'Telephone', f.telephone) +
    el(5, 'Fax', f.fax) +
    el(5, 'Website', f.website) +
    `${I(4)}</edXML:From>\n` +
    `${I(4)}<edXML:ResponseFor>\n` +
    el(5, 'OrganId', rf.organId) +
    el(5, 'Code', rf.code) +
    el(5, 'PromulgationDate', rf.promulgationDate) +
    el(5, 'DocumentId', rf.documentId) +
    `${I(4)}</edXML:ResponseFor>\n` +
    staffXml +
    el(4, 'StatusCode', s.statusCode) +
    el(4, 'Description', s.description) +
    el(4, 'Timestamp', formatTimestamp(s.timestamp)) +
    `${I(3)}</edXML:MessageHeader>\n` +
    `${I(2)}</edXML:edXMLHeader>\n` +
    `${I(1)}</edXML:edXMLEnvelope>\n` +
    '</edXML>\n'
  )
}
