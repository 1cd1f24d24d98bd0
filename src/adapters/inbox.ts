/** Pull-inbox adapter: the document waits in the recipient's inbox until its system polls and acks. */
import type { DeliveryAdapter } from './adapter.ts'
import { inboxRow } from '../store/inbox-repo.ts'
import { markDeliveredWith } from '../delivery/contract.ts'
import { emitGatewayEvent } from '../statuses/emit.ts'

export const inboxAdapter: DeliveryAdapter = {
  kind: 'inbox',
  async deliver(rt, record) {
    // the inbox row and DELIVERED in one statement: both or neither, one round trip
    const put = await markDeliveredWith(rt.db, record, { adapter: 'inbox' }, inboxRow(record.id, record.recipient))
    const out = { fresh: put.alongside > 0, arrived: false }
    // DELIVERED on `receipts` too, for webhooks; also on a replay, in case a crash lost the first emit
    await emitGatewayEvent(rt, record.id, record.recipient, 'DELIVERED')
    return out
  },
}
