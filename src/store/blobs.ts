/**
 * Content-addressed payload store (claim-check): Kafka records carry the SHA-256, the bytes live here.
 * Writes go to a temp file, are fsynced, then renamed, so a key that exists is complete.
 */
import crypto from 'node:crypto'
import fs from 'node:fs'
import fsp from 'node:fs/promises'
import path from 'node:path'

export interface BlobStore {
  put(bytes: Buffer): Promise<{ key: string; size: number }>
  get(key: string): Promise<Buffer>
  stream(key: string): fs.ReadStream
  has(key: string): Promise<boolean>
  /** removes the bytes of a key nothing refers to any more (a dropped reservation); absent is fine */
  remove(key: string): Promise<void>
}

const KEY = /^[0-9a-f]{64}$/

export function fsBlobStore(dir: string): BlobStore {
  fs.mkdirSync(dir, { recursive: true })
  const where = (key: string) => {
    if (!KEY.test(key)) throw new Error(`bad blob key ${key}`)
    return path.join(dir, key.slice(0, 2), key.slice(2, 4), key)
  }
  return {
    async put(bytes) {
      const key = crypto.createHash('sha256').update(bytes).digest('hex')
      const file = where(key)
      if (await exists(file)) return { key, size: bytes.length }
      await fsp.mkdir(path.dirname(file), { recursive: true })
      const tmp = `${file}.${process.pid}.${crypto.randomBytes(4).toString('hex')}.tmp`
      const fh = await fsp.open(tmp, 'w')
      try {
        await fh.writeFile(bytes)
        await fh.sync()
      } finally {
        await fh.close()
      }
      await fsp.rename(tmp, file)
      return { key, size: bytes.length }
    },
    get: (key) => fsp.readFile(where(key)),
    stream: (key) => fs.createReadStream(where(key)),
    has: (key) => exists(where(key)),
    remove: (key) => fsp.rm(where(key), { force: true }),
  }
}

const exists = (f: string) => fsp.access(f).then(() => true, () => false)
