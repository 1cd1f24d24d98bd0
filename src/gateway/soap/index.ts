/**
 * SOAP surface at /soap: SOAP 1.1 (text/xml + SOAPAction) and SOAP 1.2 (application/soap+xml; action=…),
 * document/literal, WSDL at GET /soap?wsdl. Hand-written envelope handling (src/gateway/soap/envelope.ts),
 * the same pipeline functions as REST (src/gateway/soap/operations.ts). Authentication is the REST one
 * (`Authorization: Bearer <API key>`, checked before the body is read). Every failure is a SOAP Fault, HTTP 500, with the catalogue code in
 * detail/error/code.
 */
import type { AddressInfo } from 'node:net'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { GatewayError } from '../../errors.ts'
import type { Runtime } from '../../runtime.ts'
import { principalOf } from '../auth.ts'
import { publicUrlOf } from '../../config/config.ts'
import { toGatewayError } from '../problem.ts'
import { contentTypeOf, faultEnvelope, readSoapRequest, responseEnvelope, SoapProtocolError, type SoapVersion } from './envelope.ts'
import { HANDLERS } from './operations.ts'
import { OPERATIONS, SOAP_TNS, soapActionOf, wsdl, type Operation } from './wsdl.ts'

/** The version the HTTP request claims (Content-Type), used for faults raised before the envelope is read. */
const claimedVersion = (req: FastifyRequest): SoapVersion => (/^\s*application\/soap\+xml/i.test(req.headers['content-type'] ?? '') ? '1.2' : '1.1')

/** The action the request names: SOAPAction (1.1) or the action parameter of Content-Type (1.2). */
function requestedAction(req: FastifyRequest, v: SoapVersion): string | undefined {
  if (v === '1.1') {
    const h = req.headers.soapaction
    const a = (Array.isArray(h) ? h[0] : h)?.trim().replace(/^"(.*)"$/, '$1')
    return a || undefined
  }
  const m = /;\s*action\s*=\s*(?:"([^"]*)"|([^;\s]+))/i.exec(req.headers['content-type'] ?? '')
  return (m?.[1] ?? m?.[2]) || undefined
}

export async function soapRoutes(app: FastifyInstance, rt: Runtime) {
  app.addContentTypeParser(['application/soap+xml'], { parseAs: 'buffer' }, (_req, body, done) => done(null, body))

  // everything that goes wrong on /soap is a Fault, HTTP 500 (SOAP 1.1 §6.2; the same for 1.2)
  app.setErrorHandler((err, req, reply) => {
    const v = (req as FastifyRequest & { soapVersion?: SoapVersion }).soapVersion ?? claimedVersion(req)
    const e = err instanceof SoapProtocolError ? err : toGatewayError(err)
    if (e instanceof GatewayError && e.status >= 500) req.log.error({ err }, 'SOAP request failed')
    else req.log.info({ code: e instanceof GatewayError ? e.code : e.faultCode, detail: e.message }, 'SOAP request refused')
    return reply.code(500).type(contentTypeOf(v)).send(faultEnvelope(v, e))
  })

  // the address clients will call comes from configuration, never from the request (a Host header is the
  // caller's to choose, and a cached WSDL would send everyone to it)
  app.get('/soap', { config: { auth: 'none' }, schema: { hide: true } }, async (_req, reply) => {
    const listening = (app.server.address() as AddressInfo | null)?.port
    return reply.type('text/xml; charset=utf-8').send(wsdl(`${publicUrlOf(rt.config, listening)}/soap`))
  })

  // auth 'client': the key is checked in onRequest, before a byte of the envelope is read (a failure there
  // still reaches the Fault handler above, which covers this route)
  app.post('/soap', { config: { auth: 'client' }, schema: { hide: true } }, async (req, reply) => {
    const claimed = claimedVersion(req)
    ;(req as FastifyRequest & { soapVersion?: SoapVersion }).soapVersion = claimed
    if (!Buffer.isBuffer(req.body)) throw new GatewayError('UNSUPPORTED_MEDIA_TYPE', 'send a SOAP 1.1 (text/xml) or SOAP 1.2 (application/soap+xml) envelope')
    const soap = readSoapRequest(req.body, { maxBytes: rt.config.bodyLimit, maxDepth: rt.config.maxXmlDepth })
    try {
      if (soap.version !== claimed) {
        // answered in the version the Content-Type claims
        throw new SoapProtocolError('VersionMismatch', `a SOAP ${soap.version} envelope sent as ${req.headers['content-type'] ?? 'no Content-Type'}`)
      }
      const op = soap.operation
      const name = op.name as Operation
      if (op.namespaceUri !== SOAP_TNS || !OPERATIONS.includes(name)) {
        throw new GatewayError('BAD_REQUEST', `unknown operation {${op.namespaceUri}}${op.name}; the operations are ${OPERATIONS.join(', ')} in ${SOAP_TNS}`)
      }
      const action = requestedAction(req, soap.version)
      if (action !== undefined && action !== soapActionOf(name) && action !== name) {
        throw new GatewayError('BAD_REQUEST', `the action ${action} does not match the Body operation ${name} (${soapActionOf(name)})`)
      }
      const who = principalOf(req)
      const fields = await HANDLERS[name](rt, who, op)
      if (name === 'SendDocument' && fields.replayed === true) reply.header('idempotent-replayed', 'true')
      return reply.type(contentTypeOf(soap.version)).send(responseEnvelope(soap.version, name, fields))
    } finally {
      soap.dispose()
    }
  })
}
