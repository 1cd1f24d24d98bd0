/**
 * Payloads in an S3-compatible object store (AWS S3, MinIO, Ceph RGW, S3Proxy …), so several gateway
 * processes on several machines share one payload store. The object key is the SHA-256 (content
 * addressing makes a second put of the same bytes harmless), a put is complete when S3 answers it (S3 writes
 * are atomic per object), and every read is checked against the key (src/store/blobs.ts).
 */
import crypto from 'node:crypto'
import fs from 'node:fs'
import fsp from 'node:fs/promises'
import { PassThrough, type Readable } from 'node:stream'
import { DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client, CreateBucketCommand, HeadBucketCommand } from '@aws-sdk/client-s3'
import { BLOB_KEY, checkedBytes, checkedStream, sha256Hex, type BlobStore } from './blobs.ts'

export interface S3Options {
  endpoint: string
  bucket: string
  region: string
  accessKeyId: string
  secretAccessKey: string
  /** path-style URLs (http://host/bucket/key): S3Proxy, MinIO and most on-premise stores need it */
  forcePathStyle: boolean
  /** object key prefix, so several gateways can share a bucket */
  prefix: string
}

const objectKey = (o: S3Options, key: string) => {
  if (!BLOB_KEY.test(key)) throw new Error(`bad blob key ${key}`)
  return `${o.prefix}${key.slice(0, 2)}/${key}`
}

const notFound = (e: unknown) => {
  const x = e as { name?: string; $metadata?: { httpStatusCode?: number } }
  return x?.name === 'NotFound' || x?.name === 'NoSuchKey' || x?.$metadata?.httpStatusCode === 404
}

export async function s3BlobStore(o: S3Options): Promise<BlobStore & { close(): void }> {
  const s3 = new S3Client({
    endpoint: o.endpoint,
    region: o.region,
    forcePathStyle: o.forcePathStyle,
    credentials: { accessKeyId: o.accessKeyId, secretAccessKey: o.secretAccessKey },
    // the SDK's default retries (3, with backoff) cover a store that blips; the caller's 503 covers the rest
    maxAttempts: 3,
    // the SDK's default CRC32 "flexible checksums" (aws-chunked uploads) are not understood by many
    // S3-compatible stores; integrity is the SHA-256 key checked on every read, plus Content-MD5 on put
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  })
  // the bucket is created on first use so `npm start` and the tests need no set-up step
  try {
    await s3.send(new HeadBucketCommand({ Bucket: o.bucket }))
  } catch (e) {
    if (!notFound(e)) throw e
    await s3.send(new CreateBucketCommand({ Bucket: o.bucket }))
  }
  const body = async (key: string): Promise<Readable> => {
    const r = await s3.send(new GetObjectCommand({ Bucket: o.bucket, Key: objectKey(o, key) }))
    return r.Body as Readable
  }
  return {
    async put(bytes) {
      const key = sha256Hex(bytes)
      await s3.send(
        new PutObjectCommand({
          Bucket: o.bucket,
          Key: objectKey(o, key),
          Body: bytes,
          ContentLength: bytes.length,
          // the store checks the bytes it received (RFC 1864 Content-MD5: every S3-compatible store has it; the
          // newer x-amz-checksum-* headers are refused by several of them, S3Proxy included)
          ContentMD5: crypto.createHash('md5').update(bytes).digest('base64'),
        }),
      )
      return { key, size: bytes.length }
    },
    async get(key) {
      const chunks: Buffer[] = []
      for await (const c of await body(key)) chunks.push(c as Buffer)
      return checkedBytes(key, Buffer.concat(chunks))
    },
    stream(key) {
      // the answer starts before S3 does: errors (absent, unreachable, damaged) end the stream with an error
      const out = new PassThrough()
      body(key).then(
        (src) => {
          const check = checkedStream(key)
          src.on('error', (e) => out.destroy(e))
          check.on('error', (e) => out.destroy(e))
          src.pipe(check).pipe(out)
        },
        (e) => out.destroy(e as Error),
      )
      return out
    },
    async has(key) {
      try {
        await s3.send(new HeadObjectCommand({ Bucket: o.bucket, Key: objectKey(o, key) }))
        return true
      } catch (e) {
        if (notFound(e)) return false
        throw e
      }
    },
    async remove(key) {
      await s3.send(new DeleteObjectCommand({ Bucket: o.bucket, Key: objectKey(o, key) })) // absent is fine in S3
    },
    async adopt(file, { key, size, md5 }) {
      // one PUT up to 5 GiB (S3's single-object limit; MAX_PACKAGE_BYTES stays below it by default), streamed
      // from the spool file with its Content-MD5, as put() does for bytes in memory
      await s3.send(
        new PutObjectCommand({
          Bucket: o.bucket,
          Key: objectKey(o, key),
          Body: fs.createReadStream(file),
          ContentLength: size,
          ContentMD5: md5,
        }),
      )
      await fsp.rm(file, { force: true })
    },
    streamRange(key, start, length) {
      const out = new PassThrough()
      s3.send(new GetObjectCommand({ Bucket: o.bucket, Key: objectKey(o, key), Range: `bytes=${start}-${start + length - 1}` })).then(
        (r) => {
          const src = r.Body as Readable
          src.on('error', (e) => out.destroy(e))
          src.pipe(out)
        },
        (e) => out.destroy(e as Error),
      )
      return out
    },
    close: () => s3.destroy(),
  }
}
