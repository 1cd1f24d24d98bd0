/**
 * A recipient acknowledges an inbox item: an edXML status 01 ("đã đến") is built, stored, and sent back
 * through Kafka to the document's sender. Repeating the ack answers the same and sends nothing new.
 */
import { GatewayError } from '../errors.ts'
import type { Runtime } from '../runtime.ts'
import type { Principal } from '../store/clients-repo.ts'
import { getInboxItem, markAcked, type InboxItem } from '../store/inbox-repo.ts'
import { status01 } from '../delivery/contract.ts'
import { holderOf } from '../routing/succession.ts'
import { mayReadInboxOf } from '../ingest/closed-agencies.ts'

/** The inbox item, if the caller may read it (its recipient is one of the caller's OrganIds). */
export async function inboxItemFor(rt: Runtime, who: Principal, id: string): Promise<InboxItem> {
  const item = await getInboxItem(rt.db, id)
  // 404 rather than 403 for other agencies' items: an inbox id reveals nothing
  if (!item || !mayReadInboxOf(rt, who, item.recipient)) throw new GatewayError('DOCUMENT_NOT_FOUND', `no inbox item ${id} for this caller`)
  return item
}

export async function acknowledge(rt: Runtime, who: Principal, id: string): Promise<{ id: string; status: '01'; ackedAt: string }> {
  const item = await inboxItemFor(rt, who, id)
  if (item.ackedAt) return { id, status: '01', ackedAt: item.ackedAt }
  const at = new Date()
  // an item of a closed agency read by its successor: the successor says "đã đến", on the closed code's leg
  const from = who.organIds.has(item.recipient) ? item.recipient : (holderOf(rt.directory(), item.recipient, at.getTime()) ?? item.recipient)
  const record = await status01(rt, { documentUuid: item.documentUuid, recipient: item.recipient, statusFrom: from, sender: item.from, documentId: item.documentId, at })
  try {
    await rt.bus.send(rt.topics.receipts, [{ key: item.documentUuid, value: record }])
  } catch (e) {
    throw new GatewayError('BUS_UNAVAILABLE', undefined, { cause: e })
  }
  await markAcked(rt.db, id, record.at)
  return { id, status: '01', ackedAt: record.at }
}
