/**
 * The health strip: one light per part the gateway depends on — Kafka (brokers up / expected), the
 * database, the payload store, each peer gateway, push endpoints that are failing (open circuit breaker
 * or deliveries waiting in the redelivery schedule), the trust store (certificate and CRL freshness). Each
 * light is ok / warn / bad with the reason in Vietnamese (the console's language) and the console page
 * that shows the detail. Kafka is read from the bus probe (a cheap read: it asks the cluster every second),
 * so a stopped broker turns red within a few seconds.
 */
import fsp from 'node:fs/promises'
import type { Runtime } from '../runtime.ts'
import { breakersFor } from '../delivery/retry-policy.ts'
import { ping } from '../store/db.ts'
import { failingEndpoints } from '../store/retry-repo.ts'

export type Light = 'ok' | 'warn' | 'bad'
export interface HealthItem {
  id: string
  kind: 'kafka' | 'database' | 'payloads' | 'peer' | 'push' | 'trust'
  label: string
  state: Light
  reason: string
  link: string
}
export interface HealthView {
  at: string
  state: Light
  items: HealthItem[]
}

const RANK: Record<Light, number> = { ok: 0, warn: 1, bad: 2 }
export const worst = (lights: Light[]): Light => lights.reduce<Light>((a, b) => (RANK[b] > RANK[a] ? b : a), 'ok')
/** a certificate or CRL this close to its end is amber; past it, red */
export const EXPIRY_WARN_MS = 14 * 86_400_000
export const CRL_WARN_MS = 6 * 3_600_000
const DAY = 86_400_000

const within = <T>(p: Promise<T>, ms: number) => Promise.race([p, new Promise<never>((_, rej) => setTimeout(() => rej(new Error(`không trả lời sau ${ms} ms`)), ms).unref())])
const vnTime = (iso: string | Date) => new Date(iso).toLocaleString('vi-VN', { timeZone: 'Asia/Ho_Chi_Minh', hour12: false })

function kafka(rt: Runtime): HealthItem {
  const h = rt.bus.health()
  const expected = rt.bus.replicationFactor()
  const base = { id: 'kafka', kind: 'kafka' as const, label: 'Kafka', link: '#/alerts' }
  if (!h.up)
    return {
      ...base,
      state: 'bad',
      reason: `Kafka không trả lời từ ${vnTime(h.since)}: ${h.error ?? 'không có phản hồi'} — văn bản gửi đến bị từ chối (503) cho đến khi Kafka hoạt động lại`,
    }
  const up = h.brokers ?? expected
  if (up < expected) return { ...base, label: `Kafka ${up}/${expected}`, state: 'warn', reason: `Chỉ ${up} trên ${expected} broker đang hoạt động` }
  return { ...base, label: `Kafka ${up}/${expected}`, state: 'ok', reason: `${up} broker hoạt động (cần ${expected}), trả lời từ ${vnTime(h.since)}` }
}

async function database(rt: Runtime): Promise<HealthItem> {
  const base = { id: 'database', kind: 'database' as const, label: 'Cơ sở dữ liệu', link: '#/alerts' }
  const t0 = Date.now()
  try {
    await within(ping(rt.db), 2000)
    return { ...base, state: 'ok', reason: `Trả lời trong ${Date.now() - t0} ms` }
  } catch (e) {
    return { ...base, state: 'bad', reason: `Không truy vấn được: ${(e as Error).message}` }
  }
}

async function payloads(rt: Runtime): Promise<HealthItem> {
  const base = { id: 'payloads', kind: 'payloads' as const, label: 'Kho nội dung', link: '#/alerts' }
  try {
    await fsp.access(rt.config.blobDir, fsp.constants.W_OK)
    const s = await fsp.statfs(rt.config.blobDir)
    const free = s.bavail / s.blocks
    const gb = (s.bavail * s.bsize) / 1e9
    const reason = `Còn trống ${gb.toFixed(1)} GB (${Math.round(free * 100)}%) tại ${rt.config.blobDir}`
    return { ...base, state: free < 0.02 ? 'bad' : free < 0.1 ? 'warn' : 'ok', reason }
  } catch (e) {
    return { ...base, state: 'bad', reason: `Không ghi được vào ${rt.config.blobDir}: ${(e as Error).message}` }
  }
}

