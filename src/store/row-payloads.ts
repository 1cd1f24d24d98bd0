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

export function withRowPayloads(db: Db, behind: BlobStore & { close?(): void }, maxBytes: number): BlobStore & { close?(): void } {
  if (maxBytes <= 0) return behind
  const row = async (key: string): Promise<Buffer | null> => {
    const r = await db.query<{ bytes: Buffer | Uint8Array }>('select bytes from payloads where key = $1', [key])
    return r.rows[0] ? checkedBytes(key, Buffer.from(r.rows[0].bytes)) : null
  }
  return {
    async put(bytes) {
      if (bytes.length > maxBytes) return behind.put(bytes)
      const key = sha256Hex(bytes)
      await db.query('insert into payloads (key, bytes) values ($1, $2) on conflict (key) do nothing', [key, bytes])
      return { key, size: bytes.length }
    },
    async get(key) {
      return (await row(key)) ?? behind.get(key)
    },
    stream(key) {
      const out = new PassThrough()
      row(key).then(
        (bytes) => {
          if (bytes) { out.end(bytes); return }
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
      await db.query('delete from payloads where key = $1', [key])
      await behind.remove(key)
    },
    // spooled packages are large by definition (above STREAM_THRESHOLD_BYTES): they live behind
    adopt: (file, o) => behind.adopt(file, o),
    streamRange: (key, start, length): Readable => behind.streamRange(key, start, length),
    ...(behind.close ? { close: () => behind.close!() } : {}),
  }
}
