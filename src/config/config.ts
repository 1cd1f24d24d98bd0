/**
 * Configuration: read once from environment variables, checked against one table, all problems reported
 * together, returned as one frozen object. Every variable is documented here and in the README.
 */
import path from 'node:path'
import type { SpanExporter } from '@opentelemetry/sdk-trace-base'
import { retype } from '../schemas/retype.ts'

export interface Config {
  host: string
  port: number
  /** the base URL clients reach this gateway at (WSDL address); empty = http://HOST:PORT */
  publicUrl: string
  logLevel: string
  /** PostgreSQL connection string; empty = embedded PGlite under dataDir/pglite */
  databaseUrl: string
  /** schema for all tables (tests use one schema each) */
  databaseSchema: string
  dataDir: string
  blobDir: string
  /** where payloads live: 'fs' (blobDir) or 's3' (an S3-compatible object store) */
  blobStore: 'fs' | 's3'
  /** payloads up to this many bytes live in the database beside their ledger rows; 0 = all in blobStore */
  smallPayloadBytes: number
  s3Endpoint: string
  s3Bucket: string
  s3Region: string
  s3AccessKeyId: string
  s3SecretAccessKey: string
  s3ForcePathStyle: boolean
  s3Prefix: string
  kafkaBrokers: string[]
  /** prefix of every topic name and consumer group, so several gateways can share one cluster */
  topicPrefix: string
  kafkaPartitions: number
  /** replication factor of created topics; 0 = as many brokers as the cluster has, at most 3 */
  kafkaReplication: number
  /** longest wait for Kafka to confirm a write before the caller hears 503 BUS_UNAVAILABLE (ms) */
  kafkaProduceTimeoutMs: number
  /** consumer group session timeout (ms): how long a crashed process holds its partitions */
  kafkaSessionTimeoutMs: number
  /** how long a consumer group's coordinator waits for its members to rejoin when membership changes (ms) */
  kafkaRebalanceTimeoutMs: number
  kafkaCommitIntervalMs: number
  /** longest a SIGTERM/SIGINT shutdown may take before the process exits anyway (ms) */
  shutdownTimeoutMs: number
  /** largest accepted request body in bytes (an edXML package on POST /v1/documents: beyond its attachments' Base64) */
  bodyLimit: number
  /** largest edXML package POST /v1/documents accepts, streamed to the payload store */
  maxPackageBytes: number
  /** packages larger than this are streamed to disk as they arrive instead of held in memory */
  streamThresholdBytes: number
  /** a streamed package is refused (507) when the payload disk would keep less than this free */
  minFreeDiskBytes: number
  /** a request body must arrive completely within this many ms of the request's start (slow senders) */
  requestTimeoutMs: number
  /** requests one API key may have in flight at once (per gateway process); 429 beyond */
  clientMaxConcurrency: number
  /** requests one API key may start per minute (per gateway process); 0 = no rate limit */
  clientRatePerMinute: number
  maxXmlDepth: number
  /** short name of this gateway instance, used in receipts and logs */
  gatewayId: string
  /** OrganId patterns this gateway owns, e.g. ["*.H41"] */
  jurisdiction: string[]
  /** URL of the parent (central) gateway for recipients outside the jurisdiction; empty = none */
  parentGatewayUrl: string
  // --- signatures ---
  /** 'required': unsigned packages are refused; 'optional': legacy senders may send unsigned packages */
  signaturePolicy: 'required' | 'optional'
  /** accept rsa-sha1 / sha1 digests (the national samples still use them) */
  signatureAllowSha1: boolean
  /** trust store directory: roots/, intermediates/, agencies/, crl/, crl-urls.txt (default DATA_DIR/pki) */
  trustDir: string
  /** the gateway's signing key and certificate for receipts (default TRUST_DIR/gateway/gateway.{key,pem}) */
  gatewayKeyFile: string
  gatewayCertFile: string
  // --- delivery, retries and federation ---
  /** peer gateways: each link has one pre-shared key, used both ways (src/adapters/upstream.ts) */
  peers: Peer[]
  /** timeout of one push / forward attempt, connect to last byte */
  deliveryTimeoutMs: number
  /** first retry delay; doubles per attempt (full jitter) up to retryMaxMs */
  retryBaseMs: number
  retryMaxMs: number
  /** attempts before the DLQ (the first attempt included) */
  deliveryMaxAttempts: number
  /** age of the first failed attempt after which the record goes to the DLQ */
  deliveryMaxAgeMs: number
  /** consecutive failures that open an endpoint's circuit breaker, and how long it stays open */
  breakerThreshold: number
  breakerCooldownMs: number
  /** how often the retry worker looks for due redeliveries */
  retryPollMs: number
  /** HMAC-SHA256 key for push deliveries; empty = generated once into DATA_DIR/push-hmac.key */
  pushHmacKey: string
  /** webhooks may target loopback/private addresses (tests, the `npm start` demo); never cloud metadata */
  webhookAllowPrivate: boolean
  /** hosts (or host:port) that push, SOAP push and upstream targets may reach on loopback/private addresses */
  outboundAllowPrivate: string[]
  /** one webhook attempt: connect + answer, in ms */
  webhookTimeoutMs: number
  /** first retry delay; doubles per attempt (with jitter) up to webhookRetryMaxDelayMs */
  webhookRetryBaseMs: number
  webhookRetryMaxDelayMs: number
  /** after this long without success a webhook delivery is dead-lettered */
  webhookRetryHorizonMs: number
  /** webhook requests in flight at once, per gateway process */
  webhookConcurrency: number
  /** what happens to a status that does not fit the lifecycle: see STATUS_ORDER_POLICY */
  statusOrderPolicy: 'flag' | 'refuse-impossible' | 'refuse'
  /** /metrics requires an operator key */
  metricsAuth: boolean
  // --- operators ---
  /** how long consumer lag and the ledger gauges read for /metrics and /v1/ops/queues are reused */
  opsCacheMs: number
  /** how often the console's history (src/ops/history.ts) samples the gauges and recounts recent minutes */
  opsHistorySampleMs: number
  /** OTLP/HTTP collector base URL for traces (src/tracing); empty = tracing off */
  otelExporterOtlpEndpoint: string
  // --- the national axis' protocol at /vxp (VXP-WIRE.md) ---
  /** how far (ms) an XroadVnpt-timestamp may be from the gateway's clock, either way */
  vxpClockSkewMs: number
  /** UTC offset of the clients' local time, which XroadVnpt-timestamp is written in (no zone on the wire) */
  vxpTimestampOffset: string
  /** key (any string; SHA-256 makes the AES-256 key) encrypting VXP system secrets at rest; empty = DATA_DIR/vxp-secret.key */
  vxpSecretKey: string
  /** how often statuses are collected from each VXP peer (getReceivedEdocList messagetype=status) */
  vxpPollMs: number
  // --- the 2025 reorganisation: closed agencies and their successors (docs/reorganisation.md) ---
  /** a document to a closed agency: 'redirect' to its successor, or 'refuse' with AGENCY_CLOSED naming it */
  closedRecipientPolicy: 'redirect' | 'refuse'
  /** days after a closure's effective date during which a closed From is still accepted (and flagged) */
  closedSenderGraceDays: number
  /** unread inbox items of a closed agency: 'move' (its successor reads them) or 'stay' */
  closedInboxPolicy: 'move' | 'stay'
  /** not an environment variable: a span exporter handed in by code (tests pass an in-memory one) */
  traceExporter?: SpanExporter
}

