/**
 * The status model of a (document, recipient) leg: the gateway's own delivery states and the edXML business
 * statuses of QCVN 102:2016 (SPEC-NOTES §2.2), with their Vietnamese labels, who may send each, and the order
 * a leg normally moves in. Pure: no I/O. The receipts projection uses `classify` to flag statuses that arrive
 * out of order — they are recorded all the same (a QLVB may send 05 before 03 after an outage; losing it
 * would hide what the recipient actually did).
 */

export const DELIVERY_STATES = ['ACCEPTED', 'ROUTED', 'FORWARDED', 'DELIVERED', 'DELIVERY_FAILED', 'EXPIRED', 'RECEIVING', 'RECEIVE_FAILED'] as const
export type DeliveryState = (typeof DELIVERY_STATES)[number]

export const DELIVERY_LABELS: Record<DeliveryState, string> = {
  ACCEPTED: 'Cổng đã tiếp nhận',
  ROUTED: 'Đã định tuyến',
  FORWARDED: 'Đã chuyển tiếp lên cổng khác',
  DELIVERED: 'Đã chuyển đến đơn vị nhận',
  DELIVERY_FAILED: 'Chuyển không thành công',
  EXPIRED: 'Quá hạn, không chuyển được',
  // the receiving system's transport report over the national axis' protocol (updateStatus processing | fail)
  RECEIVING: 'Phần mềm nhận đang xử lý gói tin',
  RECEIVE_FAILED: 'Phần mềm nhận không xử lý được gói tin',
}

export interface BusinessStatus {
  code: string
  label: string
  /** who may send it: a recipient of the document, or its original sender (13) */
  sentBy: 'recipient' | 'sender'
}

/** The codes seen in the VPCP samples and SDKs (SPEC-NOTES §2.2); 07–12 and 14 appear nowhere. */
export const BUSINESS_STATUSES: ReadonlyMap<string, BusinessStatus> = new Map(
  (
    [
      ['01', 'Đã đến', 'recipient'],
      ['02', 'Từ chối tiếp nhận', 'recipient'],
      ['03', 'Đã tiếp nhận', 'recipient'],
      ['04', 'Phân công xử lý', 'recipient'],
      ['05', 'Đang xử lý', 'recipient'],
      ['06', 'Hoàn thành', 'recipient'],
      ['13', 'Yêu cầu lấy lại', 'sender'],
      ['15', 'Đồng ý cập nhật, lấy lại', 'recipient'],
      ['16', 'Từ chối cập nhật, lấy lại', 'recipient'],
    ] as const
  ).map(([code, label, sentBy]) => [code, { code, label, sentBy }]),
)

/** Any two-digit code is a business status on the wire (the XSD allows [0-9]{2}); unknown ones get no label. */
export const isBusinessCode = (s: string) => /^\d{2}$/.test(s)
export const isDeliveryState = (s: string): s is DeliveryState => (DELIVERY_STATES as readonly string[]).includes(s)

export function labelOf(status: string): string | null {
  if (isDeliveryState(status)) return DELIVERY_LABELS[status]
  return BUSINESS_STATUSES.get(status)?.label ?? null
}

/**
 * The normal forward moves between business statuses. 01–06 is a progression (steps may be skipped; 05 may
 * repeat); 02 and 06 end it. 13 (recall) may come at any point before the end; a recipient answers it with 15
 * (recalled: the leg ends) or 16 (refused: processing goes on).
 */
export const ALLOWED_NEXT: Readonly<Record<string, readonly string[]>> = {
  START: ['01', '02', '03', '04', '05', '06', '13'],
  '01': ['02', '03', '04', '05', '06', '13'],
  '02': [],
  '03': ['04', '05', '06', '13'],
  '04': ['05', '06', '13'],
  '05': ['05', '06', '13'],
  '06': [],
  '13': ['15', '16'],
  '15': [],
  '16': ['03', '04', '05', '06', '13'],
}

const PROGRESS = ['01', '02', '03', '04', '05', '06']
const TERMINAL = new Set(['02', '06', '15'])
const RECALL_ANSWERS = new Set(['15', '16'])

