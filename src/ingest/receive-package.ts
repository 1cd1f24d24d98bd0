/**
 * Step 1 of the one path for an edXML body on POST /v1/documents: read it. A package up to
 * STREAM_THRESHOLD_BYTES is read into memory as before; a larger one (or one of unknown length once it
 * passes the threshold) goes to a spool file beside the payload store as it arrives — hashed (SHA-256 for
 * its key, MD5 for an object store's Content-MD5) and reduced to its skeleton (src/schemas/skeleton.ts) in
 * the same pass, never whole in memory. The spool file becomes the stored payload only when the package is
 * accepted (BlobStore.adopt); a refusal, a client that stops mid-body or a timeout removes it.
 */
import crypto from 'node:crypto'
import fs from 'node:fs'
import fsp from 'node:fs/promises'
import path from 'node:path'
import type { Readable } from 'node:stream'
import { GatewayError } from '../errors.ts'
import type { Config } from '../config/config.ts'
import { SkeletonScanner, type Skeleton } from '../schemas/skeleton.ts'

export interface SpooledPackage {
  kind: 'spooled'
  file: string
  size: number
  sha256: string
  md5: string
  skeleton: Skeleton
}

export const isSpooled = (b: unknown): b is SpooledPackage => !!b && typeof b === 'object' && (b as SpooledPackage).kind === 'spooled'

/** Runs of Base64 shorter than this stay in the skeleton (they cost less there than a range read). */
export const MIN_ELIDED_RUN = 64 * 1024

type Limits = Pick<Config, 'bodyLimit' | 'maxPackageBytes' | 'streamThresholdBytes' | 'minFreeDiskBytes' | 'maxXmlDepth' | 'blobDir'>

export const spoolDir = (c: Pick<Config, 'blobDir'>) => path.join(c.blobDir, '.incoming')

/** Disk left for payloads, minus what must stay free; throws INSUFFICIENT_STORAGE when `need` does not fit. */
async function checkDisk(dir: string, need: number, keep: number): Promise<void> {
  const s = await fsp.statfs(dir)
  const free = s.bavail * s.bsize
  if (free - need < keep) {
    throw new GatewayError('INSUFFICIENT_STORAGE', `the payload disk has ${free} bytes free; this package needs ${need} and ${keep} must stay free`)
  }
}

export async function receivePackage(c: Limits, body: Readable, declared: number | undefined): Promise<Buffer | SpooledPackage> {
  if (declared !== undefined && declared > c.maxPackageBytes) {
    throw new GatewayError('PAYLOAD_TOO_LARGE', `the package is ${declared} bytes; this gateway takes at most ${c.maxPackageBytes} (MAX_PACKAGE_BYTES)`)
  }
  const inMemory = declared !== undefined && declared <= c.streamThresholdBytes
  const held: Buffer[] = []
  let size = 0
  const it = body[Symbol.asyncIterator]() as AsyncIterator<Buffer>
  if (declared === undefined || inMemory) {
    // the ordinary case: a package small enough to hold (or of unknown length: held until it proves large)
    for (;;) {
      const r = await it.next()
      if (r.done) return Buffer.concat(held, size)
      held.push(r.value)
      size += r.value.length
      if (size > c.streamThresholdBytes) {
        if (inMemory) throw new GatewayError('BAD_REQUEST', 'the body is longer than its Content-Length')
        break
      }
    }
  }
  return spool(c, it, held, size, declared)
}

async function spool(c: Limits, it: AsyncIterator<Buffer>, held: Buffer[], heldSize: number, declared: number | undefined): Promise<SpooledPackage> {
  const dir = spoolDir(c)
  await fsp.mkdir(dir, { recursive: true })
  await checkDisk(dir, declared ?? heldSize, c.minFreeDiskBytes)
  const file = path.join(dir, `${process.pid}-${crypto.randomBytes(8).toString('hex')}.part`)
  const fh = await fsp.open(file, 'wx')
  const sha = crypto.createHash('sha256')
  const md5 = crypto.createHash('md5')
  const scanner = new SkeletonScanner({ minRun: MIN_ELIDED_RUN, maxSkeleton: c.bodyLimit, maxDepth: c.maxXmlDepth + 1 })
  let size = 0
  let nextDiskCheck = 256 * 1024 * 1024
  const take = async (chunk: Buffer) => {
    size += chunk.length
    if (size > c.maxPackageBytes) throw new GatewayError('PAYLOAD_TOO_LARGE', `the package is larger than ${c.maxPackageBytes} bytes (MAX_PACKAGE_BYTES)`)
    if (size > nextDiskCheck) {
      // a body of unknown length is checked as it grows
      nextDiskCheck += 256 * 1024 * 1024
      if (declared === undefined) await checkDisk(dir, 0, c.minFreeDiskBytes)
    }
    scanner.write(chunk)
    sha.update(chunk)
    md5.update(chunk)
    await fh.write(chunk)
  }
  try {
    for (const b of held) await take(b)
    for (;;) {
      const r = await it.next()
      if (r.done) break
      await take(r.value)
    }
    const skeleton = scanner.end()
    await fh.close()
    return { kind: 'spooled', file, size, sha256: sha.digest('hex'), md5: md5.digest('base64'), skeleton }
  } catch (e) {
    await fh.close().catch(() => {})
    await fsp.rm(file, { force: true })
    await it.return?.().catch(() => {}) // stop reading: the rest of the body is not wanted
    throw e
  }
}

/** Removes a spool file that will not be adopted (the package was refused or is a replay). */
export const discardSpool = (p: SpooledPackage) => fsp.rm(p.file, { force: true })

/**
 * Spool files left by a process that died mid-request; any older than the longest a request may take is
 * nobody's (a live request is younger), so several replicas sharing the directory can each sweep it.
 */
export async function sweepSpool(c: Pick<Config, 'blobDir' | 'requestTimeoutMs'>): Promise<number> {
  const dir = spoolDir(c)
  let removed = 0
  for (const name of await fsp.readdir(dir).catch(() => [] as string[])) {
    if (!name.endsWith('.part')) continue
    const f = path.join(dir, name)
    const st = await fsp.stat(f).catch(() => null)
    if (st && Date.now() - st.mtimeMs > 2 * c.requestTimeoutMs + 60_000) {
      await fsp.rm(f, { force: true })
      removed++
    }
  }
  return removed
}

/** The bytes of a spool file's range (the digest of an elided run, at acceptance). */
export const spoolRange = (p: SpooledPackage, start: number, length: number): Readable => fs.createReadStream(p.file, { start, end: start + length - 1 })
