/**
 * One conformance suite for every delivery adapter (STYLE 8; the port is src/adapters/adapter.ts), driven
 * directly through ADAPTERS with a real runtime (real Kafka, PostgreSQL, blob store) and real receivers:
 * node:http servers for HTTP and SOAP push, the ledger for the pull inbox, a second gateway for upstream —
 * both through its federation API and, for a VXP peer (PEERS "protocol": "vxp"), through its /vxp surface.
 *
 * The contract, the same table row by row:
 *   1 delivers the exact bytes the sender sent (sha256 equal) and reports `arrived` as the adapter can
 *     know it (push: the 2xx proves arrival; inbox and forward: no)
 *   2 a second `deliver` of the same record has no second effect and reports fresh: false
 *   3 a transient failure (receiver busy, down; the store down for the inbox) throws a retryable error —
 *     not PermanentDeliveryError — and leaves nothing behind: the next attempt delivers, once
 *   4 a permanent refusal (HTTP 422 / 400, SOAP Client fault, the peer gateway's 422 UNKNOWN_RECIPIENT)
 *     throws PermanentDeliveryError (not applicable to the inbox: nobody there can refuse)
 *
 * The sending gateway's workers are stopped, so the adapter calls here are the only deliveries; documents
 * are accepted through its API so every record names a real leg.
 */
import t from 'tap'
import crypto from 'node:crypto'
import { eventually, startGateway, type TestGateway } from '../helpers/gateway.ts'
import { edoc, freePort, linkKey } from '../helpers/federation.ts'
import { restartableServer } from '../helpers/restartable-server.ts'
import { ADAPTERS } from '../../src/adapters/index.ts'
import { PermanentDeliveryError, type DeliveryOutcome } from '../../src/adapters/adapter.ts'
import type { DeliveryRecord } from '../../src/bus/topics.ts'
import type { Runtime } from '../../src/runtime.ts'
import type { Agency, Tier } from '../../src/routing/types.ts'

const SENDER = '000.00.00.H41'
const HTTP_TO = '000.23.30.H41'
const SOAP_TO = '000.25.30.H41'
const INBOX_TO = '000.22.31.H41' // demo commune, pull inbox
const UPSTREAM_TO = '000.00.00.G14' // central agency: the sending gateway forwards, the central gateway delivers
const UNKNOWN_UPSTREAM = '000.21.31.H53' // nobody on the central gateway knows it: 422 UNKNOWN_RECIPIENT there

const sha = (b: Buffer) => crypto.createHash('sha256').update(b).digest('hex')

/** 'down' stops the receiver; a mode starting with 'refuse' is a permanent refusal */
type Mode = 'ok' | 'busy' | 'down' | 'refuse' | 'refuse-400'

/** A node:http receiver whose answer is switched by mode; it keeps every body it accepted (2xx). */
function receiver(port: number, answers: Partial<Record<Mode, { status: number; body: string; type: string }>>) {
  let mode: Mode = 'ok'
  const accepted: { key: string; body: Buffer }[] = []
  let hits = 0
  const { start, stop, running } = restartableServer(port, (req, body, res) => {
    hits++
    const a = answers[mode] ?? answers.busy!
    if (a.status < 300) accepted.push({ key: String(req.headers['idempotency-key']), body })
    res.writeHead(a.status, { 'content-type': a.type, connection: 'close' }).end(a.body)
  })
  return {
    accepted,
    hits: () => hits,
    start,
    stop,
    async set(m: Mode) {
      if (m === 'down') await stop()
      else if (!running()) await start()
      mode = m
    },
  }
}

const soapFault = (code: 'Client' | 'Server') => ({
  status: 500,
  type: 'text/xml; charset=utf-8',
  body: `<?xml version="1.0"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><soap:Fault><faultcode>soap:${code}</faultcode><faultstring>${code === 'Client' ? 'gói tin bị từ chối' : 'bận'}</faultstring></soap:Fault></soap:Body></soap:Envelope>`,
})

