/**
 * Status return (issue #5): every status on `receipts` about a document that came from a peer gateway is
 * handed back to that peer (POST /v1/federation/receipts with the link's key), which applies it to its own
 * timeline and, if the document came to it from yet another gateway, hands it on. So a recipient's 01 at
 * the H53 gateway reaches the sender's timeline at H41 through the central gateway.
 *
 * Own consumer group, so a peer that is down never delays the local timeline projection. A transient
 * failure throws (the offset stays uncommitted and kafkajs retries with backoff); a refusal (4xx) is
 * logged and skipped — retrying cannot change it.
 */
import type { Runtime } from '../runtime.ts'
import type { ReceiptRecord } from '../bus/topics.ts'
import { getDocument } from '../store/ledger-repo.ts'
import { peerFor } from '../adapters/upstream.ts'
import { boundedPost } from '../adapters/http-push.ts'
import type { FederatedStatus } from '../pipeline/federated-status.ts'

/** statuses that travel from the document's sender to its recipients (13 thu hồi) do not go back */
const DOWNSTREAM = new Set(['13'])
const RETURNED = /^(\d{2}|DELIVERY_FAILED)$/

export async function startStatusReturn(rt: Runtime) {
  const log = rt.log.child({ c: 'status-return' })
  return rt.bus.consume({
    groupId: `${rt.config.topicPrefix}status-return`,
    topics: [rt.topics.receipts],
    handler: async (_topic, value) => {
      const r = value as ReceiptRecord & { statusContentType?: string; statusFrom?: string }
      // business statuses and the final failure travel back; other gateway events (DELIVERED for webhooks,
      // #6) are this gateway's own business: the origin already has FORWARDED for the leg
      if (DOWNSTREAM.has(r.status) || !RETURNED.test(r.status)) return
      const doc = await getDocument(rt.db, r.id)
      const via = (doc as (typeof doc & { via_peer?: string | null }) | null)?.via_peer
      if (!doc || !via) return
      const peer = peerFor(rt, via)
      if (!peer) {
        log.error({ id: r.id, via }, 'document came from a peer no longer in PEERS; status not returned')
        return
      }
      const body: FederatedStatus = {
        from: doc.from_organ, documentId: doc.document_id, recipient: r.recipient, status: r.status, at: r.at, eventKey: r.eventKey,
        ...(r.statusBlob ? { statusPackage: (await rt.blobs.get(r.statusBlob)).toString('base64') } : {}),
        ...(r.statusContentType ? { statusContentType: r.statusContentType } : {}),
        ...(r.statusFrom ? { statusFrom: r.statusFrom } : {}),
      }
      const url = `${peer.url}/v1/federation/receipts`
      const res = await boundedPost(url, JSON.stringify(body), { 'content-type': 'application/json', authorization: `Bearer ${peer.key}` }, rt.config.deliveryTimeoutMs)
      if (res.status >= 200 && res.status < 300) {
        log.debug({ id: r.id, recipient: r.recipient, status: r.status, peer: peer.url }, 'status returned to peer')
        return
      }
      if (res.status >= 400 && res.status < 500 && ![401, 403, 408, 425, 429].includes(res.status)) {
        log.error({ id: r.id, recipient: r.recipient, status: r.status, peer: peer.url, http: res.status, body: res.body.slice(0, 300) }, 'peer refused the status; skipped')
        return
      }
      throw new Error(`status return to ${url}: HTTP ${res.status}`)
    },
  })
}
