/**
 * The WSDL 1.1 of the SOAP surface: document/literal, one portType, a SOAP 1.1 and a SOAP 1.2 binding
 * (same address). Served at GET /soap?wsdl with soap:address set to the address the client used.
 */
import { escapeAttr, escapeText } from '../../schemas/xml.ts'

export const SOAP_TNS = 'urn:lien-thong:soap:v1'
export const SOAP11_NS = 'http://schemas.xmlsoap.org/soap/envelope/'
export const SOAP12_NS = 'http://www.w3.org/2003/05/soap-envelope'

export const OPERATIONS = ['SendDocument', 'GetPendingDocuments', 'GetDocument', 'AcknowledgeDocument', 'SendStatus', 'GetDocumentStatus'] as const
export type Operation = (typeof OPERATIONS)[number]
export const soapActionOf = (op: Operation) => `${SOAP_TNS}/${op}`

const DOCS: Record<Operation, string> = {
  SendDocument:
    'Send a document package (as POST /v1/documents). `package` is the edXML package, byte for byte as signed, in base64Binary (so no SOAP stack re-serialises it); `contentType` application/json sends the JSON form instead. Answered only once Kafka confirmed.',
  GetPendingDocuments: "Documents waiting for the caller's agencies (as GET /v1/inbox).",
  GetDocument: 'One inbox item (as GET /v1/inbox/{id}): `package` in base64Binary, edXML by default (the exact bytes when the sender sent edXML), the JSON form with format=json.',
  AcknowledgeDocument: 'Acknowledge arrival: sends edXML status 01 back to the sender (as POST /v1/inbox/{id}/ack).',
  SendStatus: 'Send an edXML status package (as POST /v1/status), base64Binary in `package`.',
  GetDocumentStatus: "A sent document and every recipient's status timeline (as GET /v1/documents/{id}).",
}