interface Attempt {
  rt?: Runtime
  gateway?: string
  recipient?: string
}

/** One row of the table: how to reach the adapter's receiver, and how to make it fail. */
interface Case {
  kind: string
  /** the subtest's name when one adapter kind has several rows (the upstream one, per peer protocol) */
  name?: string
  recipient: string
  tier: Tier
  /** what a successful delivery reports as `arrived` */
  arrived: boolean
  /** the record's `gateway` (forward path) */
  gateway?: string
  /** puts the receiver in `m`; what the attempt must use instead (a runtime, a gateway, a recipient) */
  mode(m: Mode): Promise<Attempt>
  /** every copy of the record's package the receiver holds */
  received(rec: DeliveryRecord): Promise<Buffer[]>
  /** the failure modes that apply: transient ones and, when someone can refuse, 'refuse…' */
  failures: Mode[]
}

t.test('every delivery adapter keeps the same contract', async (t) => {
  const [pCentral, pSender, pHttp, pSoap, pPeer] = await Promise.all([freePort(), freePort(), freePort(), freePort(), freePort()])
  const url = (p: number) => `http://127.0.0.1:${p}`
  const [k1, k2] = [linkKey(), linkKey()]
  const central = await startGateway(t, { port: pCentral, gatewayId: 'central', jurisdiction: ['*.G*'], peers: [{ url: url(pSender), key: k1, jurisdiction: ['*.H41'] }] })
  // the central gateway's /vxp surface knows the sender gateway as a relay system for *.H41
  const relay = (await (
    await central.call('operator', 'POST', '/v1/ops/vxp-systems', JSON.stringify({ systemId: 'lgsp.h41', name: 'LGSP Nghệ An', organIds: ['*.H41'] }), {
      'content-type': 'application/json',
    })
  ).json()) as { secret: string }
  const vxpCentral = `${url(pCentral)}/vxp`
  const vxpFake = `${url(pPeer)}/vxp`
  // the sender's PEERS: the real central gateway, and a fake one (node:http) that is busy or down
  const gw: TestGateway = await startGateway(t, {
    port: pSender,
    gatewayId: 'h41',
    jurisdiction: ['*.H41'],
    parentGatewayUrl: url(pCentral),
    peers: [
      { url: url(pCentral), key: k1, jurisdiction: ['*'] },
      { url: url(pPeer), key: k2, jurisdiction: ['*.H99'] },
      { url: vxpCentral, key: '', protocol: 'vxp', systemId: 'lgsp.h41', secret: relay.secret, jurisdiction: ['*'] },
      { url: vxpFake, key: '', protocol: 'vxp', systemId: 'lgsp.h41', secret: 'unused', jurisdiction: ['*.H99'] },
    ],
  })
  await gw.workers.stop()

  const json = { 'content-type': 'application/json' }
  for (const [id, endpoint] of [
    [HTTP_TO, `${url(pHttp)}/lienthong`],
    [SOAP_TO, `soap:${url(pSoap)}/soap`],
  ] as const) {
    t.equal((await gw.call('operator', 'PUT', `/v1/agencies/${id}`, JSON.stringify({ name: `Cơ quan ${id}`, tier: 'commune', endpoint }), json)).status, 201)
  }

  const ok = { status: 200, body: 'ok', type: 'text/plain' }
  const httpRx = receiver(pHttp, {
    ok,
    busy: { status: 503, body: 'busy', type: 'text/plain' },
    refuse: { status: 422, body: 'bad package', type: 'text/plain' },
    'refuse-400': { status: 400, body: 'malformed', type: 'text/plain' },
  })
  const soapRx = receiver(pSoap, { ok: { status: 200, body: '<ok/>', type: 'text/xml' }, busy: soapFault('Server'), refuse: soapFault('Client') })
  const peerRx = receiver(pPeer, { busy: { status: 503, body: 'busy', type: 'text/plain' } })
  await Promise.all([httpRx.start(), soapRx.start(), peerRx.start()])
  t.teardown(async () => {
    await Promise.all([httpRx.stop(), soapRx.stop(), peerRx.stop()])
  })

  /** the store is down: every query fails as a lost connection does */
  const lost = () => Promise.reject(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }))
  const storeDown = Object.create(gw.rt, { db: { value: { ...gw.rt.db, query: lost, tx: lost } } }) as Runtime

  const cases: Case[] = [
    {
      kind: 'inbox',
      recipient: INBOX_TO,
      tier: 'commune',
      arrived: false,
      failures: ['down'],
      async mode(m) {
        return m === 'down' ? { rt: storeDown } : {}
      },
      async received(rec) {
        const items = ((await (await gw.call(INBOX_TO, 'GET', '/v1/inbox?all=true')).json()) as { items: { id: string; documentUuid: string }[] }).items
        return Promise.all(items.filter((i) => i.documentUuid === rec.id).map(async (i) => Buffer.from(await (await gw.call(INBOX_TO, 'GET', `/v1/inbox/${i.id}`)).arrayBuffer())))
      },
    },
    {
      kind: 'http',
      recipient: HTTP_TO,
      tier: 'commune',
      arrived: true,
      failures: ['busy', 'down', 'refuse', 'refuse-400'],
      async mode(m) {
        await httpRx.set(m)
        return {}
      },
      async received(rec) {
        return httpRx.accepted.filter((h) => h.key === `${rec.id}:${rec.recipient}`).map((h) => h.body)
      },
    },
    {
      kind: 'soap',
      recipient: SOAP_TO,
      tier: 'commune',
      arrived: true,
      failures: ['busy', 'down', 'refuse'],
      async mode(m) {
        await soapRx.set(m)
        return {}
      },
      async received(rec) {
        return soapRx.accepted
          .filter((h) => h.key === `${rec.id}:${rec.recipient}`)
          .map((h) => Buffer.from(/<d:Package>([^<]*)<\/d:Package>/.exec(h.body.toString('utf8'))![1]!, 'base64'))
      },
    },
    {
      kind: 'gateway',
      recipient: UPSTREAM_TO,
      tier: 'central',
      arrived: false,
      gateway: url(pCentral),
      failures: ['busy', 'down', 'refuse'],
      async mode(m) {
        if (m === 'ok') return {}
        if (m === 'refuse') return { recipient: UNKNOWN_UPSTREAM }
        await peerRx.set(m)
        return { gateway: url(pPeer) }
      },
      async received(rec) {
        // what the central gateway accepted and stored for this document: its ledger blob
        const rows = (await central.rt.db.query<{ blob_key: string }>('select blob_key from documents where from_organ = $1 and document_id = $2', [rec.from, rec.documentId])).rows
        return Promise.all(rows.map((r) => central.rt.blobs.get(r.blob_key)))
      },
    },
    {
      kind: 'gateway',
      name: 'gateway (VXP peer: sendEdoc to the central /vxp)',
      recipient: UPSTREAM_TO,
      tier: 'central',
      arrived: false,
      gateway: vxpCentral,
      failures: ['busy', 'down', 'refuse'],
      async mode(m) {
        if (m === 'ok') return {}
        if (m === 'refuse') return { recipient: UNKNOWN_UPSTREAM } // FAIL UNKNOWN_RECIPIENT from the axis
        await peerRx.set(m)
        return { gateway: vxpFake }
      },
      async received(rec) {
        const rows = (
          await central.rt.db.query<{ blob_key: string; client_id: string }>('select blob_key, client_id from documents where from_organ = $1 and document_id = $2', [
            rec.from,
            rec.documentId,
          ])
        ).rows
        return Promise.all(rows.filter((r) => r.client_id === 'vxp:lgsp.h41').map((r) => central.rt.blobs.get(r.blob_key)))
      },
    },
  ]
  t.same([...new Set(cases.map((c) => c.kind))].sort(), [...ADAPTERS.keys()].sort(), 'the table covers every adapter in ADAPTERS')

  let no = 1000
  const sent = new Map<string, Buffer>()
  /** a fresh document from SENDER to `recipient`, accepted by the gateway; its delivery record */
  const newRecord = async (c: Case, a: Attempt): Promise<DeliveryRecord> => {
    const recipient = a.recipient ?? c.recipient
    const bytes = await gw.sign(SENDER, edoc(SENDER, [recipient], ++no))
    const res = await gw.call(SENDER, 'POST', '/v1/documents', bytes)
    if (res.status !== 202) throw new Error(`document to ${recipient} not accepted: ${res.status} ${await res.text()}`)
    const { id } = (await res.json()) as { id: string }
    sent.set(id, bytes)
    const gateway = a.gateway ?? c.gateway
    return {
      id,
      recipient,
      tier: c.tier,
      from: SENDER,
      documentId: `${SENDER},2026/11/23,${no}/UBND-VP`,
      sha256: sha(bytes),
      ...(gateway ? { gateway, recipients: [recipient] } : {}),
    }
  }
  const agencyOf = (rec: DeliveryRecord): Agency | null => (rec.gateway ? null : (gw.rt.directory().get(rec.recipient) ?? null))
  let attempt = 0
  const deliver = (c: Case, rec: DeliveryRecord, rt: Runtime = gw.rt): Promise<DeliveryOutcome> =>
    ADAPTERS.get(c.kind)!.deliver(rt, rec, agencyOf(rec), { attempt: ++attempt, timeoutMs: 2000 })

  for (const c of cases) {
    await t.test(`adapter ${c.name ?? c.kind}`, async (t) => {
      await c.mode('ok')
      const rec = await newRecord(c, {})
      t.same(await deliver(c, rec), { fresh: true, arrived: c.arrived }, `1 delivered, arrived: ${c.arrived}`)
      const copies = await eventually(
        async () => {
          const r = await c.received(rec)
          return r.length ? r : null
        },
        10_000,
        'the receiver has it',
      )
      t.equal(copies.length, 1, '1 one copy at the receiver')
      t.equal(sha(copies[0]!), rec.sha256, '1 sha256 of what arrived = sha256 of what was sent')
      t.ok(copies[0]!.equals(sent.get(rec.id)!), '1 the exact bytes')

      t.same(await deliver(c, rec), { fresh: false, arrived: c.arrived }, '2 the same record again: fresh false')
      await new Promise((r) => setTimeout(r, 300))
      t.equal((await c.received(rec)).length, 1, '2 no second effect at the receiver')

      for (const m of c.failures) {
        const a = await c.mode(m)
        const failing = await newRecord(c, a)
        const err = await deliver(c, failing, a.rt).then(
          () => null,
          (e: unknown) => e as Error,
        )
        t.ok(err, `${m}: the attempt throws`)
        if (m.startsWith('refuse')) {
          t.ok(err instanceof PermanentDeliveryError, `4 ${m} → PermanentDeliveryError (${err?.message.slice(0, 120)})`)
          await c.mode('ok')
          continue
        }
        t.notOk(err instanceof PermanentDeliveryError, `3 ${m} → retryable (${err?.message.slice(0, 120)})`)
        t.same(await c.received(failing), [], `3 ${m}: nothing arrived`)
        // the retry, once the receiver is back, delivers it once (the forward retries to a working gateway)
        await c.mode('ok')
        const retry = a.gateway ? { ...failing, gateway: c.gateway! } : failing
        t.same(await deliver(c, retry), { fresh: true, arrived: c.arrived }, `3 ${m}: the next attempt delivers`)
        const after = await eventually(
          async () => {
            const r = await c.received(retry)
            return r.length ? r : null
          },
          10_000,
          'the retried delivery',
        )
        t.equal(after.length, 1, `3 ${m}: once`)
      }
    })
  }
  t.ok(peerRx.hits() > 0, 'the fake peer was really called')
})
