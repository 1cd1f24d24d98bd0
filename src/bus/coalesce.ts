/**
 * Many concurrent writes, one produce request: what Kafka's own producer does with its batches, without
 * a linger. The first write goes at once; writes that arrive while a request is in flight wait for it and
 * then leave together, in arrival order, as one request (kafkajs `sendBatch`). So a lone write costs what
 * it did, and under load the number of round trips — each one waiting for acks=all — stops growing with
 * the number of writes. Durability is unchanged: a caller's promise resolves only when the request that
 * carried its records was acknowledged, and is rejected with that request's error otherwise (a record may
 * then still have been written; callers already treat a failed write that way, see BusUnavailableError).
 * Order holds: records of one caller stay together and in order, callers are served first come first.
 */
export interface TopicBatch<M> {
  topic: string
  messages: M[]
}

export interface CoalesceLimits {
  /** most records in one request */
  maxMessages: number
  /** most bytes (as `sizeOf` counts them) in one request; kept well under the broker's message.max.bytes */
  maxBytes: number
}

interface Waiting<M> {
  batches: TopicBatch<M>[]
  count: number
  bytes: number
  resolve(): void
  reject(e: unknown): void
}

export function coalescing<M>(sink: (batches: TopicBatch<M>[]) => Promise<void>, sizeOf: (m: M) => number, limits: CoalesceLimits): (batches: TopicBatch<M>[]) => Promise<void> {
  const queue: Waiting<M>[] = []
  let draining = false

  const merge = (items: Waiting<M>[]): TopicBatch<M>[] => {
    const byTopic = new Map<string, M[]>()
    for (const item of items) {
      for (const b of item.batches) {
        let into = byTopic.get(b.topic)
        if (!into) byTopic.set(b.topic, (into = []))
        into.push(...b.messages)
      }
    }
    return [...byTopic].map(([topic, messages]) => ({ topic, messages }))
  }

  const drain = async () => {
    draining = true
    try {
      while (queue.length) {
        // one write over the limits still goes alone: the limits group writes, they never split one
        const take = [queue.shift()!]
        let count = take[0].count
        let bytes = take[0].bytes
        while (queue.length && count + queue[0].count <= limits.maxMessages && bytes + queue[0].bytes <= limits.maxBytes) {
          const next = queue.shift()!
          count += next.count
          bytes += next.bytes
          take.push(next)
        }
        try {
          await sink(merge(take))
          for (const w of take) w.resolve()
        } catch (e) {
          for (const w of take) w.reject(e)
        }
      }
    } finally {
      draining = false
    }
  }

  return (batches) =>
    new Promise<void>((resolve, reject) => {
      let count = 0
      let bytes = 0
      for (const b of batches)
        for (const m of b.messages) {
          count++
          bytes += sizeOf(m)
        }
      if (count === 0) return resolve()
      queue.push({ batches, count, bytes, resolve, reject })
      if (!draining) void drain()
    })
}
