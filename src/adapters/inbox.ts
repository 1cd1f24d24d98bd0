/** Pull-inbox adapter: the document waits in the recipient's inbox until its system polls and acks. */
import type { DeliveryAdapter } from './adapter.ts'
import { putInInbox } from '../store/inbox-repo.ts'
import { markDelivered } from '../delivery/contract.ts'
import { emitGatewayEvent } from '../statuses/emit.ts'

export const inboxAdapter: DeliveryAdapter = {
  kind: 'inbox',
  async deliver(rt, record) {
    const out = await rt.db.tx(async (q) => {
      const fresh = await putInInbox(q, record.id, record.recipient)
      await markDelivered(q, record, { adapter: 'inbox' })
      return { fresh, arrived: false }
    })
    // DELIVERED on `receipts` too, for webhooks; also on a replay, in case a crash lost the first emit
    await emitGatewayEvent(rt, record.id, record.recipient, 'DELIVERED')
    return out
  },
}
