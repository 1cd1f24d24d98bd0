/**
 * Content-addressed payload store (claim-check): Kafka records carry the SHA-256, the bytes live here.
 * Two stores behind one interface: the filesystem (writes go to a temp file, are fsynced, then renamed and
 * the directory fsynced, so a key that exists is complete and survives a power loss) and an S3-compatible object store (src/store/s3-blobs.ts). Both check
 * on every read that the bytes still hash to their key: a damaged payload is refused, never served.
 */
import crypto from 'node:crypto'
import fs from 'node:fs'
import fsp from 'node:fs/promises'
import path from 'node:path'
import { Transform, type Readable } from 'node:stream'
import { GatewayError } from '../errors.ts'

export interface BlobStore {
  put(bytes: Buffer): Promise<{ key: string; size: number }>
  get(key: string): Promise<Buffer>
  /** the bytes as a stream; it errors at its end (after the last chunk) if they do not hash to the key */
  stream(key: string): Readable
  has(key: string): Promise<boolean>
  /** removes the bytes of a key nothing refers to any more (a dropped reservation); absent is fine */
  remove(key: string): Promise<void>
  /**
   * takes a package spooled to a file on this machine (its SHA-256 and MD5 computed on the way in) as the
   * bytes of `key`; the file is gone afterwards, and the bytes durable when this resolves
   */
  adopt(file: string, o: { key: string; size: number; md5: string }): Promise<void>
  /** `length` bytes from `start`, unchecked: the caller checks what it reads (an attachment run's SHA-256) */
  streamRange(key: string, start: number, length: number): Readable
}

export const sha256Hex = (bytes: Buffer) => crypto.createHash('sha256').update(bytes).digest('hex')

export const BLOB_KEY = /^[0-9a-f]{64}$/

const corrupt = (key: string, got: string) => new GatewayError('PAYLOAD_INTEGRITY', `stored payload ${key} hashes to ${got}; it is not served`, { extra: { key } })

/** Refuses bytes read back that are not what was stored under `key`. */
export function checkedBytes(key: string, bytes: Buffer): Buffer {
  const got = sha256Hex(bytes)
  if (got !== key) throw corrupt(key, got)
  return bytes
}

/**
 * Passes the bytes on while hashing them; fails at the end if they do not hash to `sha256` (the key, or the
 * recorded hash of a range of it).
 */
export function checkedStream(key: string, sha256 = key): Transform {
  const h = crypto.createHash('sha256')
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      h.update(chunk)
      cb(null, chunk)
    },
    flush(cb) {
      const got = h.digest('hex')
      cb(got === sha256 ? null : corrupt(key, got))
    },
  })
}

async function syncDir(d: string): Promise<void> {
  const h = await fsp.open(d, 'r')
  try {
    await h.sync()
  } finally {
    await h.close()
  }
}

export function fsBlobStore(dir: string): BlobStore {
  fs.mkdirSync(dir, { recursive: true })
  const where = (key: string) => {
    if (!BLOB_KEY.test(key)) throw new Error(`bad blob key ${key}`)
    return path.join(dir, key.slice(0, 2), key.slice(2, 4), key)
  }
  return {
    async put(bytes) {
      const key = sha256Hex(bytes)
      const file = where(key)
      if (await exists(file)) return { key, size: bytes.length }
      const created = await fsp.mkdir(path.dirname(file), { recursive: true })
      const tmp = `${file}.${process.pid}.${crypto.randomBytes(4).toString('hex')}.tmp`
      const fh = await fsp.open(tmp, 'w')
      try {
        await fh.writeFile(bytes)
        await fh.sync()
      } finally {
        await fh.close()
      }
      await fsp.rename(tmp, file)
      // a rename is durable once its directory is (fsync(2): syncing the file does not sync the entry that
      // names it); new fan-out directories need their parents synced too. Only then may a 202 follow.
      await syncDir(path.dirname(file))
      if (created) for (const d of [path.dirname(path.dirname(file)), dir]) await syncDir(d)
      return { key, size: bytes.length }
    },
    get: async (key) => checkedBytes(key, await fsp.readFile(where(key))),
    stream: (key) => {
      const out = checkedStream(key)
      const src = fs.createReadStream(where(key)).on('error', (e) => out.destroy(e)) // a missing file fails the stream
      return src.pipe(out)
    },
    has: (key) => exists(where(key)),
    remove: (key) => fsp.rm(where(key), { force: true }),
    async adopt(tmp, { key }) {
      const file = where(key)
      if (await exists(file)) {
        await fsp.rm(tmp, { force: true })
        return
      }
      const created = await fsp.mkdir(path.dirname(file), { recursive: true })
      const fh = await fsp.open(tmp, 'r+')
      try {
        await fh.sync()
      } finally {
        await fh.close()
      }
      await fsp.rename(tmp, file)
      await syncDir(path.dirname(file))
      if (created) for (const d of [path.dirname(path.dirname(file)), dir]) await syncDir(d)
    },
    streamRange: (key, start, length) => fs.createReadStream(where(key), { start, end: start + length - 1 }),
  }
}

const exists = (f: string) =>
  fsp.access(f).then(
    () => true,
    () => false,
  )
