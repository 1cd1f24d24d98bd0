/** The demo directory: two central agencies and Nghệ An (H41) at province, district and commune tiers. */
import type { Agency, Tier } from '../routing/types.ts'
import { parentOf } from '../routing/agency-code.ts'

const DEMO: [string, string, Tier][] = [
  ['000.00.00.G22', 'Văn phòng Chính phủ', 'central'],
  ['000.00.00.G14', 'Bộ Thông tin và Truyền thông', 'central'],
  ['000.00.00.H41', 'UBND tỉnh Nghệ An', 'province'],
  ['000.00.13.H41', 'Sở Thông tin và Truyền thông Nghệ An', 'province'],
  ['000.00.30.H41', 'UBND huyện Quỳnh Lưu', 'district'],
  ['000.21.30.H41', 'UBND xã Quỳnh Thạch', 'commune'],
  ['000.00.31.H41', 'UBND huyện Yên Thành', 'district'],
  ['000.22.31.H41', 'UBND xã Công Thành', 'commune'],
]

export const demoAgencies = (): Agency[] =>
  DEMO.map(([organId, name, tier]) => ({
    organId,
    name,
    tier,
    parent: parentOf(organId),
    gateway: null,
    endpoint: { kind: 'inbox' },
    certificates: [],
    enabled: true,
  }))
