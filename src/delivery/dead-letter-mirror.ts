/**
 * Mirrors `<prefix>deliver.dlq` into ops_dead_letters, the table the operators' DLQ pages and `lgsp dlq`
 * read (src/ops/dead-letters.ts); idempotent on the record's DLQ position, so a replayed record adds nothing.
 */
import type { Runtime } from '../runtime.ts'
import { CONSUMERS } from '../bus/consumers.ts'
import { mirrorDeadLetter } from '../store/ops-dead-letters-repo.ts'
import { consume } from '../bus/consume.ts'

export function startDeadLetterMirror(rt: Runtime) {
  return consume(rt, CONSUMERS.deadLetters, (d, m) => mirrorDeadLetter(rt.db, { partition: m.partition, offset: m.offset }, d))
}
