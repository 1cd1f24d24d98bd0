/**
 * One gateway per data directory. PGlite, the blob store and the demo credentials under DATA_DIR belong
 * to one process; a second one on the same folder would corrupt the embedded database or, as `npm start`
 * once did, stop the broker the first one still uses. The lock is a file created exclusively (O_EXCL),
 * holding the owner's pid: a lock whose pid is gone (SIGKILL, a closed terminal) is stale and reclaimed.
 */
import fs from 'node:fs'
import path from 'node:path'

export const LOCK_FILE = 'gateway.lock'

export interface LockHolder {
  pid: number
  startedAt: string
  /** what the holder was started as, to tell a reused pid from our own process */
  argv: string[]
  port?: number
}

export class LockHeldError extends Error {
  readonly holder: LockHolder
  constructor(dataDir: string, holder: LockHolder) {
    super(
      `${dataDir} is in use by the gateway with pid ${holder.pid} (started ${holder.startedAt}${holder.port ? `, port ${holder.port}` : ''}); ` +
        `stop it with \`npm stop\` (or \`kill ${holder.pid}\`), or give this one another DATA_DIR`,
    )
    this.name = 'LockHeldError'
    this.holder = holder
  }
}

export const lockPath = (dataDir: string) => path.join(dataDir, LOCK_FILE)

export function readLock(dataDir: string): LockHolder | null {
  try {
    const h = JSON.parse(fs.readFileSync(lockPath(dataDir), 'utf8')) as LockHolder
    return Number.isInteger(h?.pid) ? h : { pid: -1, startedAt: '?', argv: [] }
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null
    return { pid: -1, startedAt: '?', argv: [] } // unreadable or half-written: nobody can own it
  }
}

/** The holder still runs as what it was started as (a pid recycled by another program does not count). */
export function isAlive(h: LockHolder): boolean {
  if (h.pid <= 0) return false
  try {
    process.kill(h.pid, 0)
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'
  }
  try {
    const cmdline = fs.readFileSync(`/proc/${h.pid}/cmdline`, 'utf8').split('\0').filter(Boolean)
    const script = h.argv[0]
    return !script || cmdline.some((a) => a === script)
  } catch {
    return true // no /proc (not Linux): trust the pid
  }
}

export interface HeldLock {
  /** the stale holder this process replaced, if any (for the start-up log) */
  reclaimed: LockHolder | null
  /** records the listening port, so a refused second start can name it */
  update(extra: Partial<LockHolder>): void
  release(): void
}

/** Takes the lock or throws LockHeldError naming the live holder; reclaims a stale one. */
export function acquireLock(dataDir: string, argv: string[] = process.argv): HeldLock {
  fs.mkdirSync(dataDir, { recursive: true })
  const file = lockPath(dataDir)
  let me: LockHolder = { pid: process.pid, startedAt: new Date().toISOString(), argv: argv.slice(1) }
  let reclaimed: LockHolder | null = null
  for (let attempt = 0; ; attempt++) {
    try {
      const fd = fs.openSync(file, 'wx', 0o644)
      fs.writeSync(fd, JSON.stringify(me))
      fs.closeSync(fd)
      break
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 3) throw e
      const holder = readLock(dataDir)
      if (holder && holder.pid !== process.pid && isAlive(holder)) throw new LockHeldError(dataDir, holder)
      reclaimed = holder
      // stale: remove and retry the exclusive create, so two starters reclaiming at once still get one winner
      try {
        fs.unlinkSync(file)
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
      }
    }
  }
  const ours = () => readLock(dataDir)?.pid === process.pid
  return {
    reclaimed,
    update(extra) {
      if (!ours()) return
      me = { ...me, ...extra }
      fs.writeFileSync(`${file}.tmp`, JSON.stringify(me))
      fs.renameSync(`${file}.tmp`, file)
    },
    release() {
      if (ours()) fs.rmSync(file, { force: true })
    },
  }
}
