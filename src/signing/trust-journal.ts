/**
 * Trust changes made through one replica reach the others: the operator API appends each change to the
 * trust journal (PostgreSQL, beside the message log's audit row) and announces it on the change feed; every
 * replica applies the journal's new rows in order, at start-up after TRUST_DIR and on each notice. Applying
 * is idempotent (adding what is there, removing what is not, are no-ops), so a replica may see its own
 * change again.
 */
import { X509Certificate } from 'node:crypto'
import type { Logger } from 'pino'
import type { Db } from '../store/db.ts'
import { trustChangesAfter } from '../store/trust-journal-repo.ts'
import type { TrustStore } from './trust.ts'

export function trustJournalFollower(db: Db, trust: TrustStore, log: Logger): () => Promise<void> {
  let applied = 0
  let running: Promise<void> = Promise.resolve()
  const apply = async () => {
    for (const c of await trustChangesAfter(db, applied)) {
      try {
        if (c.action === 'crl' && c.der) trust.addCrl(c.der)
        else if (c.action === 'add' && c.der) {
          const cert = new X509Certificate(c.der)
          if (c.kind === 'roots') trust.addRoot(cert)
          else if (c.kind === 'intermediates') trust.addIntermediate(cert)
          else trust.addAgencyCert(cert, c.organId ?? undefined)
        } else if (c.action === 'remove' && c.fingerprint) {
          if (c.kind === 'roots') trust.removeRoot(c.fingerprint)
          else if (c.kind === 'intermediates') trust.removeIntermediate(c.fingerprint)
          else trust.removeAgencyCert(c.fingerprint)
        }
      } catch (err) {
        log.error({ err, seq: c.seq }, 'a trust journal entry could not be applied; skipped')
      }
      applied = c.seq
    }
  }
  // one pass at a time, in order: notices may arrive while a pass runs
  return () => (running = running.then(apply, apply))
}
