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
 * (src/pipeline/closed-agencies.ts); each gets a MOVED event on its timeline when the table is applied.
 */
import { GatewayError } from '../errors.ts'
import type { Runtime } from '../runtime.ts'
import type { Sql } from '../store/db.ts'
import { recordEvent } from '../store/ledger-repo.ts'
import { logOperatorAction } from '../store/message-log-repo.ts'
import { effectiveInstant } from '../routing/succession.ts'
import { parseSuccessionTable, planSuccession, type PlannedClosure, type SuccessionPlan } from '../routing/succession-table.ts'

/** Delivery states of a leg that has not reached its recipient yet. */
const IN_FLIGHT = ['PENDING', 'ACCEPTED', 'ROUTED']

export interface ClosureHoldings {
  /** legs to the closing code not delivered yet (routing, pushing, retrying) */
  inFlight: number
  /** delivered to the closing code's pull inbox, never acknowledged */
  unreadInbox: number
  /** webhook subscriptions filtered on the code, or owned by a key acting for it */
  webhooks: number
  /** API keys (client role, enabled) acting for the code */
  apiKeys: number
  /** certificate bindings: the directory entry's, and agency certificates in the trust store */
  certificates: { directory: number; trustStore: number }
}

export interface SuccessionReport extends Omit<SuccessionPlan, 'closures'> {
  dryRun: boolean
  applied: boolean
  closures: (PlannedClosure & ClosureHoldings)[]
  totals: { agencies: number; inFlight: number; unreadInbox: number; webhooks: number; apiKeys: number; certificates: number }
}

async function count(q: Sql, sql: string, params: unknown[]): Promise<number> {
  return Number((await q.query<{ n: string | number }>(sql, params)).rows[0]?.n ?? 0)
}

export async function holdingsOf(rt: Runtime, q: Sql, organId: string): Promise<ClosureHoldings> {
  return {
    inFlight: await count(q, 'select count(*) as n from deliveries where recipient = $1 and status = any($2)', [organId, IN_FLIGHT]),
    unreadInbox: await count(q, 'select count(*) as n from inbox where recipient = $1 and acked_at is null', [organId]),
    webhooks: await count(q, `select count(*) as n from webhook_subscriptions w join clients c on c.id = w.client_id
      where w.filter_recipient = $1 or w.filter_sender = $1 or $1 = any(c.organ_ids)`, [organId]),
    apiKeys: await count(q, `select count(*) as n from clients where role = 'client' and not disabled and $1 = any(organ_ids)`, [organId]),
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
    ...plan, closures, dryRun: opts.dryRun, applied: false,
    totals: {
      agencies: closures.length,
      inFlight: sum(closures, (c) => c.inFlight), unreadInbox: sum(closures, (c) => c.unreadInbox),
      webhooks: sum(closures, (c) => c.webhooks), apiKeys: sum(closures, (c) => c.apiKeys),
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
        await q.query('update agencies set closed_on = $2::date, successors = $3, closure_note = $4, updated_at = now() where organ_id = $1', [c.organId, c.on, c.successors, c.note])
        await applyBindings(q, c, trustFingerprintsOf(rt, c.organId))
        if (rt.config.closedInboxPolicy === 'move' && c.successors.length === 1 && effectiveInstant(c.on) <= Date.now()) moved.push({ organId: c.organId, to: c.successors[0]!, items: await recordInboxMoves(q, c, at) })
      }
      await logOperatorAction(q, {
        actor: opts.actor, action: 'directory.succession',
        detail: { closures: closures.map(({ organId, on, successors, note, bindings, inFlight, unreadInbox }) => ({ organId, on, successors, note, bindings, inFlight, unreadInbox })), alreadyApplied: plan.alreadyApplied, inboxMoves: moved },
      })
    })
    await rt.reloadDirectory()
  }
  return { ...report, applied: true }
}

const trustFingerprintsOf = (rt: Runtime, organId: string): string[] =>
  [...rt.signing.trust.agencies.values()].filter((a) => a.organId === organId).map((a) => a.fingerprint)

async function applyBindings(q: Sql, c: PlannedClosure, trustFingerprints: string[]): Promise<void> {
  if (c.bindings === 'keep') return
  if (c.bindings === 'carry') {
    const to = c.successors[0]!
    await q.query(`update clients set organ_ids = array_append(organ_ids, $2) where role = 'client' and $1 = any(organ_ids) and not ($2 = any(organ_ids))`, [c.organId, to])
    await q.query('update webhook_subscriptions set filter_recipient = $2 where filter_recipient = $1', [c.organId, to])
    await q.query('update webhook_subscriptions set filter_sender = $2 where filter_sender = $1', [c.organId, to])
    await q.query(`update agencies s set certificates = array(select distinct unnest(s.certificates || o.certificates || $3::text[]))
      from agencies o where o.organ_id = $1 and s.organ_id = $2`, [c.organId, to, trustFingerprints])
    return
  }
  const changed = (await q.query<{ id: string }>(`update clients set organ_ids = array_remove(organ_ids, $1) where role = 'client' and $1 = any(organ_ids) returning id`, [c.organId])).rows.map((r) => r.id)
  await q.query('update clients set disabled = true where id = any($1) and cardinality(organ_ids) = 0', [changed])
  await q.query('delete from webhook_subscriptions where filter_recipient = $1 or filter_sender = $1', [c.organId])
  await q.query(`update agencies set certificates = '{}' where organ_id = $1`, [c.organId])
}

/** A MOVED event on the leg of every unread inbox item of the closing code (the leg's status is unchanged). */
async function recordInboxMoves(q: Sql, c: PlannedClosure, at: string): Promise<number> {
  const to = c.successors[0]!
  const items = (await q.query<{ document_uuid: string }>('select document_uuid from inbox where recipient = $1 and acked_at is null', [c.organId])).rows
  for (const it of items) {
    await recordEvent(q, {
      eventKey: `${it.document_uuid}:${c.organId}:MOVED:${to}`, id: it.document_uuid, recipient: c.organId, status: 'MOVED', at, moveStatus: false,
      detail: { to, reason: `${c.organId} closes on ${c.on}; its unread inbox item is read by its successor ${to}` },
    })
  }
  return items.length
}

const sum = <T>(xs: readonly T[], f: (x: T) => number) => xs.reduce((n, x) => n + f(x), 0)
