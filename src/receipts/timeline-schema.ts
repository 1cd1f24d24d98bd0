import { signedReceiptSchema } from '../signing/openapi.ts'
/** The JSON Schema of one timeline event as the status views show it (labels from src/receipts/status-model.ts). */
export const labelledEventSchema = {
  type: 'object',
  properties: {
    status: { type: 'string', description: 'gateway delivery state (ACCEPTED, ROUTED, FORWARDED, DELIVERED, DELIVERY_FAILED, EXPIRED) or edXML status code (01–06, 13, 15, 16)' },
    kind: { type: 'string', enum: ['gateway', 'business'] },
    label: { type: ['string', 'null'], description: 'Vietnamese label, e.g. "Đang xử lý" for 05' },
    at: { type: 'string' },
    outOfOrder: { type: 'boolean', description: 'true when the status arrived out of the normal order; recorded, but not the current status' },
    detail: { type: 'object', additionalProperties: true },
    receipt: signedReceiptSchema,
  },
} as const
