/**
 * Starts one consumer of the catalogue (src/bus/consumers.ts): its group, its topics, and its records
 * decoded before the handler sees them. A record that does not decode is logged with its position and
 * fails the handler like any error (kafkajs retries it): nothing is skipped silently.
 */
import type { Runtime } from '../runtime.ts'
import type { RecordMeta } from './kafka.ts'
import { groupOf, type ConsumerSpec } from './consumers.ts'
import { BadRecordError } from './records.ts'

export function consume<T>(rt: Runtime, spec: ConsumerSpec<T>, handler: (value: T, meta: RecordMeta) => Promise<void>): Promise<{ stop(): Promise<void> }> {
  const log = rt.log.child({ c: spec.name })
  return rt.bus.consume({
    groupId: groupOf(rt.config.topicPrefix, spec),
    topics: spec.topics(rt.topics),
    handler: async (topic, raw, meta) => {
      let value: T
      try {
        value = spec.decode(topic, raw, rt.topics)
      } catch (err) {
        if (err instanceof BadRecordError) log.error({ err, topic, partition: meta.partition, offset: meta.offset }, 'a record on this topic is not what it should carry')
        throw err
      }
      await handler(value, meta)
    },
  })
}