/** A peer gateway: `url` is its base URL (and its identity), `key` the pre-shared API key of the link,
 *  `jurisdiction` the From codes it may forward to us (a province gateway: ["*.H41"]; the central: ["*"]). */
export interface Peer {
  url: string
  key: string
  jurisdiction: string[]
  id?: string
  /** 'lgsp' (default): this gateway's own federation API; 'vxp': a national axis speaking VXP-WIRE.md at `url`
   *  (e.g. http://axis/vxp), called with `systemId` + `secret` (the link then needs no `key`) */
  protocol?: 'lgsp' | 'vxp'
  systemId?: string
  secret?: string
}

type Spec = { env: string; def: string; doc: string; parse: (v: string) => unknown }

const str = (v: string) => v
const int = (min: number, max: number) => (v: string) => {
  const n = Number(v)
  if (!Number.isInteger(n) || n < min || n > max) throw new Error(`must be an integer in [${min}, ${max}]`)
  return n
}
const bool = (v: string) => {
  if (!['true', 'false', '1', '0'].includes(v)) throw new Error('must be true or false')
  return v === 'true' || v === '1'
}
const list = (v: string) =>
  v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)

/** settings only code can give (loadConfig overrides); never read from the environment */
type CodeOnly = 'traceExporter'

export const CONFIG_SPEC: Record<Exclude<keyof Config, CodeOnly>, Spec> = {
  host: { env: 'HOST', def: '127.0.0.1', doc: 'address to listen on', parse: str },
  port: { env: 'PORT', def: '8080', doc: 'HTTP port (0 = any free port)', parse: int(0, 65535) },
  publicUrl: {
    env: 'PUBLIC_URL',
    def: '',
    doc: 'base URL clients reach this gateway at, e.g. https://lgsp.example.gov.vn (the WSDL address); empty = http://HOST:PORT',
    parse: (v) => {
      if (v && !/^https?:\/\/[^/?#\s]+(\/[^?#\s]*)?$/.test(v)) throw new Error('must be an http(s) base URL without query or fragment')
      return v.replace(/\/+$/, '')
    },
  },
  logLevel: {
    env: 'LOG_LEVEL',
    def: 'info',
    doc: 'pino level: fatal|error|warn|info|debug|trace|silent',
    parse: (v) => {
      if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(v)) throw new Error('unknown level')
      return v
    },
  },
  databaseUrl: { env: 'DATABASE_URL', def: '', doc: 'PostgreSQL URL; unset = embedded PGlite under DATA_DIR', parse: str },
  databaseSchema: {
    env: 'DATABASE_SCHEMA',
    def: 'public',
    doc: 'schema holding the tables',
    parse: (v) => {
      if (!/^[a-z_][a-z0-9_]{0,62}$/.test(v)) throw new Error('must be a lower-case SQL identifier')
      return v
    },
  },
  dataDir: { env: 'DATA_DIR', def: '.data', doc: 'directory for PGlite, blobs, demo PKI and credentials', parse: (v) => path.resolve(v) },
  blobDir: { env: 'BLOB_DIR', def: '', doc: 'payload blob store directory (default DATA_DIR/blobs)', parse: str },
  smallPayloadBytes: {
    env: 'SMALL_PAYLOAD_BYTES',
    def: '65536',
    doc: 'payloads (documents, status packages) up to this many bytes are kept in the database beside their ledger rows — one WAL flush instead of file and directory fsyncs; larger ones in BLOB_STORE; 0 = all in BLOB_STORE',
    parse: int(0, 16 * 1024 * 1024),
  },
  blobStore: {
    env: 'BLOB_STORE',
    def: 'fs',
    doc: 'payload store: fs (BLOB_DIR) or s3 (an S3-compatible object store, S3_*)',
    parse: (v) => {
      if (v !== 'fs' && v !== 's3') throw new Error('must be fs or s3')
      return v
    },
  },
  s3Endpoint: {
    env: 'S3_ENDPOINT',
    def: '',
    doc: 'object store URL, e.g. http://127.0.0.1:9000 (empty = the AWS endpoint of S3_REGION)',
    parse: (v) => {
      if (v && !/^https?:\/\//.test(v)) throw new Error('must be an http(s) URL')
      return v
    },
  },
  s3Bucket: { env: 'S3_BUCKET', def: 'lgsp-payloads', doc: 'bucket for payloads (created if missing)', parse: str },
  s3Region: { env: 'S3_REGION', def: 'us-east-1', doc: 'object store region', parse: str },
  s3AccessKeyId: { env: 'S3_ACCESS_KEY_ID', def: '', doc: 'object store access key id', parse: str },
  s3SecretAccessKey: { env: 'S3_SECRET_ACCESS_KEY', def: '', doc: 'object store secret (never logged)', parse: str },
  s3ForcePathStyle: { env: 'S3_FORCE_PATH_STYLE', def: 'true', doc: 'path-style URLs (S3Proxy, MinIO, Ceph need them)', parse: bool },
  s3Prefix: { env: 'S3_PREFIX', def: '', doc: 'object key prefix, so gateways can share a bucket', parse: str },
  kafkaBrokers: {
    env: 'KAFKA_BROKERS',
    def: '127.0.0.1:9092',
    doc: 'comma-separated Kafka bootstrap servers',
    parse: (v) => {
      const l = list(v)
      if (l.length === 0) throw new Error('needs at least one host:port')
      return l
    },
  },
  topicPrefix: {
    env: 'TOPIC_PREFIX',
    def: 'lgsp.',
    doc: 'prefix of topics and consumer groups',
    parse: (v) => {
      if (!/^[A-Za-z0-9._-]*$/.test(v)) throw new Error('only letters, digits, . _ -')
      return v
    },
  },
  kafkaPartitions: { env: 'KAFKA_PARTITIONS', def: '4', doc: 'partitions per topic created at start-up', parse: int(1, 1024) },
  kafkaReplication: {
    env: 'KAFKA_REPLICATION',
    def: 'auto',
    doc: 'replication factor of created topics; auto = the number of brokers, at most 3 (min.insync.replicas is 2 from 3 replicas)',
    parse: (v) => (v === 'auto' ? 0 : int(1, 16)(v)),
  },
  kafkaProduceTimeoutMs: {
    env: 'KAFKA_PRODUCE_TIMEOUT_MS',
    def: '4000',
    doc: 'longest wait for Kafka to confirm a write before answering 503 BUS_UNAVAILABLE (ms)',
    parse: int(100, 120_000),
  },
  kafkaSessionTimeoutMs: {
    env: 'KAFKA_SESSION_TIMEOUT_MS',
    def: '10000',
    doc: 'consumer group session timeout (ms): after a crash, partitions move on after this long',
    parse: int(6000, 300_000),
  },
  kafkaRebalanceTimeoutMs: {
    env: 'KAFKA_REBALANCE_TIMEOUT_MS',
    def: '15000',
    doc: "how long a consumer group waits for its members to rejoin when one joins or leaves (ms); a member still busy after it is dropped and its records go to another member (handlers are idempotent). Bounds how long a replica's stop can wait on a rebalance",
    parse: int(1000, 600_000),
  },
  kafkaCommitIntervalMs: {
    env: 'KAFKA_COMMIT_INTERVAL_MS',
    def: '0',
    doc: 'how often consumers commit the offsets they have handled (ms); 0 = after every fetched batch. Longer saves a round trip per batch; a crash then hands more records over to be handled again (handlers are idempotent)',
    parse: int(0, 60_000),
  },
  shutdownTimeoutMs: { env: 'SHUTDOWN_TIMEOUT_MS', def: '10000', doc: 'longest a SIGTERM/SIGINT shutdown may take before the process exits anyway (ms)', parse: int(100, 600_000) },
  bodyLimit: { env: 'BODY_LIMIT', def: String(64 * 1024 * 1024), doc: 'largest request body in bytes', parse: int(1024, 2 ** 31) },
  maxPackageBytes: {
    env: 'MAX_PACKAGE_BYTES',
    def: String(2 ** 31),
    doc: 'largest edXML package POST /v1/documents accepts (bytes); above STREAM_THRESHOLD_BYTES it is streamed to disk, never held in memory',
    parse: int(1024, 2 ** 42),
  },
  streamThresholdBytes: {
    env: 'STREAM_THRESHOLD_BYTES',
    def: String(8 * 1024 * 1024),
    doc: "edXML packages larger than this (or of unknown length once they pass it) are streamed to disk as they arrive; BODY_LIMIT then bounds what is left beyond their attachments' Base64",
    parse: int(1024, 2 ** 31),
  },
  minFreeDiskBytes: {
    env: 'MIN_FREE_DISK_BYTES',
    def: String(2 ** 30),
    doc: 'a streamed package is refused with 507 INSUFFICIENT_STORAGE when the payload disk would keep less than this free (bytes)',
    parse: int(0, 2 ** 50),
  },
  requestTimeoutMs: {
    env: 'REQUEST_TIMEOUT_MS',
    def: '120000',
    doc: 'a request body must arrive within this many ms, else 408 REQUEST_TIMEOUT (raise it for very large packages over slow links)',
    parse: int(100, 3_600_000),
  },
  clientMaxConcurrency: {
    env: 'CLIENT_MAX_CONCURRENCY',
    def: '32',
    doc: 'requests one API key may have in flight at once, per process; beyond: 429 RATE_LIMITED with Retry-After',
    parse: int(1, 100_000),
  },
  clientRatePerMinute: {
    env: 'CLIENT_RATE_PER_MINUTE',
    def: '6000',
    doc: 'requests one API key may start per minute, per process (0 = unlimited); beyond: 429 RATE_LIMITED with Retry-After',
    parse: int(0, 10_000_000),
  },
  maxXmlDepth: { env: 'MAX_XML_DEPTH', def: '64', doc: 'deepest XML nesting accepted', parse: int(8, 10_000) },
  gatewayId: { env: 'GATEWAY_ID', def: 'lgsp-local', doc: 'name of this gateway instance', parse: str },
  jurisdiction: { env: 'JURISDICTION', def: '*', doc: 'comma-separated OrganId patterns owned here (e.g. *.H41)', parse: list },
  parentGatewayUrl: { env: 'PARENT_GATEWAY_URL', def: '', doc: 'parent gateway for recipients outside the jurisdiction', parse: str },
  signaturePolicy: {
    env: 'SIGNATURE_POLICY',
    def: 'required',
    doc: 'required | optional (legacy senders may send unsigned packages)',
    parse: (v) => {
      if (v !== 'required' && v !== 'optional') throw new Error('must be required or optional')
      return v
    },
  },
  signatureAllowSha1: { env: 'SIGNATURE_ALLOW_SHA1', def: 'false', doc: 'accept rsa-sha1/sha1 signatures (legacy national samples)', parse: bool },
  trustDir: { env: 'TRUST_DIR', def: '', doc: 'trust store directory (default DATA_DIR/pki)', parse: str },
  gatewayKeyFile: { env: 'GATEWAY_KEY_FILE', def: '', doc: 'PEM key signing receipts (default TRUST_DIR/gateway/gateway.key)', parse: str },
  gatewayCertFile: { env: 'GATEWAY_CERT_FILE', def: '', doc: 'PEM certificate of that key (default TRUST_DIR/gateway/gateway.pem)', parse: str },
  peers: {
    env: 'PEERS',
    def: '[]',
    doc: 'JSON [{"url","key","jurisdiction":["*.H41"]}]: peer gateways, one pre-shared key per link; {"url","protocol":"vxp","systemId","secret","jurisdiction"} for a VXP axis',
    parse: parsePeers,
  },
  deliveryTimeoutMs: { env: 'DELIVERY_TIMEOUT_MS', def: '10000', doc: 'timeout of one push/forward attempt (ms)', parse: int(100, 600_000) },
  retryBaseMs: { env: 'RETRY_BASE_MS', def: '1000', doc: 'first delivery retry delay (ms; exponential, full jitter)', parse: int(1, 3_600_000) },
  retryMaxMs: { env: 'RETRY_MAX_MS', def: '300000', doc: 'longest delivery retry delay (ms)', parse: int(1, 86_400_000) },
  deliveryMaxAttempts: { env: 'DELIVERY_MAX_ATTEMPTS', def: '15', doc: 'delivery attempts before the DLQ', parse: int(1, 1000) },
  deliveryMaxAgeMs: { env: 'DELIVERY_MAX_AGE_MS', def: '86400000', doc: 'age (ms) of a failing delivery before the DLQ', parse: int(1, 30 * 86_400_000) },
  breakerThreshold: { env: 'BREAKER_THRESHOLD', def: '5', doc: 'consecutive failures that open an endpoint circuit breaker', parse: int(1, 1000) },
  breakerCooldownMs: { env: 'BREAKER_COOLDOWN_MS', def: '30000', doc: 'how long (ms) an open breaker stays open', parse: int(1, 3_600_000) },
  retryPollMs: { env: 'RETRY_POLL_MS', def: '500', doc: 'delivery retry worker poll interval (ms)', parse: int(10, 60_000) },
  pushHmacKey: { env: 'PUSH_HMAC_KEY', def: '', doc: 'HMAC key signing push deliveries (empty = DATA_DIR/push-hmac.key)', parse: str },
  webhookAllowPrivate: { env: 'WEBHOOK_ALLOW_PRIVATE', def: 'false', doc: 'allow webhook URLs on loopback/private/link-local addresses', parse: bool },
  outboundAllowPrivate: {
    env: 'OUTBOUND_ALLOW_PRIVATE',
    def: '',
    doc: 'comma-separated hosts (or host:port) push/SOAP push/upstream endpoints may reach on loopback/private addresses; configured PEERS always may',
    parse: (v) => {
      // a list of hosts, not a switch: "true" would silently name a host called "true" and allow nothing
      if (/^(true|false|yes|no|1|0)$/i.test(v.trim())) throw new Error('is a comma-separated list of hosts (e.g. 127.0.0.1,localhost), not true/false')
      return list(v)
    },
  },
  webhookTimeoutMs: { env: 'WEBHOOK_TIMEOUT_MS', def: '10000', doc: 'timeout of one webhook attempt (ms)', parse: int(100, 120_000) },
  webhookRetryBaseMs: { env: 'WEBHOOK_RETRY_BASE_MS', def: '5000', doc: 'first webhook retry delay (ms), doubled per attempt', parse: int(10, 3_600_000) },
  webhookRetryMaxDelayMs: { env: 'WEBHOOK_RETRY_MAX_DELAY_MS', def: '3600000', doc: 'longest delay between webhook retries (ms)', parse: int(10, 86_400_000) },
  webhookRetryHorizonMs: { env: 'WEBHOOK_RETRY_HORIZON_MS', def: '86400000', doc: 'how long a webhook delivery is retried before the DLQ (ms)', parse: int(100, 30 * 86_400_000) },
  webhookConcurrency: { env: 'WEBHOOK_CONCURRENCY', def: '16', doc: 'webhook requests in flight at once', parse: int(1, 1024) },
  statusOrderPolicy: {
    env: 'STATUS_ORDER_POLICY',
    def: 'refuse-impossible',
    doc: 'flag | refuse-impossible | refuse: statuses out of the edXML lifecycle are recorded and flagged, or refused (409 STATUS_OUT_OF_ORDER) when impossible (15/16 without a 13, Timestamp before the document existed), or refused whenever out of order',
    parse: (v) => {
      if (v !== 'flag' && v !== 'refuse-impossible' && v !== 'refuse') throw new Error('must be flag, refuse-impossible or refuse')
      return v
    },
  },
  metricsAuth: { env: 'METRICS_AUTH', def: 'false', doc: 'require an operator API key (Authorization: Bearer) on /metrics', parse: bool },
  opsCacheMs: { env: 'OPS_CACHE_MS', def: '2000', doc: 'reuse consumer lag and ledger gauges this long (ms) across /metrics and ops scrapes', parse: int(0, 600_000) },
  opsHistorySampleMs: {
    env: 'OPS_HISTORY_SAMPLE_MS',
    def: '15000',
    doc: 'how often (ms) the console history samples consumer lag, webhook backlog and DLQ size and recounts the last minutes of the timeline',
    parse: int(200, 600_000),
  },
  otelExporterOtlpEndpoint: {
    env: 'OTEL_EXPORTER_OTLP_ENDPOINT',
    def: '',
    doc: 'OTLP/HTTP collector for traces, e.g. http://otel:4318 (spans go to /v1/traces); empty = tracing off',
    parse: (v) => {
      if (v && !/^https?:\/\//.test(v)) throw new Error('must be an http(s) URL')
      return v
    },
  },
  vxpClockSkewMs: { env: 'VXP_CLOCK_SKEW_MS', def: '300000', doc: 'largest difference (ms) between an XroadVnpt-timestamp and the gateway clock', parse: int(1000, 86_400_000) },
  vxpTimestampOffset: {
    env: 'VXP_TIMESTAMP_OFFSET',
    def: '+07:00',
    doc: 'UTC offset of the local time VXP clients write in XroadVnpt-timestamp',
    parse: (v) => {
      if (!/^[+-](0\d|1[0-4]):[0-5]\d$/.test(v)) throw new Error('must be an offset like +07:00')
      return v
    },
  },
  vxpPollMs: { env: 'VXP_POLL_MS', def: '5000', doc: 'interval (ms) of collecting statuses from each VXP peer (PEERS protocol vxp)', parse: int(50, 3_600_000) },
  vxpSecretKey: { env: 'VXP_SECRET_KEY', def: '', doc: 'key encrypting VXP system secrets at rest (empty = DATA_DIR/vxp-secret.key)', parse: str },
  closedRecipientPolicy: {
    env: 'CLOSED_RECIPIENT_POLICY',
    def: 'redirect',
    doc: 'a document to a closed agency: redirect (to its successor) | refuse (422 AGENCY_CLOSED naming it)',
    parse: oneOf('redirect', 'refuse'),
  },
  closedSenderGraceDays: {
    env: 'CLOSED_SENDER_GRACE_DAYS',
    def: '30',
    doc: 'days after its closure a closed From is still accepted, flagged (0 = refused at once)',
    parse: int(0, 3650),
  },
  closedInboxPolicy: {
    env: 'CLOSED_INBOX_POLICY',
    def: 'move',
    doc: 'unread inbox items of a closed agency: move (its successor reads them) | stay',
    parse: oneOf('move', 'stay'),
  },
}

function oneOf<T extends string>(...values: T[]) {
  return (v: string): T => {
    if (!(values as string[]).includes(v)) throw new Error(`must be ${values.join(' or ')}`)
    return v as T
  }
}

function parsePeers(v: string): Peer[] {
  let list: unknown
  try {
    list = JSON.parse(v)
  } catch (e) {
    throw new Error(`not JSON: ${(e as Error).message}`)
  }
  if (!Array.isArray(list)) throw new Error('must be a JSON array')
  return list.map((p, i) => {
    const o = p as Partial<Peer>
    if (typeof o?.url !== 'string' || !/^https?:\/\//.test(o.url)) throw new Error(`[${i}].url must be an http(s) URL`)
    const vxp = o.protocol === 'vxp'
    if (o.protocol !== undefined && o.protocol !== 'lgsp' && !vxp) throw new Error(`[${i}].protocol must be lgsp or vxp`)
    if (vxp && (typeof o.systemId !== 'string' || !o.systemId || typeof o.secret !== 'string' || !o.secret)) throw new Error(`[${i}]: a vxp peer needs systemId and secret`)
    if (!vxp && (typeof o.key !== 'string' || o.key.length < 16)) throw new Error(`[${i}].key must be a string of 16+ characters`)
    const j = typeof o.jurisdiction === 'string' ? [o.jurisdiction] : o.jurisdiction
    if (!Array.isArray(j) || !j.every((x) => typeof x === 'string')) throw new Error(`[${i}].jurisdiction must be a list of patterns`)
    return {
      url: o.url.replace(/\/+$/, ''),
      key: typeof o.key === 'string' ? o.key : '',
      jurisdiction: j,
      ...(o.id ? { id: String(o.id) } : {}),
      ...(vxp ? { protocol: 'vxp' as const, systemId: o.systemId!, secret: o.secret! } : {}),
    }
  })
}

/** The base URL clients reach this gateway at: PUBLIC_URL, else http://HOST:<the port listened on>. */
export const publicUrlOf = (c: Readonly<Config>, listeningPort = c.port): string => c.publicUrl || `http://${c.host.includes(':') ? `[${c.host}]` : c.host}:${listeningPort}`

/** Build the configuration from `env` (plus explicit overrides, used by tests). Throws listing every problem. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides: Partial<Config> = {}): Readonly<Config> {
  const out: Record<string, unknown> = {}
  const problems: string[] = []
  for (const [key, spec] of Object.entries(CONFIG_SPEC)) {
    const raw = env[spec.env]
    try {
      out[key] = spec.parse(raw === undefined || raw === '' ? spec.def : raw)
    } catch (e) {
      problems.push(`${spec.env}=${JSON.stringify(raw)}: ${(e as Error).message}`)
    }
  }
  if (problems.length) throw new Error(`invalid configuration:\n  ${problems.join('\n  ')}`)
  const cfg = { ...retype<Config>(out), ...overrides }
  if (!cfg.blobDir) cfg.blobDir = path.join(cfg.dataDir, 'blobs')
  if (!cfg.trustDir) cfg.trustDir = path.join(cfg.dataDir, 'pki')
  if (!cfg.gatewayKeyFile) cfg.gatewayKeyFile = path.join(cfg.trustDir, 'gateway/gateway.key')
  if (!cfg.gatewayCertFile) cfg.gatewayCertFile = path.join(cfg.trustDir, 'gateway/gateway.pem')
  return Object.freeze(cfg)
}
