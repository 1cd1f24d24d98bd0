/**
 * Hand-written SOAP 1.1 / 1.2 envelope handling: read a request envelope behind the same safety gate as
 * edXML (no DOCTYPE/ENTITY, size and depth capped, libxml2 with no network and no external entities),
 * and write responses and Faults. The SOAP version is the envelope's namespace; the answer uses the same.
 */
import { ParseOption, XmlDocument, XmlElement } from 'libxml2-wasm'
import { ERRORS, GatewayError } from '../../errors.ts'
import { checkSafety, type Limits } from '../../schemas/safety.ts'
import { childElements, escapeText, libErrors, PARSE_OPTIONS } from '../../schemas/xml.ts'
import { SOAP11_NS, SOAP12_NS, SOAP_TNS } from './wsdl.ts'

export type SoapVersion = '1.1' | '1.2'

export const contentTypeOf = (v: SoapVersion) => (v === '1.1' ? 'text/xml; charset=utf-8' : 'application/soap+xml; charset=utf-8')
const nsOf = (v: SoapVersion) => (v === '1.1' ? SOAP11_NS : SOAP12_NS)

/** A failure in the SOAP layer itself (version mismatch, not an envelope …): faultcode, not a catalogue code. */
export class SoapProtocolError extends Error {
  readonly faultCode: 'VersionMismatch' | 'MustUnderstand' | 'Client'

  constructor(faultCode: 'VersionMismatch' | 'MustUnderstand' | 'Client', message: string) {
    super(message)
    this.faultCode = faultCode
  }
}

export interface SoapRequest {
  version: SoapVersion
  /** the Body's first element (the operation) */
  operation: XmlElement
  dispose(): void
}

/**
 * Safety gate (checkSafety), then libxml2 with the edXML parse options plus XML_PARSE_HUGE: a package
 * travels base64 in one text node, and libxml2 otherwise caps a text node at 10 MB; the gate has already
 * bounded size and depth and refused every declaration.
 */
export function readSoapRequest(bytes: Buffer, limits: Limits): SoapRequest {
  checkSafety(bytes, limits)
  let doc: XmlDocument
  try {
    doc = XmlDocument.fromBuffer(bytes, { option: PARSE_OPTIONS | ParseOption.XML_PARSE_HUGE, encoding: 'UTF-8' })
  } catch (e) {
    const errors = libErrors(e)
    throw new GatewayError('XML_MALFORMED', errors[0]?.message ?? undefined, { errors, cause: e })
  }
  try {
    const env = doc.root
    if (env.name !== 'Envelope' || (env.namespaceUri !== SOAP11_NS && env.namespaceUri !== SOAP12_NS)) {
      throw new SoapProtocolError('VersionMismatch', `the root element must be a SOAP 1.1 or 1.2 Envelope, found {${env.namespaceUri}}${env.name}`)
    }
    const version: SoapVersion = env.namespaceUri === SOAP11_NS ? '1.1' : '1.2'
    // exactly [Header?, Body] (SOAP 1.2 part 1 §5.1; 1.1 §4.1.1 puts Header first and one Body next), and one
    // operation in the Body (WS-I Basic Profile R2201, document/literal): with two Bodies or two operations,
    // another reader of the same envelope could act on a different one than we did
    const parts = childElements(env)
    const isSoap = (c: XmlElement, name: string) => c.name === name && c.namespaceUri === env.namespaceUri
    const shapeOk = (parts.length === 1 && isSoap(parts[0]!, 'Body')) || (parts.length === 2 && isSoap(parts[0]!, 'Header') && isSoap(parts[1]!, 'Body'))
    if (!shapeOk)
      throw new GatewayError('BAD_REQUEST', `the Envelope must hold an optional Header then exactly one Body, found ${parts.map((c) => c.name).join(', ') || 'nothing'}`)
    const header = parts.find((c) => isSoap(c, 'Header'))
    for (const h of header ? childElements(header) : []) {
      const muVal = attrNs(h, env.namespaceUri, 'mustUnderstand')
      if (muVal === '1' || muVal === 'true') throw new SoapProtocolError('MustUnderstand', `header {${h.namespaceUri}}${h.name} is not understood`)
    }
    const ops = childElements(parts[parts.length - 1]!)
    const operation = ops[0]
    if (!operation) throw new GatewayError('BAD_REQUEST', 'the SOAP Body is empty')
    if (ops.length > 1) throw new GatewayError('BAD_REQUEST', `the SOAP Body must hold one operation, found ${ops.map((c) => c.name).join(', ')}`)
    return { version, operation, dispose: () => doc.dispose() }
  } catch (e) {
    doc.dispose()
    throw e
  }
}

