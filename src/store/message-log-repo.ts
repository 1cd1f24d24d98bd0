/**
 * The tamper-evident message log: an append-only, hash-chained record of every accepted
 * document, every edXML status and every operator action. Each row's hash is
 *   sha256( prev_hash + "\n" + canonical(row) )
 * where canonical(row) is the JSON of the row's fields in a fixed order (detail with sorted keys), so any
 * changed column, a removed row (the next row's prev_hash no longer matches) or a removed tail (the head
 * row remembers the last seq and hash) shows up in `verifyChain`.
 *
 * Appends are serialised by the row lock on message_log_head (PostgreSQL: `for update`, so concurrent
 * transactions queue; PGlite is single-connection anyway) and run inside the caller's transaction, so a
 * log row exists exactly when the ledger write it records exists. The lock is held until that transaction
 * commits: accepts that reach markAccepted queue here for a few milliseconds (X-Road's messagelog has the
 * same trade-off; a per-partition chain is the way out if it ever shows in the benchmark).
 */
import crypto from 'node:crypto'
import type { Db, Sql } from './db.ts'
import { groupCommit } from './group-commit.ts'

export const GENESIS = '0'.repeat(64)

export type LogKind = 'document.accepted' | 'document.status' | 'operator.action'

export interface LogEntry {
  entryKey: string
  kind: LogKind
  at: string
  documentUuid?: string | null
  documentId?: string | null
  sender?: string | null
  signer?: string | null
  recipient?: string | null
  status?: string | null
  sha256?: string | null
  actor?: string | null
  action?: string | null
  detail?: unknown
}

export interface LogRow extends Required<Omit<LogEntry, 'detail'>> {
  seq: number
  detail: unknown
  prevHash: string
  hash: string
}

interface DbRow {
  seq: string | number
  entry_key: string
  kind: LogKind
  at: Date | string
  document_uuid: string | null
  document_id: string | null
  sender: string | null
  signer: string | null
  recipient: string | null
  status: string | null
  sha256: string | null
  actor: string | null
  action: string | null
  detail: unknown
  prev_hash: string
  hash: string
}

export const rowOf = (r: DbRow): LogRow => ({
  seq: Number(r.seq),
  entryKey: r.entry_key,
  kind: r.kind,
  at: new Date(r.at).toISOString(),
  documentUuid: r.document_uuid,
  documentId: r.document_id,
  sender: r.sender,
  signer: r.signer,
  recipient: r.recipient,
  status: r.status,
  sha256: r.sha256,
  actor: r.actor,
  action: r.action,
  detail: r.detail ?? null,
  prevHash: r.prev_hash,
  hash: r.hash,
})

