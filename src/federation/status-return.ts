/**
 * Statuses between gateways, one consumer of `receipts`:
 *
 * Up — every recipient's status about a document that came from a peer gateway is handed back to that
 * peer (POST /v1/federation/receipts with the link's key), which applies it to its own timeline and, if the
 * document came to it from yet another gateway, hands it on. So a recipient's 01 at the H53 gateway reaches
 * the sender's timeline at H41 through the central gateway.
 *
 * Down — the sender's 13 (thu hồi) goes the other way: for a recipient whose leg this gateway FORWARDED,
 * it is passed on, with the sender's status package, to the gateway the leg was forwarded to (POST
 * /v1/federation/recalls), which applies it to its copy of the document (timeline, the recipient's status
 * inbox) and passes it on again if it forwarded that leg too. The recipient's 15/16 then travels up.
 * A 13 that arrives while its leg is routed to a peer but not yet forwarded waits for the forward (the
 * record is retried); a leg whose forward gave up (DELIVERY_FAILED) has nobody downstream to tell.
 *
 * Own consumer group, so a peer that is down never delays the local timeline projection. A transient
 * failure throws (the offset stays uncommitted and kafkajs retries with backoff); a refusal (4xx) is
 * logged and skipped — retrying cannot change it.
 */
import type { Runtime } from '../runtime.ts'
import type { ReceiptRecord } from '../bus/topics.ts'
import { legEvents } from '../store/ledger-repo.ts'
import { documentFacts } from '../store/document-facts.ts'
import { peerFor } from '../adapters/upstream.ts'
import { boundedPost } from '../adapters/http-push.ts'
import { CONSUMERS } from '../bus/consumers.ts'
import { consume } from '../bus/consume.ts'
import type { FederatedStatus } from './peer-statuses.ts'
import type { Peer } from '../config/config.ts'
import { sendStatusToVxp } from '../adapters/vxp-upstream.ts'
import { addressedCodeOf } from '../store/succession-repo.ts'
import { httpOutcome } from '../delivery/contract.ts'

/** statuses that travel from the document's sender to its recipients (13 thu hồi): down, never back */
const DOWNSTREAM = new Set(['13'])
const RETURNED = /^(\d{2}|DELIVERY_FAILED)$/

export async function startStatusReturn(rt: Runtime) {
  const log = rt.log.child({ c: 'status-return' })

  /** POSTs the status to the peer; 2xx done, a lasting refusal logged and skipped, anything else thrown (retry). */
  const handTo = async (peer: Peer, path: string, r: ReceiptRecord, body: FederatedStatus) => {
    const url = `${peer.url}${path}`
    const res = await boundedPost(rt, url, JSON.stringify(body), { 'content-type': 'application/json', authorization: `Bearer ${peer.key}` }, rt.config.deliveryTimeoutMs)
    const outcome = httpOutcome(res.status)
    if (outcome === 'done') {
      log.debug({ id: r.id, recipient: r.recipient, status: r.status, url }, 'status handed to peer')
      return
    }
    if (outcome === 'refused') {
      log.error({ id: r.id, recipient: r.recipient, status: r.status, url, http: res.status, body: res.body.slice(0, 300) }, 'peer refused the status; skipped')
      return
    }
    throw new Error(`status to ${url}: HTTP ${res.status}`)
  }

  const bodyOf = async (doc: { from_organ: string; document_id: string }, r: ReceiptRecord): Promise<FederatedStatus> => ({
    from: doc.from_organ,
    documentId: doc.document_id,
    recipient: r.recipient,
    status: r.status,
    at: r.at,
    eventKey: r.eventKey,
    ...(r.statusBlob ? { statusPackage: (await rt.blobs.get(r.statusBlob)).toString('base64') } : {}),
    ...(r.statusContentType ? { statusContentType: r.statusContentType } : {}),
    ...(r.statusFrom ? { statusFrom: r.statusFrom } : {}),
  })

  /** A national axis (PEERS protocol vxp) takes statuses as the SDK sends them: the package, by sendEdoc. */
  const toVxp = async (peer: Peer, r: ReceiptRecord, from: string) => {
    if (!r.statusBlob) return // a gateway event (DELIVERY_FAILED) has no package the axis could take
    const sent = await sendStatusToVxp(rt, peer, from, await rt.blobs.get(r.statusBlob), r.statusContentType)
    if (sent === 'refused') log.error({ id: r.id, recipient: r.recipient, status: r.status, url: peer.url }, 'the VXP peer refused the status; skipped')
  }

  /** 13 → the gateway this leg was forwarded to, if it was. */
  const passDown = async (r: ReceiptRecord) => {
    const events = await legEvents(rt.db, r.id, [r.recipient], ['ROUTED', 'FORWARDED', 'DELIVERY_FAILED'])
    const forwarded = events.find((e) => e.status === 'FORWARDED')?.detail?.gateway
    if (!forwarded) {
      const routedTo = events.find((e) => e.status === 'ROUTED')?.detail?.gateway
      if (!routedTo) return // a local leg: the receipts projection already put 13 in the recipient's status inbox
      if (events.some((e) => e.status === 'DELIVERY_FAILED')) {
        log.warn({ id: r.id, recipient: r.recipient, gateway: routedTo }, 'recall for a leg whose forward gave up; nobody downstream to tell')
        return
      }
      throw new Error(`recall of ${r.id} for ${r.recipient} waits for the forward to ${routedTo}`)
    }
    const doc = await documentFacts(rt.db, r.id)
    if (!doc) return
    const peer = peerFor(rt, forwarded)
    if (!peer) {
      log.error({ id: r.id, recipient: r.recipient, gateway: forwarded }, 'leg was forwarded to a peer no longer in PEERS; recall not passed on')
      return
    }
    if (peer.protocol === 'vxp') return toVxp(peer, r, doc.from_organ)
    await handTo(peer, '/v1/federation/recalls', r, await bodyOf(doc, r))
  }

  return consume(rt, CONSUMERS.statusReturn, async (r) => {
    // business statuses and the final failure travel; other gateway events (DELIVERED, for webhooks)
    // are this gateway's own business: the origin already has FORWARDED for the leg
    if (!RETURNED.test(r.status)) return
    if (DOWNSTREAM.has(r.status)) return passDown(r)
    const doc = await documentFacts(rt.db, r.id)
    const via = doc?.via_peer
    if (!doc || !via) return
    const peer = peerFor(rt, via)
    if (!peer) {
      log.error({ id: r.id, via }, 'document came from a peer no longer in PEERS; status not returned')
      return
    }
    if (peer.protocol === 'vxp') return toVxp(peer, r, r.statusFrom ?? r.recipient)
    // the peer knows the leg by the code it forwarded (a closed one, when this gateway redirected it)
    await handTo(peer, '/v1/federation/receipts', r, { ...(await bodyOf(doc, r)), recipient: await addressedCodeOf(rt.db, r.id, r.recipient) })
  })
}