function attrNs(el: XmlElement, ns: string, local: string): string | undefined {
  for (const a of el.attrs) if (a.name === local && a.namespaceUri === ns) return a.value
  return undefined
}

/** Children of an operation element by local name (namespace-tolerant: qualified or not). */
export function field(op: XmlElement, name: string): string | undefined {
  const el = childElements(op).find((c) => c.name === name)
  return el ? el.content : undefined
}

export function requiredField(op: XmlElement, name: string): string {
  const v = field(op, name)
  if (v === undefined || v.trim() === '') throw new GatewayError('BAD_REQUEST', `${op.name}: missing ${name}`)
  return v.trim()
}

/** base64Binary → bytes; whitespace allowed, anything else outside the alphabet refused. */
export function base64Field(op: XmlElement, name: string): Buffer {
  const s = requiredField(op, name).replace(/\s+/g, '')
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(s) || s.length % 4 !== 0) throw new GatewayError('BAD_REQUEST', `${op.name}: ${name} is not base64Binary`)
  return Buffer.from(s, 'base64')
}

// ---------------------------------------------------------------- writing

/** A response value: text, a nested element list, or a list of repeated elements. */
export type Value = string | number | boolean | null | undefined | Fields | Fields[] | string[]
export interface Fields {
  [name: string]: Value
}

function write(name: string, v: Value, out: string[]): void {
  if (v === null || v === undefined) return
  if (Array.isArray(v)) {
    for (const item of v) write(name, item as Value, out)
    return
  }
  if (typeof v === 'object') {
    out.push(`<l:${name}>`)
    for (const [k, x] of Object.entries(v)) write(k, x, out)
    out.push(`</l:${name}>`)
    return
  }
  out.push(`<l:${name}>${escapeText(String(v))}</l:${name}>`)
}

function envelope(v: SoapVersion, body: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<soap:Envelope xmlns:soap="${nsOf(v)}"><soap:Body>${body}</soap:Body></soap:Envelope>\n`
}

export function responseEnvelope(v: SoapVersion, operation: string, fields: Fields): string {
  const out: string[] = []
  for (const [k, x] of Object.entries(fields)) write(k, x, out)
  return envelope(v, `<l:${operation}Response xmlns:l="${SOAP_TNS}">${out.join('')}</l:${operation}Response>`)
}

/** A Fault for a catalogue error (detail/l:error/l:code) or a SOAP protocol failure. */
export function faultEnvelope(v: SoapVersion, err: GatewayError | SoapProtocolError): string {
  const isProtocol = err instanceof SoapProtocolError
  const sender = isProtocol ? err.faultCode === 'Client' : err.status < 500
  const code11 = isProtocol && err.faultCode !== 'Client' ? `soap:${err.faultCode}` : sender ? 'soap:Client' : 'soap:Server'
  const code12 = isProtocol && err.faultCode !== 'Client' ? `soap:${err.faultCode}` : sender ? 'soap:Sender' : 'soap:Receiver'
  const reason = escapeText(err.message.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, ' '))
  const detail = isProtocol
    ? ''
    : `<l:error xmlns:l="${SOAP_TNS}"><l:code>${err.code}</l:code><l:status>${err.status}</l:status>` +
      `<l:title>${escapeText(ERRORS[err.code].title)}</l:title><l:detail>${reason}</l:detail></l:error>`
  if (v === '1.1') {
    return envelope(v, `<soap:Fault><faultcode>${code11}</faultcode><faultstring>${reason}</faultstring>${detail ? `<detail>${detail}</detail>` : ''}</soap:Fault>`)
  }
  return envelope(
    v,
    `<soap:Fault><soap:Code><soap:Value>${code12}</soap:Value></soap:Code><soap:Reason><soap:Text xml:lang="en">${reason}</soap:Text></soap:Reason>${detail ? `<soap:Detail>${detail}</soap:Detail>` : ''}</soap:Fault>`,
  )
}
