/**
 * Upstream gateway adapter (federation): a document for recipients owned by another gateway is POSTed,
 * original bytes untouched (the sender's signature stays valid), to that gateway's `POST /v1/documents`
 * with this gateway's credentials for the link. One call per (document, gateway): the router groups the
 * recipients, and `Lgsp-Forward-For` tells the receiving gateway which recipients of the package it is
 * asked to route (the others are handled elsewhere). The receiving gateway dedupes on (From, DocumentId),
 * so a retried forward is answered with the first receipt.
 *
 * Peers (config PEERS): one pre-shared key per link, used both ways — we call the peer with it, and the
 * peer calls us with it (statuses back, or documents down), authenticating as a 'gateway' client whose
 * organIds are the jurisdiction patterns it may forward From. The peer's base URL is its identity.
 */
import type { Runtime } from '../runtime.ts'
import type { Peer } from '../config/config.ts'
import type { Tier } from '../routing/types.ts'
import { forwardedLegs, recordEvent } from '../store/ledger-repo.ts'
import { disablePeersExcept, saveClient } from '../store/clients-repo.ts'
import { PermanentDeliveryError, type DeliveryAdapter } from './adapter.ts'
import { boundedPost, deliveryIdOf, judge, packageBodyOf } from './http-push.ts'
import { SpanKind, traceHeaders } from '../tracing/index.ts'
import { deliverToVxp } from './vxp-upstream.ts'
import { eventKey } from '../delivery/event-key.ts'

export const FORWARD_FOR_HEADER = 'lgsp-forward-for'
export const PEER_CLIENT_PREFIX = 'peer:'

const norm = (u: string) => u.replace(/\/+$/, '')

/** The peer a directory `gateway` value (base URL or peer id) names. */
export function peerFor(rt: Pick<Runtime, 'config'>, gateway: string): Peer | undefined {
  const g = norm(gateway)
  return rt.config.peers.find((p) => p.url === g || (p.id !== undefined && p.id === gateway))
}

/** The peer URL of a 'gateway' principal (its client id is `peer:<url>`). */
export const peerUrlOfClient = (clientId: string) => (clientId.startsWith(PEER_CLIENT_PREFIX) ? clientId.slice(PEER_CLIENT_PREFIX.length) : null)

/** Makes the clients table match PEERS: one 'gateway' client per link, links no longer configured disabled. */
export async function syncPeerClients(rt: Runtime): Promise<void> {
  await rt.db.tx(async (q) => {
    for (const p of rt.config.peers.filter((x) => x.protocol !== 'vxp')) {
      // a VXP axis never calls us: nothing to authenticate
      await saveClient(q, { id: `${PEER_CLIENT_PREFIX}${p.url}`, name: `peer gateway ${p.id ?? p.url}`, role: 'gateway', organIds: p.jurisdiction, key: p.key })
    }
    await disablePeersExcept(
      q,
      rt.config.peers.filter((x) => x.protocol !== 'vxp').map((p) => `${PEER_CLIENT_PREFIX}${p.url}`),
    )
  })
}

export const upstreamAdapter: DeliveryAdapter = {
  kind: 'gateway',
  async deliver(rt, record, agency, ctx) {
    const gateway = record.gateway ?? (agency?.endpoint.kind === 'gateway' ? agency.endpoint.url : agency?.gateway)
    if (!gateway) throw new PermanentDeliveryError(`no gateway to forward ${deliveryIdOf(record)} to`)
    const peer = peerFor(rt, gateway)
    if (!peer) throw new PermanentDeliveryError(`no credentials for gateway ${gateway}: add it to PEERS`)
    if (peer.protocol === 'vxp') return deliverToVxp(rt, peer, record, ctx) // the national axis' protocol, selected per peer
    const recipients = record.recipients ?? [record.recipient]
    if ((await forwardedLegs(rt.db, record.id, recipients)).length === recipients.length) return { fresh: false, arrived: false }

    const url = `${peer.url}/v1/documents`
    const pkg = await packageBodyOf(rt, record) // a large package is streamed to the peer, which streams it in
    // a CLIENT span for the hop; its `traceparent` makes the peer's accept span continue this trace
    const res = await rt.tracing.span('gateway.forward', { kind: SpanKind.CLIENT, attributes: { 'url.full': url, 'lgsp.recipients': recipients.length } }, async (span) => {
      const r = await boundedPost(
        rt,
        url,
        pkg.body,
        {
          'content-type': pkg.contentType,
          authorization: `Bearer ${peer.key}`,
          [FORWARD_FOR_HEADER]: recipients.join(','),
          'idempotency-key': `${record.id}:${peer.url}`,
          'x-lgsp-attempt': String(ctx.attempt),
          'user-agent': `lgsp-gateway/${rt.config.gatewayId}`,
          ...traceHeaders(),
        },
        ctx.timeoutMs,
      )
      span.setAttribute('http.response.status_code', r.status)
      return r
    })
    judge(url, res) // a 409 (same DocumentId, other bytes) or 422 (unknown recipient there) will not change
    let answer: { id?: string; recipients?: { organId: string; tier: Tier }[] } = {}
    try {
      answer = JSON.parse(res.body)
    } catch {
      /* a 2xx without our JSON: still forwarded */
    }
    const at = new Date().toISOString()
    await rt.db.tx(async (q) => {
      for (const r of recipients) {
        await recordEvent(q, {
          eventKey: eventKey(record.id, r, 'FORWARDED'),
          id: record.id,
          recipient: r,
          status: 'FORWARDED',
          at,
          detail: {
            gateway: peer.url,
            remoteId: answer.id ?? null,
            remoteTier: answer.recipients?.find((x) => x.organId === r)?.tier ?? null,
            replayed: res.headers.get('idempotent-replayed') === 'true',
          },
        })
      }
    })
    return { fresh: true, arrived: false }
  },
}
