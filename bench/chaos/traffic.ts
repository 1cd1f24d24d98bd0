/**
 * What the agencies do during the chaos run, seen only through the gateway's HTTP API:
 * - senders POST signed edXML packages at a steady overall rate, alternating replicas, and resend the same
 *   bytes after any error, as a QLVB client would (the gateway dedupes on (From, DocumentId): a resend gets
 *   the first answer, RFC 9110 §9.2.2 idempotent retry);
 * - pull recipients list their inbox, fetch every item (checking the bytes against the listed SHA-256) and
 *   ack it (status 01 back to the sender);
 * - push recipients are served by the reference receiver (test/helpers/push-receiver.ts), which here drops
 *   half of the requests before answering, so the gateway must retry.
 * Every observation is recorded for the tally (tally.ts); nothing here reads the database.
 */
import crypto from 'node:crypto'
import { performance } from 'node:perf_hooks'
import type { PkiInitResult } from '../../src/signing/pki.ts'
import { signWith } from '../../test/helpers/gateway.ts'
import { edoc } from '../../test/helpers/federation.ts'
import { startPushReceiver, type PushReceiver } from '../../test/helpers/push-receiver.ts'

/** one sender and one pull and one push recipient at every tier of the demo directory (src/demo/directory.ts) */
export const SENDERS = ['000.00.00.G22', '000.00.00.H41', '000.00.30.H41', '000.21.30.H41', '000.00.00.G14', '000.00.13.H41', '000.00.31.H41', '000.22.31.H41']
export const PULL_RECIPIENTS = ['000.00.00.G22', '000.00.00.H41', '000.00.30.H41', '000.21.30.H41']
export const PUSH_RECIPIENTS = ['000.00.00.G14', '000.00.13.H41', '000.00.31.H41', '000.22.31.H41']

export interface PlannedDoc {
  n: number
  from: string
  to: string[]
  bytes: () => Buffer
}
export interface AcceptedDoc {
  uuid: string
  from: string
  documentId: string
  to: string[]
  /** for a lost leg's report: which replica answered 202, after how many requests, when (ms since the start) */
  answeredBy: string
  requests: number
  atMs: number
}

/** Document n: from sender n mod S, to one pull and one push recipient (never itself), rotating over all tiers. */
export function planDocument(n: number, senders: string[], pki: PkiInitResult): PlannedDoc {
  const from = senders[n % senders.length]!
  const others = (list: string[]) => list.filter((o) => o !== from)
  const pull = others(PULL_RECIPIENTS)
  const push = others(PUSH_RECIPIENTS)
  const k = Math.floor(n / senders.length)
  const to = [pull[k % pull.length]!, push[(k + n) % push.length]!]
  return { n, from, to, bytes: () => signWith(pki, from, edoc(from, to, 100_000 + n)) }
}

export const documentIdOf = (from: string, n: number) => `${from},2026/11/23,${100_000 + n}/UBND-VP`

export interface SenderStats {
  accepted: Map<string, AcceptedDoc>
  refused: { documentId: string; status: number; body: string }[]
  /** documents whose first attempt has started */
  issued: number
  requests: number
  errors: Map<string, number>
  maxHangMs: number
  /** the slowest request: when, where, what it got */
  slowest: string
}

export interface Keys {
  [organIdOrOperator: string]: string
}

/** POST with a bound: a request that takes longer than this is a hang, counted as such and resent. */
const REQUEST_LIMIT_MS = 120_000

/**
 * Sends `total` documents at `rate` per second overall, `inflight` at a time per sender, resending each
 * until it gets a 202 (or a refusal that a resend cannot change, recorded), alternating the replicas.
 */
