/**
 * Small payloads in the database, larger ones in the store behind (filesystem or S3). A document without
 * large attachments is a few KB and every status package smaller still; as a file each costs a file fsync,
 * a directory fsync and, for a new fan-out directory, two more before its 202 — while a row costs one WAL
 * flush, which PostgreSQL shares among concurrent commits. Same contract as every BlobStore: the key is the
 * SHA-256 of the bytes, a put is durable when it resolves, every read is checked against the key.
 */
import { PassThrough, type Readable } from 'node:stream'
import type { Db } from './db.ts'
import { checkedBytes, sha256Hex, type BlobStore } from './blobs.ts'

/**
 * The most recent small payloads, kept in memory: a status package is read back by the receipts consumer
 * moments after the acknowledgement stored it. Content-addressed bytes never change, so an entry is never
 * stale; one that was removed is forgotten with it.
 */
const RECENT_MAX_ENTRY = 16 * 1024
const RECENT_MAX_TOTAL = 4 * 1024 * 1024

function recentPayloads() {
  const entries = new Map<string, Buffer>()
  let total = 0
  return {
    get(key: string): Buffer | undefined {
      const b = entries.get(key)
      if (b) {
        entries.delete(key)
        entries.set(key, b)
      } // most recently used last
      return b
    },
    keep(key: string, bytes: Buffer) {
      if (bytes.length > RECENT_MAX_ENTRY || entries.has(key)) return
      entries.set(key, bytes)
      total += bytes.length
      for (const [k, b] of entries) {
        if (total <= RECENT_MAX_TOTAL) break
        entries.delete(k)
        total -= b.length
      }
    },
    forget(key: string) {
      const b = entries.get(key)
      if (b) {
        entries.delete(key)
        total -= b.length
      }
    },
  }
}

export function withRowPayloads(db: Db, behind: BlobStore & { close?(): void }, maxBytes: number): BlobStore & { close?(): void } {
  if (maxBytes <= 0) return behind
  const recent = recentPayloads()
  const row = async (key: string): Promise<Buffer | null> => {
    const kept = recent.get(key)
    if (kept) return kept
    const r = await db.query<{ bytes: Buffer | Uint8Array }>('select bytes from payloads where key = $1', [key])
    if (!r.rows[0]) return null
    const bytes = checkedBytes(key, Buffer.from(r.rows[0].bytes))
    recent.keep(key, bytes)
    return bytes
  }
  return {
    async put(bytes) {
      if (bytes.length > maxBytes) return behind.put(bytes)
      const key = sha256Hex(bytes)
      await db.query('insert into payloads (key, bytes) values ($1, $2) on conflict (key) do nothing', [key, bytes])
      recent.keep(key, Buffer.from(bytes)) // a copy: the caller's buffer may be reused
      return { key, size: bytes.length }
    },
    async get(key) {
      return (await row(key)) ?? behind.get(key)
    },
    stream(key) {
      const out = new PassThrough()
      row(key).then(
        (bytes) => {
          if (bytes) {
            out.end(bytes)
            return
          }
          const src = behind.stream(key)
          src.on('error', (e) => out.destroy(e))
          src.pipe(out)
        },
        (e) => out.destroy(e as Error),
      )
      return out
    },
    async has(key) {
      return (await db.query('select 1 from payloads where key = $1', [key])).rows.length > 0 || behind.has(key)
    },
    async remove(key) {
      recent.forget(key)
      await db.query('delete from payloads where key = $1', [key])
      await behind.remove(key)
    },
    // spooled packages are large by definition (above STREAM_THRESHOLD_BYTES): they live behind
    adopt: (file, o) => behind.adopt(file, o),
    streamRange: (key, start, length): Readable => behind.streamRange(key, start, length),
    ...(behind.close ? { close: () => behind.close!() } : {}),
  }
}
