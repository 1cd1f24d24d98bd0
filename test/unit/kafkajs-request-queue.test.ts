/**
 * kafkajs's per-connection request queue as this project installs it (scripts/patch-kafkajs.mjs): with no
 * request waiting and no throttle it schedules nothing, and a request that has to wait is still sent.
 * kafkajs 2.2.4 as published re-checked its empty queue every millisecond for as long as the connection
 * was open, so an idle gateway kept a tenth of a core busy. Driven through kafkajs's own RequestQueue.
 */
import t from 'tap'
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
interface Queue {
  pending: unknown[]
  throttledUntil: number
  throttleCheckTimeoutId: unknown
  checkPendingRequests(): void
  push(r: { entry: { correlationId: number; resolve?(): void; reject?(): void }; expectResponse: boolean; sendRequest(): void; requestTimeout?: number }): void
  fulfillRequest(r: { correlationId: number; size: number; payload: unknown }): void
  destroy(): void
}
const RequestQueue = require('kafkajs/src/network/requestQueue/index.js') as new (o: unknown) => Queue
const quiet = { debug() {}, info() {}, warn() {}, error() {} }
const queue = (maxInFlightRequests: number | null) =>
  new RequestQueue({ maxInFlightRequests, requestTimeout: 30_000, enforceRequestTimeout: false, clientId: 'test', broker: 'b:1', logger: quiet })
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

t.test('an idle queue schedules no checks', async (t) => {
  const q = queue(null)
  t.teardown(() => q.destroy())
  let checks = 0
  const check = q.checkPendingRequests.bind(q)
  q.checkPendingRequests = () => {
    checks++
    check()
  }
  q.checkPendingRequests() // what every answered request does (fulfillRequest)
  t.equal(q.throttleCheckTimeoutId, null, 'no timer left behind')
  await sleep(100)
  t.equal(checks, 1, 'checked once, when asked, and not again on its own (2.2.4: about once a millisecond)')
})

t.test('a request over the in-flight limit waits, then is sent when the first is answered', async (t) => {
  const q = queue(1)
  t.teardown(() => q.destroy())
  const sent: number[] = []
  const request = (correlationId: number) => ({ entry: { correlationId, resolve() {}, reject() {} }, expectResponse: true, sendRequest: () => sent.push(correlationId) })
  q.push(request(1))
  q.push(request(2))
  t.same(sent, [1], 'the second waits behind the limit')
  t.equal(q.pending.length, 1, 'one request pending')
  q.fulfillRequest({ correlationId: 1, size: 0, payload: null })
  t.same(sent, [1, 2], 'sent once the first was answered')
  t.equal(q.pending.length, 0, 'none pending')
})

t.test('a request pushed while throttled is sent when the throttle ends', async (t) => {
  const q = queue(null)
  t.teardown(() => q.destroy())
  const sent: number[] = []
  q.throttledUntil = Date.now() + 30 // the broker asked for client-side throttling
  q.push({ entry: { correlationId: 7 }, expectResponse: true, sendRequest: () => sent.push(7) })
  t.same(sent, [], 'held while throttled')
  t.not(q.throttleCheckTimeoutId, null, 'a check is scheduled for the end of the throttle')
  await sleep(80)
  t.same(sent, [7], 'sent after the throttle')
})

t.test('a throttle that ends within the same millisecond still gets its check (kafkajs#1532)', async (t) => {
  const q = queue(null)
  t.teardown(() => q.destroy())
  const sent: number[] = []
  q.throttledUntil = Date.now() + 1
  q.push({ entry: { correlationId: 9 }, expectResponse: true, sendRequest: () => sent.push(9) })
  q.throttledUntil = Date.now() // by the time the check runs, the throttle is over
  await sleep(50)
  t.same(sent, [9], 'sent, not left in the queue until the broker drops the connection')
})
