/** The status model (labels, order) and the webhook building blocks that need no broker. */
import t from 'tap'
import { Webhook } from 'standardwebhooks'
import { BUSINESS_STATUSES, classify, labelOf } from '../../src/receipts/status-model.ts'
import { messageId, newSecret, signatures } from '../../src/receipts/webhooks/signing.ts'
import { refusedAddress } from '../../src/net/ssrf.ts'
import { backoffMs } from '../../src/delivery/contract.ts'

t.test('codes and labels', async (t) => {
  t.same([...BUSINESS_STATUSES.keys()], ['01', '02', '03', '04', '05', '06', '13', '15', '16'])
  t.equal(labelOf('05'), 'Đang xử lý')
  t.equal(labelOf('13'), 'Yêu cầu lấy lại')
  t.equal(labelOf('DELIVERED'), 'Đã chuyển đến đơn vị nhận')
  t.equal(labelOf('09'), null)
  t.equal(BUSINESS_STATUSES.get('13')!.sentBy, 'sender')
})

t.test('order', async (t) => {
  const inOrder = (h: string[], n: string) => !classify(h, n).outOfOrder
  t.ok(inOrder([], '01'))
  t.ok(inOrder(['01', '03', '04', '05'], '06'), 'the full lifecycle')
  t.ok(inOrder([], '03'), 'steps may be skipped')
  t.ok(inOrder(['01', '05'], '05'), '05 may repeat')
  t.notOk(inOrder(['01', '05'], '03'), '03 after 05')
  t.notOk(inOrder(['01', '03'], '03'), '03 twice')
  for (const n of ['01', '03', '05', '13', '15']) t.notOk(inOrder(['01', '06'], n), `${n} after 06`)
  t.notOk(inOrder(['02'], '03'), 'after a rejection')
  t.ok(inOrder(['01', '13'], '15'), 'recall accepted')
  t.ok(inOrder(['01', '13'], '16'), 'recall refused')
  t.notOk(inOrder(['01'], '15'), '15 without a 13')
  t.notOk(inOrder(['01', '13', '15'], '05'), 'nothing after a recall succeeded')
  t.ok(inOrder(['01', '03', '13', '16'], '05'), 'processing goes on after a refused recall')
  t.notOk(inOrder(['01', '04', '13', '16'], '03'), 'but not backwards past the highest step')
  t.ok(inOrder(['01', '05', '03'], '06'), 'an earlier out-of-order status does not move the state')
  t.match(classify(['06'], '04').reason, /after 06/)
  t.ok(classify([], '07').outOfOrder, 'unknown codes are flagged')
})

t.test('signatures verify with the standardwebhooks reference package', async (t) => {
  const secret = newSecret()
  const old = newSecret()
  const id = messageId('sub', 'event')
  t.equal(messageId('sub', 'event'), id, 'webhook-id is stable')
  t.not(messageId('sub2', 'event'), id)
  const ts = Math.floor(Date.now() / 1000)
  const body = JSON.stringify({ type: 'document.status', data: { x: 'Đã đến' } })
  const headers = { 'webhook-id': id, 'webhook-timestamp': String(ts), 'webhook-signature': signatures([secret, old], id, ts, body) }
  t.same(new Webhook(secret).verify(body, headers), JSON.parse(body))
  t.same(new Webhook(old).verify(body, headers), JSON.parse(body), 'the previous secret verifies during rotation')
  t.throws(() => new Webhook(newSecret()).verify(body, headers))
  t.throws(() => new Webhook(secret).verify(body + ' ', headers), 'a changed body fails')
})

t.test('SSRF address rules', async (t) => {
  for (const ip of [
    '127.0.0.1',
    '10.0.0.1',
    '172.31.255.255',
    '192.168.0.1',
    '169.254.1.1',
    '100.64.0.1',
    '0.0.0.0',
    '::1',
    'fe80::1',
    'fd12::1',
    '::ffff:10.0.0.1',
    '224.0.0.1',
  ]) {
    t.ok(refusedAddress(ip, false), `${ip} refused`)
  }
  for (const ip of ['8.8.8.8', '203.0.114.1', '2001:4860:4860::8888']) t.equal(refusedAddress(ip, false), null, `${ip} allowed`)
  t.equal(refusedAddress('127.0.0.1', true), null, 'loopback allowed when configured')
  t.ok(refusedAddress('169.254.169.254', true), 'metadata always refused')
  t.ok(refusedAddress('fd00:ec2::254', true))
})

t.test('backoff grows exponentially, with jitter, up to the cap', async (t) => {
  t.equal(
    backoffMs(1, 1000, 60_000, () => 1),
    1000,
  )
  t.equal(
    backoffMs(1, 1000, 60_000, () => 0),
    500,
  )
  t.equal(
    backoffMs(5, 1000, 60_000, () => 1),
    16_000,
  )
  t.equal(
    backoffMs(30, 1000, 60_000, () => 1),
    60_000,
  )
  // the default schedule (5 s base, 1 h cap) reaches a day after ~28 attempts
  let total = 0
  let n = 0
  while (total < 86_400_000) total += backoffMs(++n, 5000, 3_600_000, () => 1)
  t.ok(n > 20 && n < 35, `${n} attempts in a day`)
})
