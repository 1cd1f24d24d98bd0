/** POST /v1/receipts/verify: anyone holding a gateway receipt can check it was signed by this gateway. */
import type { FastifyInstance } from 'fastify'
import { GatewayError } from '../errors.ts'
import type { Runtime } from '../runtime.ts'
import type { SignedReceipt } from '../signing/jws.ts'
import { signedReceiptSchema, verdictSchema } from '../signing/openapi.ts'

export async function receiptRoutes(app: FastifyInstance, rt: Runtime) {
  app.post<{ Body: SignedReceipt }>(
    '/v1/receipts/verify',
    {
      config: { auth: 'client' },
      schema: {
        tags: ['receipts'],
        summary: "Check a gateway-signed receipt (the 202's per-recipient receipt or a timeline event's)",
        body: { ...signedReceiptSchema, type: 'object', required: ['documentId', 'sha256', 'recipient', 'status', 'time', 'signature'] },
        security: [{ apiKey: [] }],
        response: { 200: { type: 'object', properties: { valid: { type: 'boolean' }, receipt: signedReceiptSchema, verdict: verdictSchema } }, '4xx': { $ref: 'Problem#' } },
      },
    },
    async (req) => {
      if (!rt.signing.gatewayFingerprint) throw new GatewayError('NOT_FOUND', 'this gateway has no receipt-signing key')
      const { receipt, ...verdict } = await rt.signing.verifyReceipt(req.body)
      return { valid: true, receipt, verdict }
    },
  )
}
