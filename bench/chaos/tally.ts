/**
 * The count after the chaos: what the senders were told (202s), what the recipients saw (inbox items
 * fetched, pushes answered 2xx), and what the sender's side of the ledger says (documents.state, the
 * timeline's 01 events, the message log). A leg is one (document, recipient).
 */
import type pg from 'pg'
import { lgsp } from '../../test/helpers/ops.ts'
import { PUSH_RECIPIENTS, type AcceptedDoc, type PullStats, type PushStats, type SenderStats } from './traffic.ts'

export interface ChaosResult {
  accepted: number
  lost: number
  duplicated: number
  push_duplicated: number
  status01_missing: number
  unaccepted_delivered: number
  max_hang_ms: number
  log_verified: boolean
}

/** Extra counts printed before the RESULT line and checked by the short test. */
export interface ChaosDetail {
  refused: number
  /** accepted documents without a document.accepted row in the message log */
  logAcceptedMissing: number
  /** delivered legs of documents no sender was ever answered 202 for */
  deliveredUnknown: number
  badBytes: number
  /** legs delivered while the ledger still said pending: accepted only later, when the sender resent */
  deliveredBeforeAccepted: number
  lostLegs: string[]
}

export const RESULT_KEYS: (keyof ChaosResult)[] = ['accepted', 'lost', 'duplicated', 'push_duplicated', 'status01_missing', 'unaccepted_delivered', 'max_hang_ms', 'log_verified']
export const resultLine = (r: ChaosResult) => `RESULT ${RESULT_KEYS.map((k) => `${k}=${r[k]}`).join(' ')}`

const legKey = (recipient: string, uuid: string) => `${recipient} ${uuid}`
const isPush = (recipient: string) => PUSH_RECIPIENTS.includes(recipient)

/** Legs the recipients have seen: pull items fetched from an inbox, pushes the receiver answered 2xx. */
export function deliveredLegs(pull: PullStats, push: PushStats): Set<string> {
  const out = new Set(pull.seen.keys())
  for (const key of push.successes.keys()) {
    const [uuid, recipient] = key.split(':') as [string, string]
    out.add(legKey(recipient, uuid))
  }
  return out
}

export function expectedLegs(accepted: Iterable<AcceptedDoc>): string[] {
  return [...accepted].flatMap((d) => d.to.map((r) => legKey(r, d.uuid)))
}

/** Legs whose 01 is on the sender's timeline (delivery_events, what GET /v1/documents/{id} shows). */
export async function legsWithStatus01(db: pg.Pool): Promise<Set<string>> {
  const r = await db.query<{ recipient: string; document_uuid: string }>(`select distinct recipient, document_uuid from delivery_events where status = '01'`)
  return new Set(r.rows.map((x) => legKey(x.recipient, x.document_uuid)))
}

export async function tally(o: {
  db: pg.Pool
  senders: SenderStats
  pull: PullStats
  push: PushStats
  gatewayUrl: string
  operatorKey: string
}): Promise<{ result: ChaosResult; detail: ChaosDetail }> {
  const accepted = [...o.senders.accepted.values()]
  const expected = expectedLegs(accepted)
  const delivered = deliveredLegs(o.pull, o.push)
  const lostLegs = expected.filter((l) => !delivered.has(l))
  const known = new Set(expected)

  // delivered twice: one inbox item per leg, one document (uuid) per (recipient, From, DocumentId)
  let duplicated = 0
  for (const ids of o.pull.seen.values()) if (ids.size > 1) duplicated += ids.size - 1
  for (const uuids of o.pull.byDocumentId.values()) if (uuids.size > 1) duplicated += uuids.size - 1
  for (const keys of o.push.byDocumentId.values()) if (keys.size > 1) duplicated += keys.size - 1
  // reported as new twice: two 2xx answers to one Idempotency-Key with the same attempt number
  let pushDuplicated = 0
  for (const attempts of o.push.successes.values()) pushDuplicated += attempts.length - new Set(attempts).size

  const with01 = await legsWithStatus01(o.db)
  const state = new Map((await o.db.query<{ id: string; state: string }>('select id, state from documents')).rows.map((r) => [r.id, r.state]))
  const unacceptedInboxRows = Number(
    (await o.db.query<{ n: string }>(`select count(*) as n from inbox i join documents d on d.id = i.document_uuid where d.state <> 'accepted'`)).rows[0]!.n,
  )
  let status01Missing = 0
  let unacceptedPushed = 0
  for (const leg of delivered) {
    const [recipient, uuid] = leg.split(' ') as [string, string]
    if (!with01.has(leg)) status01Missing++
    if (isPush(recipient) && state.get(uuid) !== 'accepted') unacceptedPushed++
  }
  // accepted_at is taken before the Kafka write, so a DELIVERED event older than it means the document was
  // routed from a first record whose acceptance was never written, and accepted_at is a resend's
  const early = Number(
    (
      await o.db.query<{ n: string }>(
        `select count(*) as n from delivery_events e join documents d on d.id = e.document_uuid where e.status = 'DELIVERED' and e.at < d.accepted_at`,
      )
    ).rows[0]!.n,
  )
  const logged = new Set((await o.db.query<{ document_uuid: string }>(`select document_uuid from message_log where kind = 'document.accepted'`)).rows.map((r) => r.document_uuid))
  const verify = await lgsp(['log', 'verify', '--json', '--url', o.gatewayUrl, '--key', o.operatorKey])
  if (verify.code !== 0) process.stderr.write(`chaos: lgsp log verify: ${verify.stdout.slice(0, 2000)} ${verify.stderr.slice(0, 2000)}\n`)

  return {
    result: {
      accepted: accepted.length,
      lost: lostLegs.length,
      duplicated,
      push_duplicated: pushDuplicated,
      status01_missing: status01Missing,
      unaccepted_delivered: unacceptedInboxRows + unacceptedPushed,
      max_hang_ms: Math.round(o.senders.maxHangMs),
      log_verified: verify.code === 0,
    },
    detail: {
      refused: o.senders.refused.length,
      logAcceptedMissing: accepted.filter((d) => !logged.has(d.uuid)).length,
      deliveredUnknown: [...delivered].filter((l) => !known.has(l)).length,
      badBytes: o.pull.badBytes,
      deliveredBeforeAccepted: early,
      lostLegs: lostLegs.slice(0, 20),
    },
  }
}
