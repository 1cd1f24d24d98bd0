/**
 * Concurrent writes share produce requests, and each caller still hears the fate of its own request:
 * resolved only once the request that carried its records was acknowledged, rejected with its error.
 */
import t from 'tap'
import { coalescing, type TopicBatch } from '../../src/bus/coalesce.ts'

type Call = { batches: TopicBatch<string>[]; settle(e?: Error): void }
function sink() {
  const calls: Call[] = []
  const send = (batches: TopicBatch<string>[]) =>
    new Promise<void>((resolve, reject) => {
      calls.push({ batches, settle: (e) => (e ? reject(e) : resolve()) })
    })
  return { calls, send }
}
const tick = () => new Promise((r) => setImmediate(r))

t.test('a lone write leaves at once; writes queued behind it leave together, in order', async (t) => {
  const s = sink()
  const write = coalescing(s.send, (m) => m.length, { maxMessages: 100, maxBytes: 1000 })
  const done: string[] = []
  const a = write([{ topic: 'x', messages: ['a1', 'a2'] }]).then(() => done.push('a'))
  await tick()
  t.equal(s.calls.length, 1, 'the first write did not wait')
  const b = write([
    { topic: 'x', messages: ['b1'] },
    { topic: 'y', messages: ['b2'] },
  ]).then(() => done.push('b'))
  const c = write([{ topic: 'x', messages: ['c1'] }]).then(() => done.push('c'))
  await tick()
  t.equal(s.calls.length, 1, 'nothing else leaves while a request is in flight')
  t.same(done, [], 'nobody is told before the acknowledgement')
  s.calls[0].settle()
  await a
  await tick()
  t.equal(s.calls.length, 2, 'the two queued writes left as one request')
  t.same(
    s.calls[1].batches,
    [
      { topic: 'x', messages: ['b1', 'c1'] },
      { topic: 'y', messages: ['b2'] },
    ],
    'merged per topic, arrival order kept',
  )
  t.same(done, ['a'])
  s.calls[1].settle()
  await Promise.all([b, c])
  t.same(done, ['a', 'b', 'c'])
})

t.test('a failed request fails exactly the writes it carried', async (t) => {
  const s = sink()
  const write = coalescing(s.send, (m) => m.length, { maxMessages: 100, maxBytes: 1000 })
  const first = write([{ topic: 'x', messages: ['1'] }])
  const second = write([{ topic: 'x', messages: ['2'] }])
  const third = write([{ topic: 'x', messages: ['3'] }])
  await tick()
  s.calls[0].settle()
  await first
  await tick()
  s.calls[1].settle(new Error('NOT_ENOUGH_REPLICAS'))
  await t.rejects(second, /NOT_ENOUGH_REPLICAS/)
  await t.rejects(third, /NOT_ENOUGH_REPLICAS/, 'both writes of the failed request hear it')
  const fourth = write([{ topic: 'x', messages: ['4'] }])
  await tick()
  t.equal(s.calls.length, 3, 'the next write goes on its own request')
  s.calls[2].settle()
  await fourth
})

t.test('limits group writes but never split one', async (t) => {
  const s = sink()
  const write = coalescing(s.send, (m) => m.length, { maxMessages: 3, maxBytes: 1000 })
  const first = write([{ topic: 'x', messages: ['0'] }])
  await tick()
  const rest = [write([{ topic: 'x', messages: ['a', 'b'] }]), write([{ topic: 'x', messages: ['c', 'd'] }]), write([{ topic: 'x', messages: ['e', 'f', 'g', 'h'] }])]
  s.calls[0].settle()
  await first
  for (let i = 1; i <= 3; i++) {
    await tick()
    s.calls[i]?.settle()
  }
  await Promise.all(rest)
  t.same(
    s.calls.slice(1).map((c) => c.batches[0].messages),
    [
      ['a', 'b'],
      ['c', 'd'],
      ['e', 'f', 'g', 'h'],
    ],
    'two writes of 2 exceed 3: one each; a write of 4 goes alone',
  )
  t.resolves(write([]), 'an empty write resolves without a request')
  t.equal(s.calls.length, 4)
})
