/**
 * Configuration: read once from environment variables, checked against one table, all problems reported
 * together, returned as one frozen object. Every variable is documented here and in the README.
 */
import path from 'node:path'

export interface Config {
  host: string
  port: number
  logLevel: string
  /** PostgreSQL connection string; empty = embedded PGlite under dataDir/pglite */
  databaseUrl: string
  /** schema for all tables (tests use one schema each) */
  databaseSchema: string
  dataDir: string
  blobDir: string
  kafkaBrokers: string[]
  /** prefix of every topic name and consumer group, so several gateways can share one cluster */
  topicPrefix: string
  kafkaPartitions: number
  kafkaReplication: number
  /** largest accepted request body in bytes */
  bodyLimit: number
  maxXmlDepth: number
  /** short name of this gateway instance, used in receipts and logs */
  gatewayId: string
  /** OrganId patterns this gateway owns, e.g. ["*.H41"] */
  jurisdiction: string[]
  /** URL of the parent (central) gateway for recipients outside the jurisdiction; empty = none */
  parentGatewayUrl: string
}

type Spec = { env: string; def: string; doc: string; parse: (v: string) => unknown }

const str = (v: string) => v
const int = (min: number, max: number) => (v: string) => {
  const n = Number(v)
  if (!Number.isInteger(n) || n < min || n > max) throw new Error(`must be an integer in [${min}, ${max}]`)
  return n
}
const list = (v: string) => v.split(',').map((s) => s.trim()).filter(Boolean)

export const CONFIG_SPEC: Record<keyof Config, Spec> = {
  host: { env: 'HOST', def: '127.0.0.1', doc: 'address to listen on', parse: str },
  port: { env: 'PORT', def: '8080', doc: 'HTTP port (0 = any free port)', parse: int(0, 65535) },
  logLevel: { env: 'LOG_LEVEL', def: 'info', doc: 'pino level: fatal|error|warn|info|debug|trace|silent', parse: (v) => {
    if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(v)) throw new Error('unknown level')
    return v
  } },
  databaseUrl: { env: 'DATABASE_URL', def: '', doc: 'PostgreSQL URL; unset = embedded PGlite under DATA_DIR', parse: str },
  databaseSchema: { env: 'DATABASE_SCHEMA', def: 'public', doc: 'schema holding the tables', parse: (v) => {
    if (!/^[a-z_][a-z0-9_]{0,62}$/.test(v)) throw new Error('must be a lower-case SQL identifier')
    return v
  } },
  dataDir: { env: 'DATA_DIR', def: '.data', doc: 'directory for PGlite, blobs, demo PKI and credentials', parse: (v) => path.resolve(v) },
  blobDir: { env: 'BLOB_DIR', def: '', doc: 'payload blob store directory (default DATA_DIR/blobs)', parse: str },
  kafkaBrokers: { env: 'KAFKA_BROKERS', def: '127.0.0.1:9092', doc: 'comma-separated Kafka bootstrap servers', parse: (v) => {
    const l = list(v)
    if (l.length === 0) throw new Error('needs at least one host:port')
    return l
  } },
  topicPrefix: { env: 'TOPIC_PREFIX', def: 'lgsp.', doc: 'prefix of topics and consumer groups', parse: (v) => {
    if (!/^[A-Za-z0-9._-]*$/.test(v)) throw new Error('only letters, digits, . _ -')
    return v
  } },
  kafkaPartitions: { env: 'KAFKA_PARTITIONS', def: '4', doc: 'partitions per topic created at start-up', parse: int(1, 1024) },
  kafkaReplication: { env: 'KAFKA_REPLICATION', def: '1', doc: 'replication factor of created topics (3 in production)', parse: int(1, 16) },
  bodyLimit: { env: 'BODY_LIMIT', def: String(64 * 1024 * 1024), doc: 'largest request body in bytes', parse: int(1024, 2 ** 31) },
  maxXmlDepth: { env: 'MAX_XML_DEPTH', def: '64', doc: 'deepest XML nesting accepted', parse: int(8, 10_000) },
  gatewayId: { env: 'GATEWAY_ID', def: 'lgsp-local', doc: 'name of this gateway instance', parse: str },
  jurisdiction: { env: 'JURISDICTION', def: '*', doc: 'comma-separated OrganId patterns owned here (e.g. *.H41)', parse: list },
  parentGatewayUrl: { env: 'PARENT_GATEWAY_URL', def: '', doc: 'parent gateway for recipients outside the jurisdiction', parse: str },
}

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
  const cfg = { ...(out as unknown as Config), ...overrides }
  if (!cfg.blobDir) cfg.blobDir = path.join(cfg.dataDir, 'blobs')
  return Object.freeze(cfg)
}