export interface Verdict {
  outOfOrder: boolean
  reason?: string
  /**
   * 'order': a step out of the usual sequence (may be a late arrival, e.g. 05 before 03 after an outage);
   * 'impossible': can never be right — 15/16 answer a recall that was never made, or a Timestamp before
   * the document reached the gateway
   */
  kind?: 'order' | 'impossible'
}

/** How far an agency's clock may be behind the gateway's before its Timestamp counts as "before the document". */
export const CLOCK_SKEW_MS = 5 * 60_000

/**
 * The earliest instant a status about a document may carry: the start of its PromulgationDate (yyyy/MM/dd,
 * Asia/Ho_Chi_Minh = UTC+7) or, when that is missing or not a date, its acceptance here less CLOCK_SKEW_MS;
 * the earlier of the two when both exist (a document forwarded between gateways is accepted later than it
 * existed).
 */
export function earliestStatusTime(doc: { promulgated?: string | null; accepted_at: string | Date | null }): number | null {
  const m = /^(\d{4})\/(\d{2})\/(\d{2})$/.exec(doc.promulgated ?? '')
  const day = m ? new Date(`${m[1]}-${m[2]}-${m[3]}T00:00:00+07:00`).getTime() : NaN
  const accepted = doc.accepted_at ? new Date(doc.accepted_at).getTime() - CLOCK_SKEW_MS : NaN
  const bounds = [day, accepted].filter((x) => Number.isFinite(x))
  return bounds.length ? Math.min(...bounds) : null
}

/**
 * The lifecycle check of one status on a leg: its Timestamp may not precede the document (earliestStatusTime),
 * then the order of the edXML lifecycle (classify).
 */
export function lifecycleVerdict(history: readonly string[], next: string, at: string, doc: { promulgated?: string | null; accepted_at: string | Date | null }): Verdict {
  const earliest = earliestStatusTime(doc)
  if (earliest !== null && new Date(at).getTime() < earliest) {
    return { outOfOrder: true, kind: 'impossible', reason: `Timestamp ${at} is before the document existed (${new Date(earliest).toISOString()})` }
  }
  return classify(history, next)
}

/**
 * Is `next` in order after the business statuses already on the leg (oldest first)? A leg's state is its last
 * in-order status; progress 01–06 may not go back past the highest step reached, even across a 13/16 detour.
 */
export function classify(history: readonly string[], next: string): Verdict {
  if (!BUSINESS_STATUSES.has(next)) return { outOfOrder: true, kind: 'order', reason: `unknown status code ${next}` }
  let state = 'START'
  let highest = -1
  for (const h of history) {
    if (!BUSINESS_STATUSES.has(h) || !step(state, highest, h)) continue // earlier out-of-order events do not move the state
    state = h
    highest = Math.max(highest, PROGRESS.indexOf(h))
  }
  if (RECALL_ANSWERS.has(next) && state !== '13') {
    return { outOfOrder: true, kind: 'impossible', reason: `${next} (${labelOf(next)}) answers a recall, and no recall (13) is pending on this leg` }
  }
  if (TERMINAL.has(state)) return { outOfOrder: true, kind: 'order', reason: `${next} after ${state} (${labelOf(state)}), which ends the exchange` }
  if (!step(state, highest, next)) return { outOfOrder: true, kind: 'order', reason: `${next} after ${state === 'START' ? 'no status' : state}` }
  return { outOfOrder: false }
}

function step(state: string, highest: number, next: string): boolean {
  if (!(ALLOWED_NEXT[state] ?? []).includes(next)) return false
  const p = PROGRESS.indexOf(next)
  return p < 0 || p > highest || (next === '05' && p === highest)
}

export interface LabelledFields {
  kind: 'gateway' | 'business'
  label: string | null
  outOfOrder: true
}

/** The fields a timeline event shows besides its status: kind, label, and the out-of-order flag when set. */
export function labelled(status: string, detail: unknown): Omit<LabelledFields, 'outOfOrder'> & { outOfOrder?: true } {
  const flagged = (detail as { outOfOrder?: boolean } | null | undefined)?.outOfOrder === true
  return { kind: isBusinessCode(status) ? 'business' : 'gateway', label: labelOf(status), ...(flagged ? { outOfOrder: true as const } : {}) }
}
