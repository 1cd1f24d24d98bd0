/**
 * The document-exchange operations of the national axis (VXP-WIRE.md §Operations, SPEC-NOTES §4.1), each a
 * thin translation onto the gateway's own model — the same pipeline functions and repositories as REST and
 * SOAP, so rules, idempotency and error codes are the same:
 *
 *   sendEdoc(edoc)              → acceptDocument (POST /v1/documents); DocId = the gateway's document id
 *   sendEdoc(status)            → submitStatus (POST /v1/status)
 *   getReceivedEdocList(edoc)   → the pull inbox (GET /v1/inbox); docId = inbox item id
 *   getReceivedEdocList(status) → the status inbox (GET /v1/status-inbox); docId = status item id
 *   getEdoc / downloadEdoc      → the exact stored bytes of either kind of item
 *   updateStatus done           → inbox ack (status 01 to the sender) / status inbox ack; from a relay
 *                                 system, a hand-over (FORWARDED; its agency's 01 follows by sendEdoc)
 *   updateStatus processing     → RECEIVING on the sender's timeline; the item stays listed
 *   updateStatus fail           → RECEIVE_FAILED on the sender's timeline; the item leaves the list
 *   getSentEdocList             → the sender's documents with each recipient's timeline
 *   countReceiveEdoc / countReceiveStatus → the lengths of the two lists
 */
import { GatewayError } from '../../errors.ts'
import type { Runtime } from '../../runtime.ts'
import type { Principal } from '../../store/clients-repo.ts'
import { acceptDocument } from '../../ingest/accept-document.ts'
import { acknowledge, inboxItemFor } from '../../receipts/acknowledge.ts'
import { submitStatus } from '../../receipts/submit-status.ts'
import { asEdxml, assertHoldable, readIncoming } from '../../ingest/incoming.ts'
import { addresseesWaiting, inboxItemsOf, listInbox, markAcked, type InboxItem } from '../../store/inbox-repo.ts'
import { ackStatus, listStatuses, type StatusInboxRow } from '../../store/status-inbox-repo.ts'
import { statusPackageXml } from '../../receipts/status-package.ts'
import { isBusinessCode, labelOf } from '../../receipts/status-model.ts'
import { emitGatewayEvent } from '../../receipts/emit.ts'
import { listSentDocuments } from '../../store/document-list-repo.ts'
import { getDocument, timelines, type RecipientTimeline } from '../../store/ledger-repo.ts'
import { setTransportState, transportStates } from '../../store/vxp-transport-repo.ts'
import { itemFor as statusItemFor } from '../status-inbox.ts'
import { isPattern, type VxpCaller } from './auth.ts'
import { formatListTime, hashFileRenderings } from './wire.ts'

export type Answer = Record<string, unknown>

/** A successful answer: status OK, ErrorCode "0" (SDK constants; S7 status_response.json). */
export const ok = (fields: Answer = {}): Answer => ({ status: 'OK', ErrorCode: '0', ErrorDesc: 'Thành công', ...fields })

export interface VxpRequest {
  caller: VxpCaller
  body: Buffer
  contentType: string | undefined
}

const SERVICE_TYPE = 'eDoc'
/** The most items one list answer carries (the axis has no paging; the SDK reads one JSON array). */
const LIST_LIMIT = 1000

function param(r: VxpRequest, key: string): string | undefined {
  const v = r.caller.params.get(key.toLowerCase())?.trim()
  return v === '' ? undefined : v
}

function required(r: VxpRequest, key: string): string {
  const v = param(r, key)
  if (v === undefined) throw new GatewayError('BAD_REQUEST', `send the signed header XroadVnpt-${key}`)
  return v
}

type MessageType = 'edoc' | 'status'
function messageType(r: VxpRequest): MessageType {
  const t = (param(r, 'messagetype') ?? 'edoc').toLowerCase()
  if (t !== 'edoc' && t !== 'status') throw new GatewayError('BAD_REQUEST', `XroadVnpt-messagetype is edoc or status, not ${t}`)
  return t
}

/**
 * The multipart Content-Type of a sendEdoc, if it is one. The SDK's multipart upload may also send its own
 * `Content-Type: application/octet-stream` beside the multipart one, so a body that opens with a boundary
 * line and has a file_doc part is read as multipart whatever Content-Type won (an edXML opens with "<").
 */
