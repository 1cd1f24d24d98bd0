/** Pull-inbox adapter: the document waits in the recipient's inbox until its system polls and acks. */
import type { DeliveryAdapter } from './adapter.ts'
import { inboxRow } from '../store/inbox-repo.ts'
import { markDelivered } from '../delivery/contract.ts'

export const inboxAdapter: DeliveryAdapter = {
  kind: 'inbox',
  async deliver(rt, record) {
    // the inbox row and DELIVERED in one statement: both or neither, one round trip
    const put = await markDelivered(rt, record, { adapter: 'inbox' }, inboxRow(record.id, record.recipient))
    return { fresh: put.alongside > 0, arrived: false }
  },
}