export async function runSenders(o: {
  urls: string[]
  keys: Keys
  pki: PkiInitResult
  senders: string[]
  total: number
  rate: number
  inflight: number
  stats: SenderStats
  stopResending: () => boolean
  /** no new document after this instant (epoch ms): a time-boxed run counts what it sent */
  issueUntil: number
}): Promise<void> {
  const t0 = performance.now()
  let turn = 0
  const sendOne = async (d: PlannedDoc) => {
    const bytes = new Uint8Array(d.bytes()) // signed once: every resend carries the very same bytes
    const documentId = documentIdOf(d.from, d.n)
    for (let attempt = 0; ; attempt++) {
      const url = o.urls[turn++ % o.urls.length]!
      const started = performance.now()
      let status = 0
      let body = ''
      let retryAfterS = 0
      try {
        const r = await fetch(`${url}/v1/documents`, {
          method: 'POST',
          body: bytes,
          signal: AbortSignal.timeout(REQUEST_LIMIT_MS),
          headers: { authorization: `Bearer ${o.keys[d.from]}`, 'content-type': 'application/xml' },
        })
        status = r.status
        body = await r.text()
        retryAfterS = Number(r.headers.get('retry-after') ?? 0) || 0
      } catch (e) {
        body = (e as Error & { cause?: { code?: string } }).cause?.code ?? (e as Error).name
      }
      const took = performance.now() - started
      o.stats.requests++
      if (took > o.stats.maxHangMs) {
        o.stats.maxHangMs = took
        o.stats.slowest = `${Math.round(took)} ms at t+${Math.round((started - t0) / 1000)} s to ${url}: ${status || body}`
      }
      if (status === 202) {
        const a = JSON.parse(body) as { id: string; recipients: { organId: string }[] }
        o.stats.accepted.set(documentId, {
          uuid: a.id,
          from: d.from,
          documentId,
          to: a.recipients.map((r) => r.organId),
          answeredBy: url,
          requests: attempt + 1,
          atMs: Math.round(performance.now() - t0),
        })
        return
      }
      const reason = status ? `HTTP ${status}` : body
      o.stats.errors.set(reason, (o.stats.errors.get(reason) ?? 0) + 1)
      if (status >= 400 && status < 500 && status !== 408 && status !== 429) {
        o.stats.refused.push({ documentId, status, body: body.slice(0, 300) })
        return
      }
      if (o.stopResending()) return
      // back off like a client: the server's Retry-After if it gave one, else 0.5 s doubling to 4 s, jittered
      const wait = retryAfterS ? retryAfterS * 1000 : Math.min(4000, 500 * 2 ** Math.min(attempt, 3))
      await sleep(wait / 2 + (Math.random() * wait) / 2)
    }
  }
  // sender j sends documents j, j + S, j + 2S, …; document n is due at t0 + n / rate (a steady overall rate)
  const perSender = (j: number) => {
    let k = 0
    return Array.from({ length: o.inflight }, async () => {
      for (;;) {
        const n = j + o.senders.length * k++
        if (n >= o.total || Date.now() > o.issueUntil) return
        const wait = t0 + (n / o.rate) * 1000 - performance.now()
        if (wait > 0) await sleep(wait)
        o.stats.issued++
        await sendOne(planDocument(n, o.senders, o.pki))
      }
    })
  }
  await Promise.all(o.senders.flatMap((_, j) => perSender(j)))
}

export interface PullStats {
  /** (recipient, documentUuid) → inbox item ids seen */
  seen: Map<string, Set<string>>
  /** (recipient, From + DocumentId) → document uuids seen: two means the document was delivered twice */
  byDocumentId: Map<string, Set<string>>
  fetched: number
  acked: number
  badBytes: number
  errors: number
}

interface InboxItem {
  id: string
  documentUuid: string
  recipient: string
  from: string
  documentId: string
  sha256: string
}

