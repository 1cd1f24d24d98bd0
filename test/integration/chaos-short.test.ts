/**
 * The chaos run of `npm run chaos` (bench/chaos/run.ts), shorter: 1,000 signed documents through two
 * replicas on a 3-broker cluster and an object store, one broker killed and one replica killed while they
 * flow. Nothing accepted is lost, nothing is delivered twice or pushed twice as new, every delivered leg's
 * 01 reaches the sender, nothing delivered stays unaccepted in the ledger, and the message log verifies.
 */
import t from 'tap'
import { TEST_DATABASE_URL } from '../helpers/gateway.ts'
import { runChaos } from '../../bench/chaos/run.ts'
import { resultLine } from '../../bench/chaos/tally.ts'

// a loaded 2-core machine runs this several times slower than a quiet one (≈ 4 min): room for that
const LIMIT_MS = 1_200_000
t.setTimeout(LIMIT_MS)

t.test('1,000 documents through a broker kill and a replica kill', { timeout: LIMIT_MS }, async (t) => {
  const { result, detail } = await runChaos({
    docs: 1000, rate: Number(process.env.TEST_CHAOS_RATE ?? 12), senders: 4, inflight: 2,
    faults: ['broker-kill', 'replica-kill'], kafkaPortBase: Number(process.env.TEST_CHAOS_PORT_BASE ?? 47192),
    databaseUrl: TEST_DATABASE_URL, drainMs: 180_000, sendMs: 0, gatewayLogLevel: process.env.TEST_LOG_LEVEL ?? 'error',
    log: (line) => t.comment(line),
  })
  t.comment(resultLine(result))
  t.ok(result.accepted >= 1000, `accepted ${result.accepted}`)
  t.equal(detail.refused, 0, 'no document refused')
  t.equal(result.lost, 0, 'nothing accepted is lost')
  t.equal(result.duplicated, 0, 'nothing delivered twice to an inbox or a push receiver')
  t.equal(result.push_duplicated, 0, 'no push repeated with the same attempt number')
  t.equal(result.status01_missing, 0, "every delivered leg's 01 reached the sender's timeline")
  t.equal(result.unaccepted_delivered, 0, 'nothing delivered while its ledger row is not accepted')
  t.equal(detail.logAcceptedMissing, 0, 'every accepted document is in the message log')
  t.equal(detail.badBytes, 0, 'every fetched package has the exact bytes')
  t.equal(result.log_verified, true, 'the hash-chained message log verifies (lgsp log verify)')
})
