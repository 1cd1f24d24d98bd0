/**
 * Statuses back from a VXP peer (PEERS "protocol": "vxp"), by the receive loop every SDK integration runs
 * (VXP-WIRE.md §The receive loop): getReceivedEdocList(messagetype=status) → getEdoc → apply →
 * updateStatus(done | fail). Applying is the federation rule for statuses from a peer
 * (pipeline/federated-status.ts): the peer may speak only for legs forwarded to it, and the event key comes
 * from the axis' docId, so a package seen twice (a crash before updateStatus, two replicas) is applied once.
 * A package the gateway refuses (not a status, unknown document, a leg not forwarded there) is answered
 * `fail` so the axis stops offering it; a transport or store failure leaves it for the next round.
 */
import type { Runtime } from '../runtime.ts'
import type { Peer } from '../config/config.ts'
import type { Principal } from '../store/clients-repo.ts'
import { GatewayError } from '../errors.ts'
import { readIncoming } from '../pipeline/incoming.ts'
import { statusInstant } from '../pipeline/submit-status.ts'
import { acceptFederatedStatus } from '../pipeline/federated-status.ts'
import { PEER_CLIENT_PREFIX } from '../adapters/upstream.ts'
import { callVxp, type VxpAnswerJson } from '../adapters/vxp-call.ts'

/** The peer as the federation rules know it: its URL is the gateway its legs were FORWARDED to. */
const peerPrincipal = (p: Peer): Principal => ({ clientId: `${PEER_CLIENT_PREFIX}${p.url}`, name: `VXP peer ${p.id ?? p.url}`, role: 'gateway', organIds: new Set(p.jurisdiction) })

export async function startVxpStatusPoll(rt: Runtime): Promise<{ stop(): Promise<void> }> {
  const peers = rt.config.peers.filter((p) => p.protocol === 'vxp')
  const log = rt.log.child({ c: 'vxp-status-poll' })
  let stopped = peers.length === 0
  let timer: NodeJS.Timeout | undefined
  let round: Promise<void> | null = null
  const schedule = () => {
    if (stopped) return
    timer = setTimeout(() => {
      round = (async () => {
        for (const p of peers) await pollPeer(rt, p).catch((err) => log.warn({ err, peer: p.url }, 'status collection failed; next round retries'))
      })()
      void round.finally(() => { round = null; schedule() })
    }, rt.config.vxpPollMs)
  }
  schedule()
  return { async stop() { stopped = true; clearTimeout(timer); await round } }
}

async function pollPeer(rt: Runtime, peer: Peer): Promise<void> {
  const log = rt.log.child({ c: 'vxp-status-poll', peer: peer.url })
  const call = (op: string, params: [string, string][], maxBytes = 4 * 1024 * 1024): Promise<VxpAnswerJson> =>
    callVxp(peer, op, { params, timeoutMs: rt.config.deliveryTimeoutMs, maxBytes, offset: rt.config.vxpTimestampOffset })
  const list = await call('getReceivedEdocList', [['servicetype', 'eDoc'], ['messagetype', 'status']])
  if (list.status !== 'OK') throw new Error(`getReceivedEdocList: ${list.ErrorCode} ${list.ErrorDesc}`)
  const items = Array.isArray(list.data) ? (list.data as { docId?: unknown }[]) : []
  for (const { docId } of items) {
    if (typeof docId !== 'string' || !docId) continue
    const got = await call('getEdoc', [['docId', docId]], rt.config.bodyLimit * 2)
    if (got.status !== 'OK' || typeof got.data !== 'string') {
      log.warn({ docId, code: got.ErrorCode }, 'getEdoc refused; next round retries')
      continue
    }
    let outcome: 'done' | 'fail' = 'done'
    try {
      const env = readIncoming(rt, Buffer.from(got.data, 'base64'), 'application/xml').envelope
      if (env.kind !== 'status') throw new GatewayError('BAD_REQUEST', 'a document package in the status list')
      await acceptFederatedStatus(rt, peerPrincipal(peer), {
        from: env.responseFor.organId, documentId: env.responseFor.documentId, recipient: env.from, status: env.statusCode,
        at: statusInstant(env.timestamp), eventKey: `vxp:${docId}`, statusPackage: got.data, statusFrom: env.from,
      })
    } catch (e) {
      if (!(e instanceof GatewayError) || e.status >= 500) throw e
      log.error({ docId, code: e.code, detail: e.message }, 'status from the VXP peer refused; answered fail')
      outcome = 'fail'
    }
    const ack = await call('updateStatus', [['docid', docId], ['status', outcome]])
    if (ack.status !== 'OK') log.warn({ docId, code: ack.ErrorCode }, 'updateStatus refused; the status may be offered again (applied once)')
  }
}