/** A recipient system: lists the inbox, fetches and acks every item, until `stop()` says so. */
export async function runPullRecipient(o: { urls: string[]; key: string; stats: PullStats; stop: () => boolean }): Promise<void> {
  let turn = 0
  const call = (p: string, method = 'GET') =>
    fetch(`${o.urls[turn++ % o.urls.length]}${p}`, { method, headers: { authorization: `Bearer ${o.key}` }, signal: AbortSignal.timeout(60_000) })
  while (!o.stop()) {
    try {
      const r = await call('/v1/inbox?limit=100')
      if (r.status !== 200) {
        o.stats.errors++
        await r.arrayBuffer()
        await sleep(500)
        continue
      }
      const { items } = (await r.json()) as { items: InboxItem[] }
      if (items.length === 0) {
        await sleep(500)
        continue
      }
      for (const it of items) {
        if (o.stop()) return
        const leg = `${it.recipient} ${it.documentUuid}`
        const ids = o.stats.seen.get(leg) ?? new Set<string>()
        ids.add(it.id)
        o.stats.seen.set(leg, ids)
        const docKey = `${it.recipient} ${it.from} ${it.documentId}`
        const uuids = o.stats.byDocumentId.get(docKey) ?? new Set<string>()
        uuids.add(it.documentUuid)
        o.stats.byDocumentId.set(docKey, uuids)
        const got = await call(`/v1/inbox/${it.id}`)
        if (got.status !== 200) {
          o.stats.errors++
          await got.arrayBuffer()
          continue
        }
        const bytes = Buffer.from(await got.arrayBuffer())
        o.stats.fetched++
        if (crypto.createHash('sha256').update(bytes).digest('hex') !== it.sha256) o.stats.badBytes++
        const ack = await call(`/v1/inbox/${it.id}/ack`, 'POST')
        await ack.arrayBuffer()
        if (ack.status === 202) o.stats.acked++
        else o.stats.errors++
      }
    } catch {
      o.stats.errors++ // a replica down or restarting: try the other one next
      await sleep(250)
    }
  }
}

export interface PushStats {
  /** requests the receiver answered 2xx, by Idempotency-Key, with their X-Lgsp-Attempt numbers */
  successes: Map<string, number[]>
  /** (recipient, DocumentId in the pushed bytes) → Idempotency-Keys answered 2xx: two means delivered twice */
  byDocumentId: Map<string, Set<string>>
  failedOnPurpose: number
  badSignature: number
}

/** The reference push receiver, made to drop half of the requests (connection closed, no answer). */
export async function startFlakyPushReceiver(hmacKey: string, stats: PushStats): Promise<PushReceiver> {
  const recv = await startPushReceiver(hmacKey)
  recv.onRequest = (r) => {
    if (Math.random() < 0.5) {
      stats.failedOnPurpose++
      return false
    }
    if (!r.signatureOk || !r.digestOk) {
      stats.badSignature++
      return true
    } // the receiver answers 401 itself
    stats.successes.set(r.key, [...(stats.successes.get(r.key) ?? []), r.attempt])
    const docKey = `${r.key.split(':')[1]} ${/<edXML:DocumentId>([^<]*)</.exec(r.bytes.toString('utf8'))?.[1]}`
    stats.byDocumentId.set(docKey, (stats.byDocumentId.get(docKey) ?? new Set()).add(r.key))
    return true
  }
  return recv
}

/** Points each push recipient's directory entry at the receiver (an operator's PUT /v1/agencies). */
export async function routePushRecipients(url: string, operatorKey: string, receiverUrl: string): Promise<void> {
  const { demoAgencies } = await import('../../src/demo/directory.ts')
  for (const a of demoAgencies().filter((x) => PUSH_RECIPIENTS.includes(x.organId))) {
    const r = await fetch(`${url}/v1/agencies/${a.organId}`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${operatorKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: a.name, tier: a.tier, endpoint: `http:${receiverUrl}` }),
    })
    if (r.status >= 300) throw new Error(`PUT /v1/agencies/${a.organId}: ${r.status} ${await r.text()}`)
  }
}

/**
 * Waits until the gateway at `url` routes every push recipient to the receiver: a replica other than the
 * one changed re-reads the directory on the change notification (src/store/change-feed.ts), and its
 * GET /v1/agencies/{id} answers from the snapshot its router uses.
 */
export async function awaitPushRoutes(url: string, operatorKey: string, receiverUrl: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (const organId of PUSH_RECIPIENTS) {
    for (;;) {
      const r = await fetch(`${url}/v1/agencies/${organId}`, { headers: { authorization: `Bearer ${operatorKey}` } })
      const endpoint = r.ok ? ((await r.json()) as { endpoint?: { kind: string; url?: string } }).endpoint : undefined
      if (endpoint?.kind === 'http' && endpoint.url === receiverUrl) break
      if (Date.now() > deadline) throw new Error(`${url} still does not route ${organId} to the push receiver after ${timeoutMs} ms`)
      await sleep(50)
    }
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))