/** JSON with object keys sorted at every level: jsonb does not keep key order, so the hash must not depend on it. */
export function canonicalJson(v: unknown): string {
  if (v === null || v === undefined) return 'null'
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`
  if (typeof v === 'object') {
    const o = v as Record<string, unknown>
    return `{${Object.keys(o)
      .filter((k) => o[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`)
      .join(',')}}`
  }
  return JSON.stringify(v)
}

/** The hashed form of a row: every column but the hashes, in a fixed order. */
export function canonicalRow(r: Omit<LogRow, 'hash' | 'prevHash'>): string {
  return canonicalJson([
    r.seq,
    r.entryKey,
    r.kind,
    new Date(r.at).toISOString(),
    r.documentUuid,
    r.documentId,
    r.sender,
    r.signer,
    r.recipient,
    r.status,
    r.sha256,
    r.actor,
    r.action,
    r.detail ?? null,
  ])
}

export const chainHash = (prevHash: string, r: Omit<LogRow, 'hash' | 'prevHash'>) =>
  crypto
    .createHash('sha256')
    .update(`${prevHash}\n${canonicalRow(r)}`, 'utf8')
    .digest('hex')

/**
 * The transaction the hot paths write the message log in — acceptances (src/ingest/accept-document.ts) and
 * statuses (src/receipts/projection.ts): writes that arrive while one is in flight share the next (group
 * commit, src/store/group-commit.ts), so they take the head row's lock and flush the WAL once between them
 * instead of once each; the chain is the same, each write appends its own row in turn. `work` must be safe
 * to run again: a shared transaction that fails is rerun write by write, each alone.
 */
export function inLogTransaction<T>(db: Db, work: (q: Sql) => Promise<T>): Promise<T> {
  let writer = writers.get(db)
  if (!writer) {
    writer = groupCommit(db, (q, w: (q: Sql) => Promise<unknown>) => w(q))
    writers.set(db, writer)
  }
  return writer(work) as Promise<T>
}
const writers = new WeakMap<Db, (work: (q: Sql) => Promise<unknown>) => Promise<unknown>>()

/**
 * Appends one entry inside the caller's transaction. Idempotent on entryKey: returns null when the entry
 * is already in the log (a replayed record), the new row otherwise.
 */
export async function appendLog(q: Sql, e: LogEntry): Promise<LogRow | null> {
  const head = (await q.query<{ seq: string | number; hash: string }>('select seq, hash from message_log_head where id = 1 for update')).rows[0]
  if (!head) throw new Error('message_log_head is missing (migration 006 not applied?)')
  const at = new Date(e.at).toISOString() // millisecond precision survives timestamptz both ways
  const base = {
    seq: Number(head.seq) + 1,
    entryKey: e.entryKey,
    kind: e.kind,
    at,
    documentUuid: e.documentUuid ?? null,
    documentId: e.documentId ?? null,
    sender: e.sender ?? null,
    signer: e.signer ?? null,
    recipient: e.recipient ?? null,
    status: e.status ?? null,
    sha256: e.sha256 ?? null,
    actor: e.actor ?? null,
    action: e.action ?? null,
    detail: e.detail === undefined ? null : JSON.parse(JSON.stringify(e.detail)),
  }
  const hash = chainHash(head.hash, base)
  // the row and the head move in one statement; an entry already logged (a replayed record) is caught by
  // entry_key's unique index, which sees every committed row whatever the statement's snapshot, and then
  // neither moves
  const r = await q.query(
    `with entry as (
       insert into message_log (seq, entry_key, kind, at, document_uuid, document_id, sender, signer, recipient, status, sha256, actor, action, detail, prev_hash, hash)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) on conflict (entry_key) do nothing returning seq
     )
     update message_log_head set seq = $1, hash = $16 where id = 1 and exists (select 1 from entry) returning seq`,
    [
      base.seq,
      base.entryKey,
      base.kind,
      base.at,
      base.documentUuid,
      base.documentId,
      base.sender,
      base.signer,
      base.recipient,
      base.status,
      base.sha256,
      base.actor,
      base.action,
      base.detail === null ? null : JSON.stringify(base.detail),
      head.hash,
      hash,
    ],
  )
  // rows.length, not rowCount: PGlite's count for a data-modifying CTE is not the update's
  if (r.rows.length === 0) return null
  return { ...base, prevHash: head.hash, hash }
}

/** The accept step's entry: the exact bytes' hash, the sender, the verified signer, the acceptance time. */
export function logAccepted(
  q: Sql,
  a: {
    id: string
    documentId: string
    from: string
    sha256: string
    acceptedAt: string
    recipients: { organId: string; tier: string }[]
    signature?: { signed: boolean; signer?: { subject: string; fingerprint256: string } }
  },
): Promise<LogRow | null> {
  return appendLog(q, {
    entryKey: `accept:${a.id}`,
    kind: 'document.accepted',
    at: a.acceptedAt,
    documentUuid: a.id,
    documentId: a.documentId,
    sender: a.from,
    signer: a.signature?.signer?.subject ?? null,
    sha256: a.sha256,
    status: 'ACCEPTED',
    detail: {
      recipients: a.recipients.map((r) => r.organId),
      signed: a.signature?.signed ?? false,
      ...(a.signature?.signer ? { signerFingerprint: a.signature.signer.fingerprint256 } : {}),
    },
  })
}

/** A business status (01–16) as projected onto the sender's timeline; `statusBlob` is the package's SHA-256. */
export function logStatus(
  q: Sql,
  s: {
    eventKey: string
    id: string
    documentId: string
    recipient: string
    status: string
    at: string
    from: string
    statusBlob?: string | null
    outOfOrder?: boolean
  },
): Promise<LogRow | null> {
  return appendLog(q, {
    entryKey: `status:${s.eventKey}`,
    kind: 'document.status',
    at: s.at,
    documentUuid: s.id,
    documentId: s.documentId,
    sender: s.from,
    recipient: s.recipient,
    status: s.status,
    sha256: s.statusBlob ?? null,
    detail: { recordedAt: new Date().toISOString(), ...(s.outOfOrder ? { outOfOrder: true } : {}) },
  })
}

/** An operator action (DLQ replay/discard, webhook replay …): who, what, on which target. */
export function logOperatorAction(q: Sql, a: { actor: string; action: string; documentUuid?: string | null; recipient?: string | null; detail?: unknown }): Promise<LogRow | null> {
  return appendLog(q, {
    entryKey: `op:${crypto.randomUUID()}`,
    kind: 'operator.action',
    at: new Date().toISOString(),
    actor: a.actor,
    action: a.action,
    documentUuid: a.documentUuid ?? null,
    recipient: a.recipient ?? null,
    detail: a.detail ?? null,
  })
}

export async function logHead(q: Sql): Promise<{ seq: number; hash: string }> {
  const h = (await q.query<{ seq: string | number; hash: string }>('select seq, hash from message_log_head where id = 1')).rows[0]
  return { seq: Number(h?.seq ?? 0), hash: h?.hash ?? GENESIS }
}

/** Rows after `after` (seq), oldest first; optionally only those about one document. */
export async function listLog(q: Sql, o: { after?: number; limit: number; documentUuid?: string }): Promise<LogRow[]> {
  const params: unknown[] = [o.after ?? 0, o.limit]
  let where = 'seq > $1'
  if (o.documentUuid) {
    params.push(o.documentUuid)
    where += ` and document_uuid = $${params.length}`
  }
  return (await q.query<DbRow>(`select * from message_log where ${where} order by seq limit $2`, params)).rows.map(rowOf)
}

export interface VerifyProblem {
  seq: number
  entryKey?: string
  problem: 'altered' | 'removed' | 'out-of-order' | 'head-mismatch'
  detail: string
}
export interface VerifyResult {
  ok: boolean
  checked: number
  head: { seq: number; hash: string }
  lastHash: string
  problems: VerifyProblem[]
}

/**
 * Walks the chain from the genesis hash. A row whose recomputed hash differs from its stored hash was
 * altered; a gap in seq (or a prev_hash that no longer links) means rows were removed; a head that names a
 * later seq or another hash than the last row means the newest rows were removed. Pure: the CLI runs the
 * same function over rows fetched through the API, so it does not take the server's word for it.
 */
export async function verifyChain(rows: AsyncIterable<LogRow> | Iterable<LogRow>, head: { seq: number; hash: string }): Promise<VerifyResult> {
  const problems: VerifyProblem[] = []
  let prevHash = GENESIS
  let expected = 1
  let checked = 0
  for await (const r of rows) {
    checked++
    if (r.seq > expected) {
      const missing = r.seq - 1 === expected ? `row ${expected}` : `rows ${expected}–${r.seq - 1}`
      problems.push({ seq: expected, problem: 'removed', detail: `${missing} missing before row ${r.seq}` })
    } else if (r.seq < expected) {
      problems.push({ seq: r.seq, entryKey: r.entryKey, problem: 'out-of-order', detail: `row ${r.seq} after row ${expected - 1}` })
    }
    const recomputed = chainHash(r.prevHash, r)
    if (recomputed !== r.hash) {
      problems.push({ seq: r.seq, entryKey: r.entryKey, problem: 'altered', detail: `row ${r.seq} (${r.kind} ${r.entryKey}): its content no longer matches its hash` })
    } else if (r.prevHash !== prevHash && r.seq <= expected) {
      problems.push({ seq: r.seq, entryKey: r.entryKey, problem: 'altered', detail: `row ${r.seq}: prev_hash does not link to row ${r.seq - 1}` })
    }
    // continue from the stored hash, so one bad row is reported once, not as a cascade
    prevHash = r.hash
    expected = r.seq + 1
  }
  if (head.seq > expected - 1) {
    problems.push({ seq: expected, problem: 'removed', detail: `the head names row ${head.seq} but the log ends at row ${expected - 1}: rows ${expected}–${head.seq} removed` })
  } else if (head.seq === expected - 1 && head.seq > 0 && head.hash !== prevHash) {
    problems.push({ seq: head.seq, problem: 'head-mismatch', detail: `the head hash differs from row ${head.seq}'s hash` })
  }
  return { ok: problems.length === 0, checked, head, lastHash: prevHash, problems }
}
