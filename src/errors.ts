/**
 * The one error catalogue. Every failure the gateway can report has a stable code here, with its
 * HTTP status and a short title. REST answers RFC 9457 problem+json built from it; SOAP Faults carry the
 * same code in their detail. docs/errors.md explains each code (what it means, how to fix it) and
 * test/unit/errors-doc.test.ts fails when the two drift apart.
 */
export const ERRORS = {
  // authentication / authorization
  UNAUTHENTICATED: { status: 401, title: 'Missing or unknown API key' },
  FORBIDDEN: { status: 403, title: 'This key may not use this endpoint' },
  SENDER_NOT_ALLOWED: { status: 403, title: 'The caller may not act for the sending agency' },
  STATUS_NOT_ALLOWED: { status: 403, title: 'The caller may not send this status for this document' },
  STATUS_OUT_OF_ORDER: { status: 409, title: "The status does not fit the document's edXML lifecycle" },
  // transport and parsing
  UNSUPPORTED_MEDIA_TYPE: { status: 415, title: 'Unsupported Content-Type' },
  PAYLOAD_TOO_LARGE: { status: 413, title: 'The body is larger than the configured limit' },
  INSUFFICIENT_STORAGE: { status: 507, title: 'The gateway has not enough disk space for this package now; nothing was accepted' },
  NOT_CONVERTIBLE: { status: 406, title: 'This package is too large to carry this way; fetch it as sent, streamed' },
  XML_MALFORMED: { status: 400, title: 'The body is not well-formed XML' },
  XML_FORBIDDEN_CONSTRUCT: { status: 400, title: 'DOCTYPE, entity declarations and processing tricks are refused' },
  XML_TOO_DEEP: { status: 400, title: 'The XML nesting is deeper than allowed' },
  EDXML_SCHEMA_INVALID: { status: 422, title: 'The package does not conform to the QCVN 102:2016 edXML schema' },
  BAD_REQUEST: { status: 400, title: 'The request is malformed' },
  FIELD_TOO_LONG: { status: 422, title: 'An identifier or text field is longer than the gateway stores' },
  REQUEST_TIMEOUT: { status: 408, title: 'The request body did not arrive in time' },
  RATE_LIMITED: { status: 429, title: 'Too many requests from this client; retry after the indicated delay' },
  // signatures and trust
  SIGNATURE_REQUIRED: { status: 422, title: 'The package carries no signature and this deployment requires one' },
  SIGNATURE_INVALID: { status: 422, title: 'The signature does not verify' },
  SIGNATURE_PROFILE_VIOLATION: { status: 422, title: 'The signature does not follow the accepted XML-DSig profile' },
  SIGNATURE_ALGORITHM_REFUSED: { status: 422, title: 'The signature uses an algorithm this deployment refuses' },
  CERT_UNTRUSTED: { status: 422, title: 'The signing certificate does not chain to a trusted root' },
  CERT_EXPIRED: { status: 422, title: 'The signing certificate (or one in its chain) is outside its validity period' },
  CERT_REVOKED: { status: 422, title: 'The signing certificate (or one in its chain) is revoked' },
  CERT_REVOCATION_UNKNOWN: { status: 422, title: 'No current CRL covers the signing certificate (or one in its chain) and this deployment requires one' },
  SIGNER_NOT_SENDER: { status: 422, title: 'The signer is not bound to the sending agency' },
  // routing and documents
  UNKNOWN_RECIPIENT: { status: 422, title: 'A recipient is not in the directory' },
  INVALID_AGENCY_CODE: { status: 422, title: 'An agency code is not of the form CCC.BB.AA.XNN' },
  DUPLICATE_DOCUMENT: { status: 409, title: 'This DocumentId was already sent by this agency with different content' },
  DOCUMENT_NOT_FOUND: { status: 404, title: 'No such document for this caller' },
  NOT_FOUND: { status: 404, title: 'No such resource' },
  UNKNOWN_GATEWAY: { status: 422, title: 'The directory entry names a gateway this gateway has no peer credentials for' },
  // the 2025 reorganisation: closed agencies and their successors
  AGENCY_CLOSED: { status: 422, title: 'A recipient is a closed agency; address its successor' },
  SENDER_CLOSED: { status: 422, title: 'The sending agency is closed and its grace period is over; send as its successor' },
  SUCCESSION_CONFLICT: { status: 422, title: 'The change table has conflicting rows; nothing was applied' },
  // webhooks
  WEBHOOK_NOT_FOUND: { status: 404, title: 'No such webhook subscription or delivery for this caller' },
  WEBHOOK_URL_REFUSED: { status: 422, title: 'The webhook URL is not allowed (scheme, credentials, or a private/loopback/metadata address)' },
  // operators
  DLQ_ITEM_NOT_FOUND: { status: 404, title: 'No such item in the delivery dead-letter queue' },
  DLQ_ITEM_RESOLVED: { status: 409, title: 'This dead-letter item was already replayed or discarded' },
  // the national axis' protocol at /vxp (VXP-WIRE.md)
  VXP_SIGNATURE_INVALID: { status: 401, title: 'The XroadVnpt signed headers are missing, altered or do not verify with the system secret' },
  VXP_TIMESTAMP_REFUSED: { status: 401, title: 'XroadVnpt-timestamp is missing, malformed or outside the freshness window' },
  VXP_REPLAYED: { status: 401, title: 'This exact signed request was already received' },
  VXP_HASH_FILE_MISMATCH: { status: 400, title: 'XroadVnpt-hash-file does not match the SHA-256 of the file sent' },
  VXP_SYSTEM_EXISTS: { status: 409, title: 'A VXP system with this system id already exists' },
  // availability
  BUS_UNAVAILABLE: { status: 503, title: 'Kafka did not confirm the write; nothing was accepted' },
  PAYLOAD_INTEGRITY: { status: 500, title: 'A stored payload no longer matches its SHA-256 and is not served' },
  STORE_UNAVAILABLE: { status: 503, title: 'The ledger store is unavailable; nothing was accepted' },
  INTERNAL: { status: 500, title: 'Internal error' },
} as const satisfies Record<string, { status: number; title: string }>

export type ErrorCode = keyof typeof ERRORS

export interface ErrorItem {
  path?: string
  line?: number
  message: string
}

/** A failure with a catalogue code. `detail` is for the human; `errors` lists individual findings. */
export class GatewayError extends Error {
  readonly code: ErrorCode
  readonly status: number
  readonly errors?: ErrorItem[]
  readonly extra?: Record<string, unknown>
  /** for 429/503: when to come back (seconds; the Retry-After header) */
  readonly retryAfterS?: number

  constructor(code: ErrorCode, detail?: string, opts: { errors?: ErrorItem[]; extra?: Record<string, unknown>; cause?: unknown; retryAfterS?: number } = {}) {
    super(detail ?? ERRORS[code].title, opts.cause === undefined ? undefined : { cause: opts.cause })
    this.name = 'GatewayError'
    this.code = code
    this.status = ERRORS[code].status
    this.errors = opts.errors
    this.extra = opts.extra
    this.retryAfterS = opts.retryAfterS
  }
}

export const isGatewayError = (e: unknown): e is GatewayError => e instanceof GatewayError
