/** OpenAPI (JSON Schema) shapes of what the signing module puts in API answers. */
/** A gateway-signed receipt: a detached JWS over (documentId, sha256, recipient, status, time). */
export const signedReceiptSchema = {
  type: ['object', 'null'],
  description:
    'Gateway signature (detached compact JWS, x5c) over the canonical JSON of documentId, recipient, sha256, status, time. Check it with POST /v1/receipts/verify or `lgsp verify-receipt`.',
  properties: {
    documentId: { type: 'string' },
    sha256: { type: 'string' },
    recipient: { type: 'string' },
    status: { type: 'string' },
    time: { type: 'string' },
    signature: { type: 'string' },
  },
} as const

/** The signature verdict recorded with a document. */
export const verdictSchema = {
  type: 'object',
  properties: {
    signed: { type: 'boolean' },
    signer: { type: 'object', properties: { subject: { type: 'string' }, fingerprint256: { type: 'string' }, issuer: { type: 'string' } } },
    algorithm: { type: 'string' },
    chain: { type: 'array', items: { type: 'string' } },
    from: { type: 'string' },
    verifiedAt: { type: 'string' },
  },
} as const
