/**
 * Applying a change table (src/routing/succession-table.ts checks it): the dry run reports, for every
 * agency it would close, what the gateway holds for it — legs in flight, unread inbox items, webhooks,
 * API keys and certificate bindings — and applying it is one transaction and one operator action in the
 * message log. A table with a conflict is never applied, not even in part.
 *
 * Bindings of a closing code (the table's `bindings` column):
 *   keep     nothing changes: keys may still act for the old code (a From refused after the grace period)
 *   carry    API keys acting for the old code may also act for the successor; webhooks filtered on the old
 *            code follow the successor; the old code's certificate bindings (its directory entry's, and the
 *            fingerprints of its agency certificates in the trust store) are added to the successor's entry
 *   disable  the old code is taken off API keys (a key left with none is disabled); webhooks filtered on it
 *            are removed; its directory certificate bindings are cleared
 * Unread inbox items are not rewritten: under CLOSED_INBOX_POLICY=move the successor reads them
 * (src/ingest/closed-agencies.ts); each gets a MOVED event on its timeline when the table is applied.
 */
import { GatewayError } from '../errors.ts'
import type { Runtime } from '../runtime.ts'
import type { Sql } from '../store/db.ts'
import { recordEvent } from '../store/ledger-repo.ts'
import { eventKey } from '../delivery/event-key.ts'
import { logOperatorAction } from '../store/message-log-repo.ts'
import { closureHoldingCounts, type ClosureHoldingCounts } from '../store/closure-holdings-repo.ts'
import { carryCertificatesToSuccessor, clearCertificates, recordClosure } from '../store/directory-repo.ts'
import { disableClientsWithoutOrgans, extendClientKeysToSuccessor, removeOrganFromClientKeys } from '../store/clients-repo.ts'
import { deleteSubscriptionsFilteredOn, retargetSubscriptionFilters } from '../store/webhooks-repo.ts'
import { unreadDocumentsOf } from '../store/inbox-repo.ts'
import { effectiveInstant } from '../routing/succession.ts'
import { parseSuccessionTable, planSuccession, type PlannedClosure, type SuccessionPlan } from '../routing/succession-table.ts'

/** The counts from the database (legs in flight, unread inbox, webhooks, API keys), and the certificates. */
export interface ClosureHoldings extends ClosureHoldingCounts {
  /** certificate bindings: the directory entry's, and agency certificates in the trust store */
  certificates: { directory: number; trustStore: number }
}

export interface SuccessionReport extends Omit<SuccessionPlan, 'closures'> {
  dryRun: boolean
  applied: boolean
  closures: (PlannedClosure & ClosureHoldings)[]
  totals: { agencies: number; inFlight: number; unreadInbox: number; webhooks: number; apiKeys: number; certificates: number }
}

export async function holdingsOf(rt: Runtime, q: Sql, organId: string): Promise<ClosureHoldings> {
  return {
    ...(await closureHoldingCounts(q, organId)),
    certificates: {
      directory: rt.directory().get(organId)?.certificates.length ?? 0,
      trustStore: trustFingerprintsOf(rt, organId).length,
    },
  }
}

/** Check the table, report what it would do, and (unless dryRun) apply it. Throws SUCCESSION_CONFLICT. */
export async function applySuccessionTable(rt: Runtime, text: string, opts: { dryRun: boolean; actor: string }): Promise<SuccessionReport> {
  const parsed = parseSuccessionTable(text)
  const plan = planSuccession(rt.directory(), parsed.rows, parsed.errors)
  const closures = await Promise.all(plan.closures.map(async (c) => ({ ...c, ...(await holdingsOf(rt, rt.db, c.organId)) })))
  const report: SuccessionReport = {
    ...plan,
    closures,
    dryRun: opts.dryRun,
    applied: false,
    totals: {
      agencies: closures.length,
      inFlight: sum(closures, (c) => c.inFlight),
      unreadInbox: sum(closures, (c) => c.unreadInbox),
      webhooks: sum(closures, (c) => c.webhooks),
      apiKeys: sum(closures, (c) => c.apiKeys),
      certificates: sum(closures, (c) => c.certificates.directory + c.certificates.trustStore),
    },
  }
  if (opts.dryRun) return report
  if (plan.errors.length || plan.conflicts.length) {
    throw new GatewayError('SUCCESSION_CONFLICT', `${plan.conflicts.length} conflicting and ${plan.errors.length} unreadable row(s); nothing was applied`, {
      errors: [...plan.errors, ...plan.conflicts].map((i) => ({ line: i.line, message: i.message })),
    })
  }
  if (closures.length) {
    await rt.db.tx(async (q) => {
      const at = new Date().toISOString()
      const moved: { organId: string; to: string; items: number }[] = []
      for (const c of closures) {
        await recordClosure(q, c.organId, c.on, c.successors, c.note)
        await applyBindings(q, c, trustFingerprintsOf(rt, c.organId))
        if (rt.config.closedInboxPolicy === 'move' && c.successors.length === 1 && effectiveInstant(c.on) <= Date.now())
          moved.push({ organId: c.organId, to: c.successors[0]!, items: await recordInboxMoves(q, c, at) })
      }
      await logOperatorAction(q, {
        actor: opts.actor,
        action: 'directory.succession',
        detail: {
          closures: closures.map(({ organId, on, successors, note, bindings, inFlight, unreadInbox }) => ({ organId, on, successors, note, bindings, inFlight, unreadInbox })),
          alreadyApplied: plan.alreadyApplied,
          inboxMoves: moved,
        },
      })
    })
    await rt.reloadDirectory()
  }
  return { ...report, applied: true }
}

const trustFingerprintsOf = (rt: Runtime, organId: string): string[] => [...rt.signing.trust.agencies.values()].filter((a) => a.organId === organId).map((a) => a.fingerprint)

async function applyBindings(q: Sql, c: PlannedClosure, trustFingerprints: string[]): Promise<void> {
  if (c.bindings === 'keep') return
  if (c.bindings === 'carry') {
    const to = c.successors[0]!
    await extendClientKeysToSuccessor(q, c.organId, to)
    await retargetSubscriptionFilters(q, c.organId, to)
    await carryCertificatesToSuccessor(q, c.organId, to, trustFingerprints)
    return
  }
  const changed = await removeOrganFromClientKeys(q, c.organId)
  await disableClientsWithoutOrgans(q, changed)
  await deleteSubscriptionsFilteredOn(q, c.organId)
  await clearCertificates(q, c.organId)
}

/** A MOVED event on the leg of every unread inbox item of the closing code (the leg's status is unchanged). */
async function recordInboxMoves(q: Sql, c: PlannedClosure, at: string): Promise<number> {
  const to = c.successors[0]!
  const documents = await unreadDocumentsOf(q, c.organId)
  for (const documentUuid of documents) {
    await recordEvent(q, {
      eventKey: eventKey(documentUuid, c.organId, 'MOVED', to),
      id: documentUuid,
      recipient: c.organId,
      status: 'MOVED',
      at,
      moveStatus: false,
      detail: { to, reason: `${c.organId} closes on ${c.on}; its unread inbox item is read by its successor ${to}` },
    })
  }
  return documents.length
}

const sum = <T>(xs: readonly T[], f: (x: T) => number) => xs.reduce((n, x) => n + f(x), 0)
