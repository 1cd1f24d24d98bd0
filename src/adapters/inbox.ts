/** Pull-inbox adapter: the document waits in the recipient's inbox until its system polls and acks. */
import type { DeliveryAdapter } from './adapter.ts'
import { putInInbox } from '../store/inbox-repo.ts'
import { recordEvent } from '../store/ledger-repo.ts'
import { emitGatewayEvent } from '../statuses/emit.ts'

export const inboxAdapter: DeliveryAdapter = {
  kind: 'inbox',
  async deliver(rt, record) {
    const out = await rt.db.tx(async (q) => {
      const fresh = await putInInbox(q, record.id, record.recipient)
      await recordEvent(q, {
        eventKey: `${record.id}:${record.recipient}:DELIVERED`, id: record.id, recipient: record.recipient,
        status: 'DELIVERED', at: new Date().toISOString(), detail: { adapter: 'inbox' },
      })
      return { fresh, arrived: false }
    })
    // DELIVERED on `receipts` too, for webhooks (#6); also on a replay, in case a crash lost the first emit
    await emitGatewayEvent(rt, record.id, record.recipient, 'DELIVERED')
    return out
  },
}
