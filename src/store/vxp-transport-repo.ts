/**
 * Transport states a receiving VXP system reports with updateStatus besides "done" (VXP-WIRE.md; the axis'
 * INITIAL → PROCESSING → DONE | FAIL). "done" is the ack itself (inbox / status inbox), so only processing
 * and fail live here, one row per received item.
 */
import type { Sql } from './db.ts'

export type TransportState = 'processing' | 'fail'

export async function setTransportState(q: Sql, itemId: string, state: TransportState, systemId: string): Promise<void> {
  await q.query(
    `insert into vxp_transport_states (item_id, state, system_id) values ($1, $2, $3)
     on conflict (item_id) do update set state = excluded.state, system_id = excluded.system_id, at = now()`,
    [itemId, state, systemId],
  )
}

export async function transportStates(q: Sql, itemIds: string[]): Promise<Map<string, { state: TransportState; at: string }>> {
  if (itemIds.length === 0) return new Map()
  const rows = (await q.query<{ item_id: string; state: TransportState; at: Date }>('select item_id, state, at from vxp_transport_states where item_id = any($1)', [itemIds])).rows
  return new Map(rows.map((r) => [r.item_id, { state: r.state, at: new Date(r.at).toISOString() }]))
}
