/**
 * SOAP push adapter (directory endpoint `soap:<url>`): a SOAP 1.1 envelope whose body carries the package
 * base64-encoded, so the signed bytes cross any SOAP stack untouched.
 *
 *   POST <url>  Content-Type: text/xml; charset=utf-8   SOAPAction: "urn:lgsp:delivery:1#ReceiveDocument"
 *   <soap:Envelope><soap:Body><d:ReceiveDocument xmlns:d="urn:lgsp:delivery:1">
 *     <d:DeliveryId/> <d:DocumentId/> <d:From/> <d:To/> <d:ContentType/> <d:Sha256/> <d:Package>base64</d:Package>
 *   </d:ReceiveDocument></soap:Body></soap:Envelope>
 *
 * The same idempotency and HMAC headers as HTTP push (http-push.ts; the signature covers the package's
 * SHA-256, which the receiver recomputes after base64-decoding). 2xx = arrived. A Fault whose faultcode is
 * Client (the receiver refuses this document) is permanent; a Server fault (HTTP 500, SOAP 1.1 §6.2) is
 * retried; any other answer is judged as an HTTP push's is (httpOutcome, src/delivery/contract.ts).
 */
import { PermanentDeliveryError, type DeliveryAdapter } from './adapter.ts'
import { boundedPost, deliveryIdOf, judge, packageOf, pushHeaders } from './http-push.ts'
import { alreadyDelivered, markDelivered } from '../delivery/contract.ts'

export const SOAP_ACTION = 'urn:lgsp:delivery:1#ReceiveDocument'

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')

export function soapEnvelope(f: { deliveryId: string; documentId: string; from: string; to: string; contentType: string; sha256: string; bytes: Buffer }): string {
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>' +
    '<d:ReceiveDocument xmlns:d="urn:lgsp:delivery:1">' +
    `<d:DeliveryId>${esc(f.deliveryId)}</d:DeliveryId><d:DocumentId>${esc(f.documentId)}</d:DocumentId>` +
    `<d:From>${esc(f.from)}</d:From><d:To>${esc(f.to)}</d:To><d:ContentType>${esc(f.contentType)}</d:ContentType>` +
    `<d:Sha256>${f.sha256}</d:Sha256><d:Package>${f.bytes.toString('base64')}</d:Package>` +
    '</d:ReceiveDocument></soap:Body></soap:Envelope>'
  )
}

export const soapPushAdapter: DeliveryAdapter = {
  kind: 'soap',
  async deliver(rt, record, agency, ctx) {
    if (!agency || agency.endpoint.kind !== 'soap') throw new PermanentDeliveryError(`${record.recipient} has no SOAP endpoint`)
    if (await alreadyDelivered(rt, record)) return { fresh: false, arrived: true }
    const url = agency.endpoint.url
    const pkg = await packageOf(rt, record)
    const envelope = soapEnvelope({
      deliveryId: deliveryIdOf(record),
      documentId: record.documentId,
      from: record.from,
      to: record.recipient,
      contentType: pkg.contentType,
      sha256: record.sha256,
      bytes: pkg.bytes,
    })
    const res = await boundedPost(
      rt,
      url,
      envelope,
      {
        'content-type': 'text/xml; charset=utf-8',
        soapaction: `"${SOAP_ACTION}"`,
        ...pushHeaders(rt, record, ctx, record.sha256),
      },
      ctx.timeoutMs,
    )
    const faultCode = /<(?:\w+:)?faultcode>\s*(?:\w+:)?(\w+)/.exec(res.body)?.[1]
    if (faultCode === 'Client') throw new PermanentDeliveryError(`SOAP ${url}: Client fault: ${res.body.replace(/\s+/g, ' ').slice(0, 200)}`)
    judge(url, res)
    await markDelivered(rt, record, { adapter: 'soap', url, httpStatus: res.status, attempt: ctx.attempt })
    return { fresh: true, arrived: true }
  },
}
