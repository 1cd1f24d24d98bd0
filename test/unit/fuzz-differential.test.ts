// Differential fuzz of the XML readers (test/fuzz/edxml-differential.ts), bounded and seeded so it runs in
// the suite in a few seconds: for every generated variant nothing crashes, and whenever the gateway would
// accept it, the router's, the signature's and a recipient's reading agree. The long run (≥ 100,000
// cases) is bench/fuzz-differential.ts.
import t from 'tap'
import fc from 'fast-check'
import { differential, sameReading, variantArb } from '../fuzz/edxml-differential.ts'

t.test('the three readers agree on every accepted variant (seed 20261201, 300 cases)', async (t) => {
  const d = await differential()
  t.teardown(() => d.close())
  let accepted = 0
  await fc.assert(
    fc.asyncProperty(variantArb, async (v) => {
      const o = await d.run(v) // a crash (anything but a coded GatewayError) throws and fails the property
      if (!o.accepted) return true
      accepted++
      return sameReading(o.router, o.signed) && sameReading(o.router, o.recipient)
    }),
    { numRuns: 300, seed: 20261201 },
  )
  t.ok(accepted > 30, `${accepted} of 300 variants were accepted and compared (the generator is not all noise)`)
})

t.test('the oracle can fail: a reader that disagrees is caught', async (t) => {
  const d = await differential()
  t.teardown(() => d.close())
  const o = await d.run({ prefix: 'edXML', ws: '', encoding: 'UTF-8', bom: false, field: 0, trick: 'none', dup: 'none', foreign: 'none', dropSecondTo: false, after: 'none' })
  t.ok(o.accepted, 'the unchanged package is accepted')
  if (o.accepted) t.notOk(sameReading(o.router, { ...o.recipient, to: [...o.recipient.to].reverse() }), 'a reordered To list counts as a disagreement')
})
