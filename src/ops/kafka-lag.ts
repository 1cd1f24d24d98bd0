/**
 * Consumer lag from the Kafka admin API: for every consumer group of this gateway (the groups carry the
 * topic prefix), committed offset vs the partition's high watermark. Computed when asked (a scrape, the ops
 * queues view) and cached for `cacheMs`, so a dashboard polling every second does not hammer the broker.
 * Its own admin client, connected lazily: the Bus seam stays produce/consume/ensureTopics.
 */
import { Kafka, logLevel, type Admin } from 'kafkajs'
import type { Logger } from 'pino'

export interface LagRow {
  group: string
  topic: string
  partition: number
  committed: number
  high: number
  lag: number
}

interface LagReaderOptions {
  brokers: string[]
  clientId: string
  prefix: string
  cacheMs: number
  knownGroups: () => Map<string, string[]>
  log: Logger
}

export class LagReader {
  #admin: Admin | null = null
  #connecting: Promise<Admin> | null = null
  #cache: { at: number; rows: Promise<LagRow[]> } | null = null

  private readonly o: LagReaderOptions

  constructor(o: LagReaderOptions) {
    this.o = o
  }

  /** Lag of every partition of every topic a group of this gateway committed to (cached). */
  read(): Promise<LagRow[]> {
    const now = Date.now()
    if (this.#cache && now - this.#cache.at < this.o.cacheMs) return this.#cache.rows
    const rows = this.#compute()
    this.#cache = { at: now, rows }
    rows.catch(() => {
      if (this.#cache?.rows === rows) this.#cache = null
    }) // a failure is not cached
    return rows
  }

  async #connect(): Promise<Admin> {
    if (this.#admin) return this.#admin
    this.#connecting ??= (async () => {
      const admin = new Kafka({ clientId: `${this.o.clientId}-ops`, brokers: this.o.brokers, logLevel: logLevel.NOTHING, retry: { retries: 2 } }).admin()
      await admin.connect()
      this.#admin = admin
      return admin
    })().finally(() => {
      this.#connecting = null
    })
    return this.#connecting
  }

  /** This gateway's groups and the topics each reads: the known ones, plus any other group with the prefix. */
  async #groups(admin: Admin): Promise<Map<string, string[]>> {
    const known = new Map(this.o.knownGroups())
    try {
      for (const g of (await admin.listGroups()).groups) if (g.groupId.startsWith(this.o.prefix) && !known.has(g.groupId)) known.set(g.groupId, [])
    } catch (err) {
      this.o.log.debug({ err }, 'listGroups failed; using the known groups only')
    }
    return known
  }

  async #compute(): Promise<LagRow[]> {
    const admin = await this.#connect()
    const highs = new Map<string, Promise<Map<number, { high: number; low: number }>>>()
    const watermarks = (topic: string) => {
      let p = highs.get(topic)
      if (!p) {
        p = admin.fetchTopicOffsets(topic).then((l) => new Map(l.map((x) => [x.partition, { high: Number(x.high), low: Number(x.low) }])))
        highs.set(topic, p)
      }
      return p
    }
    const out: LagRow[] = []
    for (const [group, topics] of [...(await this.#groups(admin))].sort(([a], [b]) => a.localeCompare(b))) {
      // naming the topics makes Kafka answer for every partition (-1 where nothing is committed yet), so a
      // partition that never saw a record still shows, with lag 0; topics of unknown groups come from their commits
      const committedTopics = topics.length ? [] : (await admin.fetchOffsets({ groupId: group })).map((x) => x.topic)
      const offsets = await admin.fetchOffsets({ groupId: group, topics: [...new Set([...topics, ...committedTopics])] })
      for (const t of offsets) {
        const wm = await watermarks(t.topic).catch(() => null)
        if (!wm) continue // topic deleted
        for (const p of t.partitions) {
          const w = wm.get(p.partition)
          if (!w) continue
          // -1: nothing committed yet on this partition: everything retained is still to be read
          const committed = Number(p.offset) < 0 ? w.low : Number(p.offset)
          out.push({ group, topic: t.topic, partition: p.partition, committed, high: w.high, lag: Math.max(0, w.high - committed) })
        }
      }
    }
    return out
  }

  async close(): Promise<void> {
    const a = this.#admin ?? (this.#connecting ? await this.#connecting.catch(() => null) : null)
    this.#admin = null
    await a?.disconnect().catch(() => {})
  }
}
