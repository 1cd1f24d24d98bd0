/**
 * What a VXP peer (PEERS "protocol": "vxp") holds for this gateway, collected by the receive loop every SDK
 * integration runs (VXP-WIRE.md §The receive loop), both message types, every VXP_POLL_MS:
 *
 *   edoc   getReceivedEdocList → getEdoc → accepted as a document the peer forwards (acceptDocument, the
 *          peer's principal, the item's `to` as the one recipient it asks us to route) → updateStatus(done)
 *   status getReceivedEdocList → getEdoc → applied as a peer's status (federation/peer-statuses.ts: the
 *          peer may speak only for legs forwarded to it) → updateStatus(done)
 *
 * Idempotent: a document is deduped on (From, DocumentId), a status's event key comes from the axis' docId,
 * so an item offered twice (a crash before updateStatus, two replicas) has one effect. A package the gateway
 * refuses is answered `fail` so the axis stops offering it; a transport or store failure leaves it for the
 * next round.
 */
import type { Runtime } from '../runtime.ts'
import type { Peer } from '../config/config.ts'
import type { Principal } from '../store/clients-repo.ts'
import { GatewayError } from '../errors.ts'
import { readIncoming } from '../ingest/incoming.ts'
import { statusInstant } from '../receipts/submit-status.ts'
import { acceptFederatedStatus } from './peer-statuses.ts'
import { acceptDocument } from '../ingest/accept-document.ts'
import { PEER_CLIENT_PREFIX } from '../adapters/upstream.ts'
import { callVxp, type VxpAnswerJson } from '../adapters/vxp-call.ts'

/** The peer as the federation rules know it: its URL is the gateway its legs were FORWARDED to. */
const peerPrincipal = (p: Peer): Principal => ({ clientId: `${PEER_CLIENT_PREFIX}${p.url}`, name: `VXP peer ${p.id ?? p.url}`, role: 'gateway', organIds: new Set(p.jurisdiction) })

export async function startVxpPeerPoll(rt: Runtime): Promise<{ stop(): Promise<void> }> {
  const peers = rt.config.peers.filter((p) => p.protocol === 'vxp')
  const log = rt.log.child({ c: 'vxp-peer-poll' })
  let stopped = peers.length === 0
  let timer: NodeJS.Timeout | undefined
  let round: Promise<void> | null = null
  const schedule = () => {
    if (stopped) return
    timer = setTimeout(() => {
      round = (async () => {
        for (const p of peers) await pollPeer(rt, p).catch((err) => log.warn({ err, peer: p.url }, 'collection from the VXP peer failed; next round retries'))
      })()
      void round.finally(() => {
        round = null
        schedule()
      })
    }, rt.config.vxpPollMs)
  }
  schedule()
  return {
    async stop() {
      stopped = true
      clearTimeout(timer)
      await round
    },
  }
}

async function pollPeer(rt: Runtime, peer: Peer): Promise<void> {
  const log = rt.log.child({ c: 'vxp-peer-poll', peer: peer.url })
  const call = (op: string, params: [string, string][], maxBytes = 4 * 1024 * 1024): Promise<VxpAnswerJson> =>
    callVxp(peer, op, { params, timeoutMs: rt.config.deliveryTimeoutMs, maxBytes, offset: rt.config.vxpTimestampOffset })
  const who = peerPrincipal(peer)
  for (const messageType of ['edoc', 'status'] as const) {
    const list = await call('getReceivedEdocList', [
      ['servicetype', 'eDoc'],
      ['messagetype', messageType],
    ])
    if (list.status !== 'OK') throw new Error(`getReceivedEdocList(${messageType}): ${list.ErrorCode} ${list.ErrorDesc}`)
    const items = Array.isArray(list.data) ? (list.data as { docId?: unknown; to?: unknown }[]) : []
    for (const { docId, to } of items) {
      if (typeof docId !== 'string' || !docId) continue
      const got = await call('getEdoc', [['docId', docId]], rt.config.bodyLimit * 2)
      if (got.status !== 'OK' || typeof got.data !== 'string') {
        log.warn({ docId, code: got.ErrorCode }, 'getEdoc refused; next round retries')
        continue
      }
      const bytes = Buffer.from(got.data, 'base64')
      let outcome: 'done' | 'fail' = 'done'
      try {
        if (messageType === 'edoc') await acceptDocument(rt, who, bytes, 'application/xml', typeof to === 'string' && to ? { forwardFor: [to] } : {})
        else await applyStatus(rt, who, docId, bytes)
      } catch (e) {
        if (!(e instanceof GatewayError) || e.status >= 500) throw e
        log.error({ docId, messageType, code: e.code, detail: e.message }, 'package from the VXP peer refused; answered fail')
        outcome = 'fail'
      }
      const ack = await call('updateStatus', [
        ['docid', docId],
        ['status', outcome],
      ])
      if (ack.status !== 'OK') log.warn({ docId, code: ack.ErrorCode }, 'updateStatus refused; the package may be offered again (one effect)')
    }
  }
}

async function applyStatus(rt: Runtime, who: Principal, docId: string, bytes: Buffer): Promise<void> {
  const env = readIncoming(rt, bytes, 'application/xml').envelope
  if (env.kind !== 'status') throw new GatewayError('BAD_REQUEST', 'a document package in the status list')
  await acceptFederatedStatus(rt, who, {
    from: env.responseFor.organId,
    documentId: env.responseFor.documentId,
    recipient: env.from,
    status: env.statusCode,
    at: statusInstant(env.timestamp),
    eventKey: `vxp:${docId}`,
    statusPackage: bytes.toString('base64'),
    statusFrom: env.from,
  })
}
