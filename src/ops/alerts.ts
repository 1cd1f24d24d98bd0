/**
 * What is wrong now, each with what to do: the console's alerts page. The same conditions are exported
 * as Prometheus alerting rules in deploy/prometheus/lgsp-alerts.yml (one rule per id below, label
 * `alert_id`); test/integration/console-alerts.test.ts checks the two lists match and that every metric a
 * rule reads is exported by /metrics.
 */
import type { Runtime } from '../runtime.ts'
import { TIERS } from '../routing/types.ts'
import { healthView, trustFindings, type HealthItem } from './health.ts'
import { historyView } from './history.ts'

export const ALERTS = {
  KafkaDown: {
    severity: 'critical',
    title: 'Kafka không hoạt động',
    action:
      'Kiểm tra tiến trình broker (deploy/kafka/start.sh, nhật ký trong DATA_DIR/kafka/logs) và dung lượng đĩa; cổng trả 503 cho văn bản gửi đến cho đến khi Kafka hoạt động lại, không mất văn bản đã nhận.',
  },
  KafkaBrokerMissing: {
    severity: 'warning',
    title: 'Thiếu broker Kafka',
    action: 'Khởi động lại broker đã dừng; khi còn ít hơn min.insync.replicas broker, việc ghi sẽ bị từ chối.',
  },
  DependencyDown: {
    severity: 'critical',
    title: 'Một thành phần không hoạt động',
    action: 'Xem lý do bên dưới: cơ sở dữ liệu (DATABASE_URL), kho nội dung (BLOB_DIR: quyền ghi, dung lượng) hoặc cổng liên thông ngang hàng (PEERS, PARENT_GATEWAY_URL).',
  },
  DlqGrowing: {
    severity: 'warning',
    title: 'Hàng đợi lỗi (DLQ) đang tăng',
    action: 'Mở Hàng đợi lỗi, đọc lỗi cuối của từng mục, liên hệ đơn vị nhận để sửa điểm nhận, rồi bấm Phát lại (hoặc Bỏ qua kèm ghi chú).',
  },
  TierLagRising: {
    severity: 'warning',
    title: 'Độ trễ của một cấp tăng liên tục 10 phút',
    action: 'Xem Hàng đợi: nếu có văn bản đang thử lại, kiểm tra điểm nhận đẩy; nếu không, kiểm tra tiến trình xử lý cấp đó (trạng thái workers trong /readyz) và tải máy.',
  },
  CertificateExpiring: {
    severity: 'warning',
    title: 'Chứng thư số sắp hết hạn',
    action: 'Xin cấp chứng thư mới từ CA và nạp vào kho tin cậy (POST /v1/ops/trust/… hoặc thư mục TRUST_DIR) trước ngày hết hạn.',
  },
  CrlStale: {
    severity: 'warning',
    title: 'CRL sắp quá hạn cập nhật',
    action: 'Kiểm tra địa chỉ CRL trong crl-urls.txt và kết nối đến CA; nạp CRL mới (POST /v1/ops/trust/crls) nếu không tải tự động được.',
  },
} as const satisfies Record<string, { severity: 'critical' | 'warning'; title: string; action: string }>
export type AlertId = keyof typeof ALERTS

export interface Alert {
  id: AlertId
  severity: 'critical' | 'warning'
  title: string
  detail: string
  action: string
  link: string
}

/** minutes a tier's lag must have risen, sample after sample, to be an alert */
export const LAG_RISING_MINUTES = 10
/** how far back the DLQ size is compared */
export const DLQ_WINDOW_MINUTES = 10

const alert = (id: AlertId, detail: string, link: string): Alert => ({ id, ...ALERTS[id], detail, link })

/** Rising on every minute sampled in the window (no gaps) and higher at its end than at its start. */
export function risingThroughout(values: (number | null)[]): boolean {
  if (values.length < 2 || values.some((v) => v === null)) return false
  const v = values as number[]
  return v.every((x, i) => i === 0 || x >= v[i - 1]!) && v[v.length - 1]! > v[0]!
}

export async function alertsView(rt: Runtime): Promise<{ at: string; items: Alert[]; health: HealthItem[] }> {
  const [health, hour] = await Promise.all([healthView(rt), historyView(rt.db, '1h')])
  const items: Alert[] = []
  for (const h of health.items) {
    if (h.kind === 'kafka' && h.state === 'bad') items.push(alert('KafkaDown', h.reason, h.link))
    else if (h.kind === 'kafka' && h.state === 'warn') items.push(alert('KafkaBrokerMissing', h.reason, h.link))
    else if ((h.kind === 'database' || h.kind === 'payloads' || h.kind === 'peer') && h.state === 'bad') items.push(alert('DependencyDown', `${h.label}: ${h.reason}`, h.link))
  }
  const window = (series: string, minutes: number) => hour.series[series]!.slice(-(minutes + 1))
  const dlq = window('dlq.delivery', DLQ_WINDOW_MINUTES).filter((v): v is number => v !== null)
  if (dlq.length >= 2 && dlq[dlq.length - 1]! > dlq[0]!) {
    items.push(alert('DlqGrowing', `Từ ${dlq[0]} lên ${dlq[dlq.length - 1]} mục trong ${DLQ_WINDOW_MINUTES} phút qua`, '#/dlq'))
  }
  for (const tier of TIERS) {
    const lag = window(`${tier}.lag`, LAG_RISING_MINUTES)
    if (risingThroughout(lag))
      items.push(alert('TierLagRising', `Cấp ${tier}: độ trễ Kafka từ ${lag[0]} lên ${lag[lag.length - 1]} bản ghi trong ${LAG_RISING_MINUTES} phút`, '#/queues'))
  }
  for (const f of trustFindings(rt)) items.push(alert(f.kind === 'crl' ? 'CrlStale' : 'CertificateExpiring', f.text, '#/alerts'))
  items.sort((a, b) => (a.severity === b.severity ? 0 : a.severity === 'critical' ? -1 : 1))
  return { at: new Date().toISOString(), items, health: health.items }
}