function multipartTypeOf(r: VxpRequest): string | undefined {
  if (/^\s*multipart\/form-data/i.test(r.contentType ?? '')) return r.contentType
  const boundary = /^--([^\r\n]{1,70})\r\n/.exec(r.body.subarray(0, 80).toString('latin1'))?.[1]
  return boundary && r.body.includes('name="file_doc"') ? `multipart/form-data; boundary=${boundary}` : undefined
}

/** The file of a sendEdoc: the raw body (SDK 2.0.1) or the multipart part `file_doc` (2.0.0, .NET). */
async function fileOf(r: VxpRequest): Promise<Buffer> {
  const type = multipartTypeOf(r)
  if (!type) return r.body
  let form: FormData
  try {
    form = await new Response(new Uint8Array(r.body), { headers: { 'content-type': type } }).formData()
  } catch (e) {
    throw new GatewayError('BAD_REQUEST', `the multipart body cannot be read: ${(e as Error).message}`, { cause: e })
  }
  const part = form.get('file_doc')
  if (part === null) throw new GatewayError('BAD_REQUEST', 'the multipart body has no part named file_doc')
  return typeof part === 'string' ? Buffer.from(part, 'utf8') : Buffer.from(await part.arrayBuffer())
}

/** XroadVnpt-hash-file against the file, in either rendering (VXP-WIRE.md "hash-file quirk"). */
function checkHashFile(r: VxpRequest, file: Buffer): void {
  const claimed = param(r, 'hash-file')?.toLowerCase()
  if (!claimed) throw new GatewayError('VXP_HASH_FILE_MISMATCH', 'send the signed header XroadVnpt-hash-file: the SHA-256 of the file, hex')
  if (!hashFileRenderings(file).includes(claimed)) {
    throw new GatewayError('VXP_HASH_FILE_MISMATCH', `XroadVnpt-hash-file ${claimed} is not the SHA-256 of the ${file.length} bytes received`)
  }
}

/** The optional `to` header: a JSON array of OrganIds (SPEC-NOTES §4.1), or a comma-separated list. */
function toHeader(r: VxpRequest): string[] | undefined {
  const raw = param(r, 'to')
  if (raw === undefined) return undefined
  let list: unknown
  try {
    list = JSON.parse(raw)
  } catch {
    list = raw.split(',')
  }
  if (!Array.isArray(list) || !list.every((x) => typeof x === 'string')) throw new GatewayError('BAD_REQUEST', 'XroadVnpt-to is a JSON array of OrganIds')
  return list.map((x) => x.trim()).filter(Boolean)
}

export async function sendEdoc(rt: Runtime, r: VxpRequest): Promise<Answer> {
  const who = r.caller.principal
  const from = param(r, 'from')
  // the package's own From is checked by the pipeline; a header naming another agency is refused first
  if (from !== undefined && !who.organIds.has(from)) {
    throw new GatewayError('SENDER_NOT_ALLOWED', `VXP system ${r.caller.system.systemId} may not send for ${from}`, { extra: { from } })
  }
  const file = await fileOf(r)
  checkHashFile(r, file)
  if (messageType(r) === 'status') {
    const a = await submitStatus(rt, who, file, 'application/xml')
    return ok({ DocId: a.id })
  }
  const { answer } = await acceptDocument(rt, who, file, 'application/xml', { forwardFor: toHeader(r) })
  return ok({ DocId: answer.id })
}

/**
 * The OrganIds to list for: the system's own, or for a relay (jurisdiction patterns) every agency that has
 * something un-acked waiting and falls in its patterns.
 */
async function listedOrganIds(rt: Runtime, who: Principal): Promise<string[]> {
  const own = [...who.organIds]
  if (!own.some(isPattern)) return own
  const waiting = await addresseesWaiting(rt.db)
  return waiting.filter((o) => who.organIds.has(o))
}

/** Un-acked inbox items of the caller, minus those its system reported as failed. */
async function pendingDocuments(rt: Runtime, who: Principal): Promise<{ item: InboxItem; processing: boolean }[]> {
  const items = await listInbox(rt.db, await listedOrganIds(rt, who), { includeAcked: false, limit: LIST_LIMIT })
  const states = await transportStates(
    rt.db,
    items.map((i) => i.id),
  )
  return items.filter((i) => states.get(i.id)?.state !== 'fail').map((item) => ({ item, processing: states.get(item.id)?.state === 'processing' }))
}