const TYPES = `
      <xs:complexType name="Recipient">
        <xs:sequence>
          <xs:element name="organId" type="xs:string"/>
          <xs:element name="tier" type="xs:string"/>
          <xs:element name="status" type="xs:string"/>
          <xs:element name="addressedTo" type="xs:string" minOccurs="0"/>
        </xs:sequence>
      </xs:complexType>
      <xs:complexType name="TimelineEvent">
        <xs:sequence>
          <xs:element name="status" type="xs:string"/>
          <xs:element name="at" type="xs:dateTime"/>
        </xs:sequence>
      </xs:complexType>
      <xs:complexType name="RecipientTimeline">
        <xs:sequence>
          <xs:element name="organId" type="xs:string"/>
          <xs:element name="tier" type="xs:string"/>
          <xs:element name="status" type="xs:string"/>
          <xs:element name="addressedTo" type="xs:string" minOccurs="0"/>
          <xs:element name="event" type="tns:TimelineEvent" minOccurs="0" maxOccurs="unbounded"/>
        </xs:sequence>
      </xs:complexType>
      <xs:complexType name="InboxItem">
        <xs:sequence>
          <xs:element name="id" type="xs:string"/>
          <xs:element name="documentUuid" type="xs:string"/>
          <xs:element name="recipient" type="xs:string"/>
          <xs:element name="from" type="xs:string"/>
          <xs:element name="documentId" type="xs:string"/>
          <xs:element name="subject" type="xs:string" minOccurs="0"/>
          <xs:element name="sha256" type="xs:string"/>
          <xs:element name="size" type="xs:long"/>
          <xs:element name="deliveredAt" type="xs:dateTime"/>
          <xs:element name="ackedAt" type="xs:dateTime" minOccurs="0"/>
          <xs:element name="addressedTo" type="xs:string" minOccurs="0"/>
        </xs:sequence>
      </xs:complexType>

      <xs:element name="SendDocument">
        <xs:complexType>
          <xs:sequence>
            <xs:element name="package" type="xs:base64Binary"><xs:annotation><xs:documentation>The package bytes, exactly as signed.</xs:documentation></xs:annotation></xs:element>
            <xs:element name="contentType" type="xs:string" minOccurs="0" default="application/xml"><xs:annotation><xs:documentation>application/xml (edXML, default) or application/json (JSON form).</xs:documentation></xs:annotation></xs:element>
          </xs:sequence>
        </xs:complexType>
      </xs:element>
      <xs:element name="SendDocumentResponse">
        <xs:complexType>
          <xs:sequence>
            <xs:element name="id" type="xs:string"/>
            <xs:element name="documentId" type="xs:string"/>
            <xs:element name="sha256" type="xs:string"/>
            <xs:element name="acceptedAt" type="xs:dateTime"/>
            <xs:element name="replayed" type="xs:boolean"/>
            <xs:element name="recipient" type="tns:Recipient" maxOccurs="unbounded"/>
          </xs:sequence>
        </xs:complexType>
      </xs:element>

      <xs:element name="GetPendingDocuments">
        <xs:complexType>
          <xs:sequence>
            <xs:element name="includeAcked" type="xs:boolean" minOccurs="0" default="false"/>
            <xs:element name="limit" type="xs:int" minOccurs="0" default="100"/>
          </xs:sequence>
        </xs:complexType>
      </xs:element>
      <xs:element name="GetPendingDocumentsResponse">
        <xs:complexType>
          <xs:sequence>
            <xs:element name="item" type="tns:InboxItem" minOccurs="0" maxOccurs="unbounded"/>
          </xs:sequence>
        </xs:complexType>
      </xs:element>

      <xs:element name="GetDocument">
        <xs:complexType>
          <xs:sequence>
            <xs:element name="id" type="xs:string"/>
            <xs:element name="format" type="xs:string" minOccurs="0" default="xml"><xs:annotation><xs:documentation>xml (edXML, default) or json (JSON form).</xs:documentation></xs:annotation></xs:element>
          </xs:sequence>
        </xs:complexType>
      </xs:element>
      <xs:element name="GetDocumentResponse">
        <xs:complexType>
          <xs:sequence>
            <xs:element name="id" type="xs:string"/>
            <xs:element name="documentId" type="xs:string"/>
            <xs:element name="from" type="xs:string"/>
            <xs:element name="contentType" type="xs:string"/>
            <xs:element name="representation" type="xs:string"><xs:annotation><xs:documentation>original (the bytes as sent) or converted.</xs:documentation></xs:annotation></xs:element>
            <xs:element name="sha256" type="xs:string"><xs:annotation><xs:documentation>SHA-256 of the bytes as sent.</xs:documentation></xs:annotation></xs:element>
            <xs:element name="package" type="xs:base64Binary"/>
          </xs:sequence>
        </xs:complexType>
      </xs:element>

      <xs:element name="AcknowledgeDocument">
        <xs:complexType><xs:sequence><xs:element name="id" type="xs:string"/></xs:sequence></xs:complexType>
      </xs:element>
      <xs:element name="AcknowledgeDocumentResponse">
        <xs:complexType>
          <xs:sequence>
            <xs:element name="id" type="xs:string"/>
            <xs:element name="status" type="xs:string"/>
            <xs:element name="ackedAt" type="xs:dateTime"/>
          </xs:sequence>
        </xs:complexType>
      </xs:element>

      <xs:element name="SendStatus">
        <xs:complexType>
          <xs:sequence>
            <xs:element name="package" type="xs:base64Binary"/>
            <xs:element name="contentType" type="xs:string" minOccurs="0" default="application/xml"/>
          </xs:sequence>
        </xs:complexType>
      </xs:element>
      <xs:element name="SendStatusResponse">
        <xs:complexType>
          <xs:sequence>
            <xs:element name="id" type="xs:string"/>
            <xs:element name="documentId" type="xs:string"/>
            <xs:element name="documentFrom" type="xs:string"/>
            <xs:element name="from" type="xs:string"/>
            <xs:element name="statusCode" type="xs:string"/>
            <xs:element name="role" type="xs:string"/>
            <xs:element name="recipient" type="xs:string" maxOccurs="unbounded"/>
            <xs:element name="sha256" type="xs:string"/>
            <xs:element name="at" type="xs:dateTime"/>
            <xs:element name="signed" type="xs:boolean"><xs:annotation><xs:documentation>The status package's signature verified (as for documents); false only under SIGNATURE_POLICY=optional.</xs:documentation></xs:annotation></xs:element>
            <xs:element name="signer" type="xs:string" minOccurs="0"/>
          </xs:sequence>
        </xs:complexType>
      </xs:element>

      <xs:element name="GetDocumentStatus">
        <xs:complexType><xs:sequence><xs:element name="id" type="xs:string"/></xs:sequence></xs:complexType>
      </xs:element>
      <xs:element name="GetDocumentStatusResponse">
        <xs:complexType>
          <xs:sequence>
            <xs:element name="id" type="xs:string"/>
            <xs:element name="documentId" type="xs:string"/>
            <xs:element name="from" type="xs:string"/>
            <xs:element name="sha256" type="xs:string"/>
            <xs:element name="size" type="xs:long"/>
            <xs:element name="subject" type="xs:string" minOccurs="0"/>
            <xs:element name="acceptedAt" type="xs:dateTime" minOccurs="0"/>
            <xs:element name="recipient" type="tns:RecipientTimeline" minOccurs="0" maxOccurs="unbounded"/>
          </xs:sequence>
        </xs:complexType>
      </xs:element>

      <xs:element name="error">
        <xs:annotation><xs:documentation>The Fault detail: code is the stable catalogue code (docs/errors.md), status the HTTP status REST answers with.</xs:documentation></xs:annotation>
        <xs:complexType>
          <xs:sequence>
            <xs:element name="code" type="xs:string"/>
            <xs:element name="status" type="xs:int"/>
            <xs:element name="title" type="xs:string"/>
            <xs:element name="detail" type="xs:string"/>
          </xs:sequence>
        </xs:complexType>
      </xs:element>`

