// The timeline events of updateStatus(processing | fail) over /vxp (docs/vxp.md): labelled gateway states,
// and a failed receipt is a document.failed webhook like a failed delivery.
import t from 'tap'
import { isDeliveryState, labelOf } from '../../src/receipts/status-model.ts'
import { CONSUMERS } from '../../src/bus/consumers.ts'
import { eventOf } from '../../src/receipts/webhooks/events.ts'
import { topicsFor } from '../../src/bus/topics.ts'

t.test('RECEIVING and RECEIVE_FAILED are gateway states with Vietnamese labels', async (t) => {
  for (const s of ['RECEIVING', 'RECEIVE_FAILED']) {
    t.ok(isDeliveryState(s), `${s} is a gateway state`)
    t.match(labelOf(s), /^Phần mềm nhận /, `${s}: ${labelOf(s)}`)
  }
})

t.test('webhook events: RECEIVE_FAILED is document.failed, RECEIVING is not sent', async (t) => {
  const topics = topicsFor('x.')
  const rec = (status: string) => CONSUMERS.webhooks.decode(topics.receipts, { eventKey: `d:r:${status}`, id: 'd', recipient: 'r', status, at: '2026-12-01T00:00:00.000Z' }, topics)
  t.equal(eventOf(rec('RECEIVE_FAILED'))?.type, 'document.failed')
  t.equal(eventOf(rec('RECEIVING')), null)
  t.equal(eventOf(rec('DELIVERY_FAILED'))?.type, 'document.failed', 'as a failed delivery')
})
