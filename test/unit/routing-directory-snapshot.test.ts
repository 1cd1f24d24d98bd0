import t from 'tap'
import { DirectorySnapshot } from '../../src/routing/directory-snapshot.ts'
import { parentOf } from '../../src/routing/agency-code.ts'
import type { Agency, Tier } from '../../src/routing/types.ts'

const ag = (organId: string, name: string, tier: Tier, extra: Partial<Agency> = {}): Agency => ({
  organId,
  name,
  tier,
  parent: parentOf(organId),
  gateway: null,
  endpoint: { kind: 'inbox' },
  certificates: [],
  enabled: true,
  ...extra,
})
const agencies: Agency[] = [
  ag('000.00.00.H53', 'UBND Tỉnh Tây Ninh', 'province'),
  ag('000.00.13.H53', 'Sở Thông tin và Truyền thông', 'province'),
  ag('000.01.13.H53', 'TT Công nghệ thông tin và Truyền thông - Sở TTTT', 'province'),
  ag('000.00.31.H53', 'UBND huyện Bến Cầu', 'district'),
  ag('000.05.31.H53', 'Phòng Nội vụ huyện Bến Cầu', 'district'),
  ag('000.21.31.H53', 'UBND Xã An Thạnh huyện Bến Cầu', 'commune'),
  ag('000.22.31.H53', 'UBND Xã Long Chữ huyện Bến Cầu', 'commune', { enabled: false }),
  ag('000.00.30.H53', 'UBND Thành phố Tây Ninh', 'district'),
  ag('000.20.30.H53', 'UBND Phường 1 thành phố Tây Ninh', 'commune'),
  ag('000.00.00.G22', 'Văn phòng Chính phủ', 'central'),
]

t.test('get / has / parent / children / ancestors / descendants', async (t) => {
  const s = DirectorySnapshot.build(agencies, { version: 'r1' })
  t.equal(s.size, 10)
  t.equal(s.version, 'r1')
  t.equal(s.get('000.21.31.H53')?.name, 'UBND Xã An Thạnh huyện Bến Cầu')
  t.equal(s.get('000.99.31.H53'), undefined)
  t.ok(s.has('000.00.00.G22'))
  t.equal(s.parent('000.21.31.H53')?.organId, '000.00.31.H53')
  t.equal(s.parent('000.00.00.H53'), undefined)
  t.same(
    s.children('000.00.31.H53').map((a) => a.organId),
    ['000.05.31.H53', '000.21.31.H53', '000.22.31.H53'],
  )
  t.same(
    s.children('000.00.00.H53').map((a) => a.organId),
    ['000.00.13.H53', '000.00.31.H53', '000.00.30.H53'],
  )
  t.same(s.children('000.21.31.H53'), [])
  t.same(s.children('000.00.00.H99'), [])
  t.same(
    s.ancestors('000.21.31.H53').map((a) => a.organId),
    ['000.00.31.H53', '000.00.00.H53'],
  )
  t.same(
    s.descendants('000.00.31.H53').map((a) => a.organId),
    ['000.05.31.H53', '000.21.31.H53', '000.22.31.H53'],
  )
  t.equal(s.descendants('000.00.00.H53').length, 8)
  t.equal([...s].length, 10)
  t.equal(s.all().length, 10)
  t.equal(DirectorySnapshot.empty.size, 0)
})

t.test('immutable, and independent of the caller objects', async (t) => {
  const input = agencies.map((a) => ({ ...a, endpoint: { ...a.endpoint }, certificates: ['ab:cd'] }))
  const s = DirectorySnapshot.build(input)
  input[0].name = 'changed'
  ;(input[0].certificates as string[]).push('x')
  t.equal(s.get('000.00.00.H53')?.name, 'UBND Tỉnh Tây Ninh')
  t.same(s.get('000.00.00.H53')?.certificates, ['ab:cd'])
  const a = s.get('000.00.00.H53')!
  t.throws(() => {
    ;(a as { name: string }).name = 'x'
  }, TypeError)
  t.throws(() => {
    ;(a.certificates as string[]).push('y')
  }, TypeError)
  t.throws(() => {
    ;(a.endpoint as { kind: string }).kind = 'http'
  }, TypeError)
  t.throws(() => {
    ;(s.children('000.00.31.H53') as Agency[]).push(a)
  }, TypeError)
  t.throws(() => {
    ;(s.all() as Agency[]).pop()
  }, TypeError)
  t.throws(() => {
    ;(s as unknown as { size: number }).size = 1
  }, TypeError)
})

t.test('build refuses malformed, tierless and duplicated entries', async (t) => {
  t.throws(() => DirectorySnapshot.build([{ ...agencies[0], organId: '000.1137.H53' }]), /malformed organId/)
  t.throws(() => DirectorySnapshot.build([{ ...ag('000.00.00.H53', 'x', 'province'), tier: 'ward' as Tier }]), /no valid tier/)
  t.throws(() => DirectorySnapshot.build([agencies[0], agencies[0]]), /duplicated organId 000.00.00.H53/)
})

t.test('search: diacritic- and case-insensitive, ranked, filtered', async (t) => {
  const s = DirectorySnapshot.build(agencies)
  const ids = (q: string, o = {}) => s.search(q, o).map((a) => a.organId)
  t.same(ids('ben cau'), ['000.00.31.H53', '000.05.31.H53', '000.21.31.H53'], 'disabled Long Chữ excluded by default')
  t.same(ids('Bến Cầu', { includeDisabled: true }).length, 4)
  t.same(ids('UBND huyện bến'), ['000.00.31.H53', '000.21.31.H53'], 'name-prefix match first, then all tokens anywhere')
  t.same(ids('000.21.31.H53'), ['000.21.31.H53'], 'exact code')
  t.same(ids('xa an thanh'), ['000.21.31.H53'])
  t.same(ids('ubnd', { tier: 'commune' }), ['000.20.30.H53', '000.21.31.H53'])
  t.same(ids('ubnd', { under: '000.00.30.H53' }), ['000.00.30.H53', '000.20.30.H53'], 'subtree incl. root')
  t.same(ids('ubnd', { limit: 2 }).length, 2)
  t.same(ids('van phong chinh phu'), ['000.00.00.G22'])
  t.same(ids('G22'), ['000.00.00.G22'], 'code fragment')
  t.same(ids('   '), [])
  t.same(ids('không có'), [])
  const first = ids('ubnd')
  t.same(ids('UBND'), first, 'stable across calls (lazy index reused)')
})
