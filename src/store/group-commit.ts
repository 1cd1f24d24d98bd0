/**
 * Group commit: writes that arrive while a transaction is in flight wait for it, then share one
 * transaction — one round of locks and one WAL flush for all of them instead of one each. Used where
 * every write takes the same lock, the message log's head row (src/store/message-log-repo.ts): there, one
 * transaction per write made the commit's flush the throughput ceiling of the whole gateway.
 *
 * Each caller still gets its own answer, and only once its transaction has committed. `work` must be
 * safe to run again: if the shared transaction fails, each of its writes is retried alone in its own
 * transaction, so one bad write fails only its own caller and the others are not lost with it.
 */
import type { Db, Sql } from './db.ts'

interface Waiting<I, O> {
  item: I
  resolve(o: O): void
  reject(e: unknown): void
}

export function groupCommit<I, O>(db: Db, work: (q: Sql, item: I) => Promise<O>, maxBatch = 64): (item: I) => Promise<O> {
  const queue: Waiting<I, O>[] = []
  let running = false

  const runAlone = async (w: Waiting<I, O>) => {
    try {
      w.resolve(await db.tx((q) => work(q, w.item)))
    } catch (e) {
      w.reject(e)
    }
  }

  const drain = async () => {
    running = true
    try {
      while (queue.length) {
        const batch = queue.splice(0, maxBatch)
        if (batch.length === 1) {
          await runAlone(batch[0])
          continue
        }
        let out: O[] | null = null
        try {
          out = await db.tx(async (q) => {
            const results: O[] = []
            for (const w of batch) results.push(await work(q, w.item))
            return results
          })
        } catch {
          // rolled back as a whole: each write again on its own, so the error reaches only its own caller
          for (const w of batch) await runAlone(w)
          continue
        }
        batch.forEach((w, i) => w.resolve(out![i]))
      }
    } finally {
      running = false
    }
  }

  return (item) =>
    new Promise<O>((resolve, reject) => {
      queue.push({ item, resolve, reject })
      if (!running) void drain()
    })
}