/** Each peer and the parent gateway: its /readyz, asked with a short timeout. */
async function peers(rt: Runtime): Promise<HealthItem[]> {
  const urls = [...new Set([rt.config.parentGatewayUrl, ...rt.config.peers.map((p) => p.url)].filter(Boolean))]
  return Promise.all(
    urls.map(async (url): Promise<HealthItem> => {
      const base = { id: `peer:${url}`, kind: 'peer' as const, label: `Cổng ${new URL(url).host}`, link: '#/alerts' }
      try {
        const r = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(1500), redirect: 'manual' })
        await r.body?.cancel()
        return r.status === 200 ? { ...base, state: 'ok', reason: `${url} sẵn sàng` } : { ...base, state: 'warn', reason: `${url} trả lời ${r.status} (chưa sẵn sàng)` }
      } catch (e) {
        return { ...base, state: 'bad', reason: `Không kết nối được ${url}: ${(e as Error).message}` }
      }
    }),
  )
}

/** Push endpoints with deliveries waiting in the redelivery schedule; red when this process's breaker is open. */
async function pushEndpoints(rt: Runtime): Promise<HealthItem[]> {
  const rows = await failingEndpoints(rt.db)
  const breakers = breakersFor(rt)
  if (!rows.length) return [{ id: 'push', kind: 'push', label: 'Điểm nhận đẩy', state: 'ok', reason: 'Không có điểm nhận nào đang lỗi', link: '#/alerts' }]
  return rows.map((r): HealthItem => {
    const open = breakers.isOpen(r.endpoint)
    return {
      id: `push:${r.endpoint}`,
      kind: 'push',
      label: `Đẩy ${hostOf(r.endpoint)}`,
      state: open ? 'bad' : 'warn',
      link: '#/dlq',
      reason: `${open ? 'Cầu dao đang mở' : 'Đang thử lại'}: ${r.n} văn bản chờ gửi lại đến ${r.endpoint}${r.last_error ? ` — lỗi cuối: ${r.last_error}` : ''}`,
    }
  })
}
const hostOf = (endpoint: string) => {
  try {
    return new URL(endpoint).host
  } catch {
    return endpoint
  }
}

/** The trust store: certificates near their notAfter, CRLs near or past their nextUpdate. */
export function trustFindings(rt: Runtime, now = Date.now()): { state: Light; text: string; kind: 'certificate' | 'crl' }[] {
  const trust = rt.signing.trust
  const out: { state: Light; text: string; kind: 'certificate' | 'crl' }[] = []
  for (const [what, m] of [
    ['gốc', trust.roots],
    ['trung gian', trust.intermediates],
    ['cơ quan', trust.agencies],
  ] as const) {
    for (const e of m.values()) {
      const left = e.info.notAfter.getTime() - now
      if (left < EXPIRY_WARN_MS)
        out.push({
          kind: 'certificate',
          state: left < 0 ? 'bad' : 'warn',
          text: `Chứng thư ${what} ${e.cert.subject.replace(/\n/g, ', ')} ${left < 0 ? 'đã hết hạn' : 'hết hạn'} ${vnTime(e.info.notAfter)}`,
        })
    }
  }
  for (const c of trust.crlStatus()) {
    const left = c.nextUpdate ? Date.parse(c.nextUpdate) - now : Infinity
    if (left < CRL_WARN_MS)
      out.push({
        kind: 'crl',
        state: left < 0 ? 'bad' : 'warn',
        text: `CRL của ${c.issuer} ${left < 0 ? 'đã quá hạn cập nhật' : 'sắp đến hạn cập nhật'} (${vnTime(c.nextUpdate!)})`,
      })
    if (c.lastError) out.push({ kind: 'crl', state: 'warn', text: `Không tải được CRL ${c.source}: ${c.lastError}` })
  }
  return out
}

function trust(rt: Runtime): HealthItem {
  const findings = trustFindings(rt)
  const crls = rt.signing.trust.crlStatus()
  const next = crls
    .map((c) => c.nextUpdate)
    .filter((x): x is string => !!x)
    .sort()[0]
  const fine = crls.length ? `${crls.length} CRL, lần cập nhật tới sớm nhất ${vnTime(next ?? new Date(Date.now() + DAY))}` : 'Chưa cấu hình CRL nào'
  return {
    id: 'trust',
    kind: 'trust',
    label: 'Chứng thư & CRL',
    link: '#/alerts',
    state: worst(findings.map((f) => f.state)),
    reason: findings.length ? findings.map((f) => f.text).join('; ') : fine,
  }
}

/** Every light, computed now (the console asks every few seconds; each check is bounded in time). */
export async function healthView(rt: Runtime): Promise<HealthView> {
  const [db, blobs, peerItems, push] = await Promise.all([database(rt), payloads(rt), peers(rt), pushEndpoints(rt).catch((): HealthItem[] => [])])
  const items = [kafka(rt), db, blobs, ...peerItems, ...push, trust(rt)]
  return { at: new Date().toISOString(), state: worst(items.map((i) => i.state)), items }
}