async function pendingStatuses(rt: Runtime, who: Principal): Promise<{ row: StatusInboxRow; processing: boolean }[]> {
  const rows = await listStatuses(rt.db, await listedOrganIds(rt, who), { includeAcked: false, after: 0, limit: LIST_LIMIT })
  const states = await transportStates(
    rt.db,
    rows.map((s) => s.id),
  )
  return rows.filter((s) => states.get(s.id)?.state !== 'fail').map((row) => ({ row, processing: states.get(row.id)?.state === 'processing' }))
}

const TRANSPORT_DESC = { initial: 'Chờ nhận', processing: 'Đang xử lý' } as const

export async function getReceivedEdocList(rt: Runtime, r: VxpRequest): Promise<Answer> {
  const who = r.caller.principal
  const tz = rt.config.vxpTimestampOffset
  const state = (processing: boolean) => (processing ? 'processing' : 'initial')
  if (messageType(r) === 'status') {
    const data = (await pendingStatuses(rt, who)).map(({ row, processing }) => ({
      docId: row.id,
      from: row.from,
      to: row.addressee,
      status: state(processing),
      status_desc: TRANSPORT_DESC[state(processing)],
      serviceType: SERVICE_TYPE,
      messageType: 'status',
      created_time: formatListTime(row.at, tz),
      updated_time: formatListTime(row.at, tz),
    }))
    return ok({ data })
  }
  const data = (await pendingDocuments(rt, who)).map(({ item, processing }) => ({
    docId: item.id,
    from: item.from,
    to: item.recipient,
    status: state(processing),
    status_desc: TRANSPORT_DESC[state(processing)],
    serviceType: SERVICE_TYPE,
    messageType: 'edoc',
    created_time: formatListTime(item.deliveredAt, tz),
    updated_time: formatListTime(item.deliveredAt, tz),
  }))
  return ok({ data })
}

export async function countReceiveEdoc(rt: Runtime, r: VxpRequest): Promise<Answer> {
  return ok({ count: (await pendingDocuments(rt, r.caller.principal)).length })
}

export async function countReceiveStatus(rt: Runtime, r: VxpRequest): Promise<Answer> {
  return ok({ count: (await pendingStatuses(rt, r.caller.principal)).length })
}

type Received = { kind: 'edoc'; item: InboxItem } | { kind: 'status'; row: StatusInboxRow }

/** A docId of either list, if the caller may read it (the inbox and status inbox rules, 404 otherwise). */
async function receivedItem(rt: Runtime, who: Principal, docId: string): Promise<Received> {
  const inbox = await inboxItemFor(rt, who, docId).catch((e) => {
    if (e instanceof GatewayError && e.code === 'DOCUMENT_NOT_FOUND') return null
    throw e
  })
  if (inbox) return { kind: 'edoc', item: inbox }
  const row = await statusItemFor(rt, who, docId).catch((e) => {
    if (e instanceof GatewayError && e.code === 'NOT_FOUND') return null
    throw e
  })
  if (row) return { kind: 'status', row }
  throw new GatewayError('DOCUMENT_NOT_FOUND', `no received package ${docId} for this system`)
}

/** The .edxml of a received item: a document's exact bytes (converted only if it was sent in the JSON form). */
export async function receivedBytes(rt: Runtime, r: VxpRequest): Promise<{ docId: string; bytes: Buffer }> {
  const docId = required(r, 'docId')
  const got = await receivedItem(rt, r.caller.principal, docId)
  if (got.kind === 'status') return { docId, bytes: Buffer.from(await statusPackageXml(rt, got.row.statusBlob, got.row.contentType), 'utf8') }
  assertHoldable(rt, got.item.size, "the national axis' protocol")
  return { docId, bytes: asEdxml(await rt.blobs.get(got.item.blobKey), got.item.contentType).bytes }
}

export async function getEdoc(rt: Runtime, r: VxpRequest): Promise<Answer> {
  return ok({ data: (await receivedBytes(rt, r)).bytes.toString('base64') })
}

