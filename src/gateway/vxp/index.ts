/**
 * The national axis' own protocol at /vxp (VXP-WIRE.md), so a QLVB built on the VNPT SDK connects by setting
 * `service.endpoint=http://<gateway>/vxp`. `POST /vxp/<operation>`, parameters in signed XroadVnpt-*
 * headers (./auth.ts, checked in onRequest, before the body is read), answers in the JSON the SDK parses
 * with Gson. Registered under the /vxp prefix so its body parsers, error and not-found handlers are its own.
 *
 * Every answer — refusals included — is JSON with `status` "OK" | "FAIL", `ErrorCode` ("0", or the
 * catalogue code) and `ErrorDesc`, sent with HTTP 200: the SDK's multipart upload (2.0.0, MultipartUtility
 * over HttpURLConnection) throws on any other status before reading the body, and a non-JSON or unread
 * answer surfaces in the client as a Gson exception instead of the reason (VXP-WIRE.md §Answers).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { ERRORS, GatewayError } from '../../errors.ts'
import type { Runtime } from '../../runtime.ts'
import { toGatewayError } from '../problem.ts'
import { authenticateVxp, type VxpCaller } from './auth.ts'
import * as exchange from './exchange.ts'
import * as agencies from './agencies.ts'
import type { Answer, VxpRequest } from './exchange.ts'

type Operation = (rt: Runtime, r: VxpRequest) => Promise<Answer>

export const VXP_OPERATIONS: Readonly<Record<string, Operation>> = {
  sendEdoc: exchange.sendEdoc,
  getReceivedEdocList: exchange.getReceivedEdocList,
  getEdoc: exchange.getEdoc,
  updateStatus: exchange.updateStatus,
  getSentEdocList: exchange.getSentEdocList,
  countReceiveEdoc: exchange.countReceiveEdoc,
  countReceiveStatus: exchange.countReceiveStatus,
  getAgenciesList: agencies.getAgenciesList,
  getAgenciesListQD20: agencies.getAgenciesListQD20,
  getSynchronizeUnit: agencies.getSynchronizeUnit,
  registerAgency: agencies.registerAgency,
  deleteAgency: agencies.deleteAgency,
}

declare module 'fastify' {
  interface FastifyRequest {
    vxp?: VxpCaller
  }
}

/** The FAIL answer of a refusal: the catalogue code and the human reason (never a stack or a secret). */
export function failAnswer(e: GatewayError): Answer {
  return { status: 'FAIL', ErrorCode: e.code, ErrorDesc: e.status >= 500 ? ERRORS[e.code].title : e.message }
}

function vxpRequest(req: FastifyRequest): VxpRequest {
  if (!req.vxp) throw new GatewayError('UNAUTHENTICATED')
  const ct = req.headers['content-type']
  return { caller: req.vxp, body: Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0), contentType: Array.isArray(ct) ? ct[0] : ct }
}

export async function vxpRoutes(app: FastifyInstance, rt: Runtime) {
  // the SDK sends JSON, octet-stream, multipart and empty bodies, sometimes with a Content-Type that does not
  // match (application/json with Content-Length 0): every body is read as bytes, and only where it is used
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body))

  app.setErrorHandler((err, req, reply) => {
    const e = toGatewayError(err)
    if (e.status >= 500) req.log.error({ err }, 'VXP request failed')
    else req.log.info({ code: e.code, detail: e.message, system: req.vxp?.system.systemId }, 'VXP request refused')
    return reply.code(200).type('application/json; charset=utf-8').send(failAnswer(e))
  })
  app.setNotFoundHandler((req, reply) =>
    reply
      .code(200)
      .type('application/json; charset=utf-8')
      .send(
        failAnswer(
          new GatewayError('NOT_FOUND', `no VXP operation ${req.method} ${req.url.split('?')[0]}; POST one of ${[...Object.keys(VXP_OPERATIONS), 'downloadEdoc'].join(', ')}`),
        ),
      ),
  )

  app.addHook('onRequest', async (req) => {
    req.vxp = await authenticateVxp(rt, req.headers)
  })

  const route = { config: { auth: 'none' as const }, schema: { hide: true } }
  for (const [name, op] of Object.entries(VXP_OPERATIONS)) {
    app.post(`/${name}`, route, async (req, reply) => reply.type('application/json; charset=utf-8').send(await op(rt, vxpRequest(req))))
  }
  // the SDK's download() GETs the URL and writes the answer's bytes to <docId>.edxml as they come
  app.route({
    method: ['GET', 'POST'],
    url: '/downloadEdoc',
    ...route,
    handler: async (req, reply) => {
      const { docId, bytes } = await exchange.receivedBytes(rt, vxpRequest(req))
      return reply.type('application/octet-stream').header('content-disposition', `attachment; filename="${docId}.edxml"`).send(bytes)
    },
  })
}
