/**
 * Two (or more) gateway replicas as child processes (test/helpers/child-gateway.ts): the same PostgreSQL
 * schema, topic prefix and consumer groups, the same object-store bucket and DATA_DIR (so the demo keys,
 * the demo PKI and the push HMAC key agree), each on a fixed port so a restarted replica keeps its URL.
 * Their database sessions carry one application_name, so the run can end exactly those sessions and no
 * other engineer's (pg_terminate_backend on pg_stat_activity.application_name).
 */
import pg from 'pg'
import { spawnGateway, type ChildGateway } from '../../test/helpers/child-gateway.ts'

export interface ReplicaSetup {
  databaseUrl: string
  schema: string
  topicPrefix: string
  dataDir: string
  ports: number[]
  brokers: string[]
  s3Endpoint: string
  s3Bucket: string
  pushHmacKey: string
  /** application_name of the gateways' PostgreSQL sessions */
  applicationName: string
  logLevel: string
  /** where the replicas' logs are appended */
  logFile: string
}

export function withApplicationName(url: string, name: string): string {
  const u = new URL(url)
  u.searchParams.set('application_name', name)
  return u.toString()
}

export class Replicas {
  private procs: (ChildGateway | null)[]
  readonly urls: string[]

  private readonly s: ReplicaSetup

  constructor(s: ReplicaSetup) {
    this.s = s
    this.procs = s.ports.map(() => null)
    this.urls = s.ports.map((p) => `http://127.0.0.1:${p}`)
  }

  env(i: number): Record<string, string> {
    const s = this.s
    return {
      DATABASE_URL: withApplicationName(s.databaseUrl, s.applicationName),
      DATABASE_SCHEMA: s.schema,
      TOPIC_PREFIX: s.topicPrefix,
      DATA_DIR: s.dataDir,
      PORT: String(s.ports[i]),
      KAFKA_BROKERS: s.brokers.join(','),
      GATEWAY_ID: `chaos-${i + 1}`,
      LOG_LEVEL: s.logLevel,
      // every replica's log in one file (spawnGateway appends), read back to explain a lost leg
      CHILD_GATEWAY_LOG: s.logFile,
      SEED_DEMO: '1',
      SIGNATURE_POLICY: 'required',
      TRUST_DIR: '',
      GATEWAY_KEY_FILE: '',
      GATEWAY_CERT_FILE: '',
      // every payload an object, so stopping the object store is felt by every document
      SMALL_PAYLOAD_BYTES: '0',
      BLOB_STORE: 's3',
      S3_ENDPOINT: s.s3Endpoint,
      S3_BUCKET: s.s3Bucket,
      S3_ACCESS_KEY_ID: 'local-identity',
      S3_SECRET_ACCESS_KEY: 'local-credential',
      S3_FORCE_PATH_STYLE: 'true',
      PUSH_HMAC_KEY: s.pushHmacKey,
      WEBHOOK_ALLOW_PRIVATE: 'true',
      OUTBOUND_ALLOW_PRIVATE: '127.0.0.1',
      // the receiver fails half the time by design: retry soon, and let the breaker (per endpoint, and all
      // pushed recipients share one receiver) neither starve the queue nor send anything to the DLQ by bad luck
      RETRY_BASE_MS: '200',
      RETRY_MAX_MS: '5000',
      RETRY_POLL_MS: '250',
      DELIVERY_MAX_ATTEMPTS: '1000',
      BREAKER_THRESHOLD: '50',
      BREAKER_COOLDOWN_MS: '1000',
    }
  }

  /** Starts replica i (again) and waits for its READY line. */
  async start(i: number): Promise<void> {
    this.procs[i] = await spawnGateway(this.env(i), { readyMs: 180_000 })
  }

  /** kill -9: no shutdown hook runs, in-flight requests and Kafka/DB writes are cut where they are */
  async kill(i: number): Promise<void> {
    await this.procs[i]?.kill('SIGKILL')
    this.procs[i] = null
  }

  async stopAll(): Promise<void> {
    await Promise.all(this.procs.map((p) => p?.kill('SIGKILL')))
    this.procs = this.procs.map(() => null)
  }

  /** Ends every PostgreSQL session of the replicas (never the server, never anyone else's); returns how many. */
  async terminateDatabaseSessions(admin: pg.Pool): Promise<number> {
    const r = await admin.query<{ ok: boolean }>('select pg_terminate_backend(pid) as ok from pg_stat_activity where application_name = $1 and pid <> pg_backend_pid()', [
      this.s.applicationName,
    ])
    return r.rows.filter((x) => x.ok).length
  }
}
