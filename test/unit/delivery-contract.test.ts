/**
 * The delivery contract's pure rules: the one event-key shape every effect is deduplicated by, and how an
 * HTTP answer from a push receiver or a peer gateway is judged (RFC 9110 §15).
 */
import t from 'tap'
import { NotAnnounced, eventKey, httpOutcome } from '../../src/delivery/contract.ts'
import { CircuitBreakers } from '../../src/delivery/retry-policy.ts'
import { documentEventKey } from '../../src/delivery/event-key.ts'

t.test('event keys: one shape per leg, a qualifier where a status may repeat', async (t) => {
  const id = '6f1c0d1e-0000-4000-8000-000000000001'
  t.equal(eventKey(id, '000.00.00.H41', 'DELIVERED'), `${id}:000.00.00.H41:DELIVERED`)
  t.equal(eventKey(id, '000.00.00.H41', '05', 'ab12'), `${id}:000.00.00.H41:05:ab12`)
  t.not(eventKey(id, 'A', '05', 'x'), eventKey(id, 'A', '05', 'y'), 'two different status packages are two events')
  t.not(eventKey(id, 'A', 'DELIVERED'), eventKey(id, 'B', 'DELIVERED'), 'each recipient has its own leg')
  t.equal(documentEventKey(id, 'ACCEPTED'), `${id}:ACCEPTED`)
})

t.test('HTTP answers: done, refused for good, or tried again', async (t) => {
  for (const s of [200, 201, 202, 204]) t.equal(httpOutcome(s), 'done', `${s}`)
  for (const s of [400, 404, 405, 409, 410, 413, 414, 415, 422]) t.equal(httpOutcome(s), 'refused', `${s}: repeating cannot change it`)
  for (const s of [401, 403]) t.equal(httpOutcome(s), 'retry', `${s}: an operator fixes the key, then it goes`)
  for (const s of [408, 421, 423, 425, 429]) t.equal(httpOutcome(s), 'retry', `${s}: not now`)
  for (const s of [301, 302, 307, 500, 502, 503, 504]) t.equal(httpOutcome(s), 'retry', `${s}`)
})

t.test('circuit breaker: open after the threshold, one trial when the cooldown is over, and a trial that ends without a verdict frees the way', async (t) => {
  const b = new CircuitBreakers(3, 1000)
  const e = 'http://agency.example/push'
  for (let i = 0; i < 2; i++) b.failure(e, 0)
  t.equal(b.blockedUntil(e, 0), null, 'below the threshold: attempts go')
  b.failure(e, 0)
  t.equal(b.blockedUntil(e, 500), 1000, 'open: blocked until the cooldown is over')
  t.equal(b.blockedUntil(e, 1000), null, 'half-open: one trial goes')
  t.equal(b.blockedUntil(e, 1001), 2001, 'while the trial is out, the others wait')
  b.abandon(e) // the trial never reached the endpoint (our own store failed first)
  t.equal(b.blockedUntil(e, 1002), null, 'an abandoned trial lets the next one through instead of blocking the endpoint for good')
  b.success(e)
  t.equal(b.blockedUntil(e, 1003), null, 'a success closes it')
  t.equal(b.isOpen(e, 1003), false)
})

t.test('NotAnnounced: a delivery whose announcement failed names the cause', async (t) => {
  const err = new NotAnnounced(new Error('Kafka did not confirm the write within 4000 ms'))
  t.match(err.message, /delivered, but not yet announced on receipts: Kafka did not confirm/)
  t.ok(err instanceof Error)
})
