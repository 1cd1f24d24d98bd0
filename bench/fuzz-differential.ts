/**
 * Long run of the differential fuzz of the XML readers (test/fuzz/edxml-differential.ts):
 *   node bench/fuzz-differential.ts [cases=100000] [seed=20261201]
 * Prints the outcome by stage and code, every crash (anything but a coded GatewayError) and every
 * disagreement between the router's, the signature's and a recipient's reading of an accepted package,
 * then one line: RESULT cases=… accepted=… refused=… crashes=… disagreements=… seed=… seconds=…
 * Exits non-zero on any crash or disagreement.
 * Measured on the project machine (2 × EPYC, Node 20.20, shared with other work, nice 10):
 *   RESULT cases=100000 accepted=30895 refused=69105 crashes=0 disagreements=0 seed=20261201 seconds=1357
 */
import { cpus } from 'node:os'
import fc from 'fast-check'
import { differential, sameReading, variantArb } from '../test/fuzz/edxml-differential.ts'

const cases = Number(process.argv[2] ?? 100_000)
const seed = Number(process.argv[3] ?? 20261201)
console.log(`node ${process.version}, ${cpus()[0]?.model} ×${cpus().length}; ${cases} cases, seed ${seed}`)
const d = await differential()
const stats = new Map<string, number>()
let crashes = 0
let disagreements = 0
let accepted = 0
const t0 = Date.now()
let i = 0
// fast-check's own runner, so a failure prints the shrunk counterexample and the seed/path to replay it
await fc.assert(
  fc.asyncProperty(variantArb, async (v) => {
    i++
    if (i % 10_000 === 0) console.log(`… ${i} cases, ${((Date.now() - t0) / 1000).toFixed(0)} s`)
    let o
    try {
      o = await d.run(v)
    } catch (e) {
      crashes++
      console.log('CRASH', JSON.stringify(v), e)
      return true // counted, keep going: the long run reports every crash
    }
    const key = o.accepted ? 'accepted' : `${o.stage}:${o.code}`
    stats.set(key, (stats.get(key) ?? 0) + 1)
    if (o.accepted) {
      accepted++
      if (!sameReading(o.router, o.signed) || !sameReading(o.router, o.recipient)) {
        disagreements++
        console.log('DISAGREEMENT', JSON.stringify(v), JSON.stringify(o))
      }
    }
    return true
  }),
  { numRuns: cases, seed },
)
d.close()
for (const [k, n] of [...stats].sort((a, b) => b[1] - a[1])) console.log(`${String(n).padStart(8)}  ${k}`)
console.log(
  `RESULT cases=${i} accepted=${accepted} refused=${i - accepted - crashes} crashes=${crashes} disagreements=${disagreements} seed=${seed} seconds=${((Date.now() - t0) / 1000).toFixed(0)}`,
)
process.exit(crashes || disagreements ? 1 : 0)