export async function updateStatus(rt: Runtime, r: VxpRequest): Promise<Answer> {
  const who = r.caller.principal
  const docId = required(r, 'docid')
  const status = required(r, 'status').toLowerCase()
  if (status !== 'done' && status !== 'fail' && status !== 'processing') throw new GatewayError('BAD_REQUEST', `XroadVnpt-status is done, fail or processing, not ${status}`)
  const got = await receivedItem(rt, who, docId)
  if (status === 'done') {
    if (got.kind === 'status') {
      if (!got.row.ackedAt) await ackStatus(rt.db, docId)
    } else if (who.role === 'gateway') await handOver(rt, got.item)
    else await acknowledge(rt, who, docId) // status 01 back to the sender, as an inbox ack
    return ok()
  }
  if ((got.kind === 'edoc' ? got.item.ackedAt : got.row.ackedAt) !== null) {
    throw new GatewayError('BAD_REQUEST', `package ${docId} was already acknowledged (done); it cannot become ${status}`)
  }
  await setTransportState(rt.db, docId, status, r.caller.system.systemId)
  if (got.kind === 'edoc') {
    try {
      await emitGatewayEvent(rt, got.item.documentUuid, got.item.recipient, status === 'fail' ? 'RECEIVE_FAILED' : 'RECEIVING')
    } catch (e) {
      throw new GatewayError('BUS_UNAVAILABLE', undefined, { cause: e })
    }
  }
  return ok()
}

/**
 * A relay's done is a hand-over, not an arrival: the package went on to the relay's own gateway, whose
 * agency answers 01 itself (sendEdoc status). The item is acked and the leg FORWARDED, as a peer forward.
 */
async function handOver(rt: Runtime, item: InboxItem): Promise<void> {
  if (item.ackedAt) return
  try {
    await emitGatewayEvent(rt, item.documentUuid, item.recipient, 'FORWARDED')
  } catch (e) {
    throw new GatewayError('BUS_UNAVAILABLE', undefined, { cause: e })
  }
  await markAcked(rt.db, item.id, new Date().toISOString())
}

const lastOf = (t: RecipientTimeline, pick: (status: string) => boolean) => [...t.timeline].reverse().find((e) => pick(e.status))

async function sentRows(rt: Runtime, documentUuid: string): Promise<Answer[]> {
  const doc = await getDocument(rt.db, documentUuid)
  if (!doc) return []
  const tz = rt.config.vxpTimestampOffset
  const env = readIncoming(rt, await rt.blobs.get(doc.blob_key), doc.content_type).envelope
  const notation = env.kind === 'edoc' ? [env.codeNumber, env.codeNotation].filter(Boolean).join('/') : ''
  const received = new Map((await inboxItemsOf(rt.db, doc.id)).map((x) => [x.recipient, x]))
  return (await timelines(rt.db, doc.id)).map((t) => {
    const send = lastOf(t, (s) => !isBusinessCode(s))
    const receive = lastOf(t, isBusinessCode)
    const inbox = received.get(t.organId)
    return {
      serviceType: SERVICE_TYPE,
      messageType: 'edoc',
      senderDocId: doc.id,
      receiverDocId: inbox?.id ?? '',
      fromCode: doc.from_organ,
      toCode: t.organId,
      title: doc.subject ?? '',
      notation,
      sentTime: formatListTime(doc.accepted_at, tz),
      receivedTime: formatListTime(inbox?.delivered_at ?? null, tz),
      sendStatus: send?.status ?? '',
      sendStatusDesc: send ? (labelOf(send.status) ?? '') : '',
      receiveStatus: receive?.status ?? '',
      receiveStatusDesc: receive ? (labelOf(receive.status) ?? '') : '',
    }
  })
}

export async function getSentEdocList(rt: Runtime, r: VxpRequest): Promise<Answer> {
  const who = r.caller.principal
  const docId = param(r, 'docId')
  if (docId !== undefined) {
    const doc = await getDocument(rt.db, docId)
    if (!doc || doc.state !== 'accepted' || !who.organIds.has(doc.from_organ)) throw new GatewayError('DOCUMENT_NOT_FOUND', `no document ${docId} sent by this system`)
    return ok({ data: await sentRows(rt, doc.id) })
  }
  const { items } = await listSentDocuments(rt.db, { senders: [...who.organIds], limit: 100 })
  const data: Answer[] = []
  for (const d of items) data.push(...(await sentRows(rt, d.id)))
  return ok({ data })
}