function binding(version: '11' | '12'): string {
  const p = version === '11' ? 'soap' : 'soap12'
  const ops = OPERATIONS.map(
    (op) => `
    <wsdl:operation name="${op}">
      <${p}:operation soapAction="${soapActionOf(op)}" style="document"/>
      <wsdl:input><${p}:body use="literal"/></wsdl:input>
      <wsdl:output><${p}:body use="literal"/></wsdl:output>
      <wsdl:fault name="error"><${p}:fault name="error" use="literal"/></wsdl:fault>
    </wsdl:operation>`,
  ).join('')
  return `
  <wsdl:binding name="LienThongSoap${version}" type="tns:LienThongPortType">
    <${p}:binding transport="http://schemas.xmlsoap.org/soap/http" style="document"/>${ops}
  </wsdl:binding>`
}

export function wsdl(location: string): string {
  const messages = OPERATIONS.map(
    (op) => `
  <wsdl:message name="${op}Request"><wsdl:part name="parameters" element="tns:${op}"/></wsdl:message>
  <wsdl:message name="${op}Response"><wsdl:part name="parameters" element="tns:${op}Response"/></wsdl:message>`,
  ).join('')
  const portOps = OPERATIONS.map(
    (op) => `
    <wsdl:operation name="${op}">
      <wsdl:documentation>${escapeText(DOCS[op])}</wsdl:documentation>
      <wsdl:input message="tns:${op}Request"/>
      <wsdl:output message="tns:${op}Response"/>
      <wsdl:fault name="error" message="tns:Fault"/>
    </wsdl:operation>`,
  ).join('')
  const loc = escapeAttr(location)
  return `<?xml version="1.0" encoding="UTF-8"?>
<wsdl:definitions name="LienThong" targetNamespace="${SOAP_TNS}"
    xmlns:wsdl="http://schemas.xmlsoap.org/wsdl/"
    xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/"
    xmlns:soap12="http://schemas.xmlsoap.org/wsdl/soap12/"
    xmlns:xs="http://www.w3.org/2001/XMLSchema"
    xmlns:tns="${SOAP_TNS}">
  <wsdl:documentation>Liên thông gateway, SOAP surface: the same operations, rules and error codes as the REST API (one pipeline behind both). Authentication: HTTP header Authorization: Bearer &lt;API key&gt;. Packages travel as base64Binary so their signed bytes survive any SOAP stack. Faults: HTTP 500 with the catalogue code in detail/tns:error/tns:code (SOAP 1.1 and 1.2).</wsdl:documentation>
  <wsdl:types>
    <xs:schema targetNamespace="${SOAP_TNS}" elementFormDefault="qualified">${TYPES}
    </xs:schema>
  </wsdl:types>${messages}
  <wsdl:message name="Fault"><wsdl:part name="fault" element="tns:error"/></wsdl:message>
  <wsdl:portType name="LienThongPortType">${portOps}
  </wsdl:portType>${binding('12')}${binding('11')}
  <wsdl:service name="LienThong">
    <wsdl:port name="LienThongSoap12" binding="tns:LienThongSoap12"><soap12:address location="${loc}"/></wsdl:port>
    <wsdl:port name="LienThongSoap11" binding="tns:LienThongSoap11"><soap:address location="${loc}"/></wsdl:port>
  </wsdl:service>
</wsdl:definitions>
`
}
