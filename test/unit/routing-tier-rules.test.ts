import t from 'tap'
import { assignTiers, foldVietnamese, inferTier, isCommuneName, isDistrictName, isTier } from '../../src/routing/tier-rules.ts'

t.test('level 1: G → central, H → province, other letters → no default', async (t) => {
  t.same(inferTier('000.00.00.G22', 'Văn phòng Chính phủ', null), { tier: 'central', source: 'rule' })
  t.same(inferTier('000.00.00.H53', 'UBND Tỉnh Tây Ninh', null), { tier: 'province', source: 'rule' })
  t.same(inferTier('000.00.00.H53', 'UBND huyện X (misnamed)', 'commune'), { tier: 'province', source: 'rule' }, 'level-1 ignores name and parent')
  t.equal(inferTier('000.00.00.A53', 'Tỉnh ủy', null), null, 'Party bloc: no guess')
  t.equal(inferTier('000.1137.H53', 'Phòng Y tế', 'district'), null, 'malformed')
})

t.test('level 2 under a province: UBND huyện/thị xã/thành phố/quận → district, else province', async (t) => {
  const l2 = (name: string) => inferTier('000.00.31.H53', name, 'province')?.tier
  t.equal(l2('UBND huyện Bến Cầu'), 'district')
  t.equal(l2('UBND Thành phố Tây Ninh'), 'district')
  t.equal(l2('UBND thị xã Hoà Thành'), 'district')
  t.equal(l2('UBND Quận 1'), 'district')
  t.equal(l2('Ủy ban nhân dân huyện Duy Xuyên'), 'district')
  t.equal(l2('Uỷ ban nhân dân thị xã Trảng Bàng'), 'district', 'old tone-mark placement')
  t.equal(l2('  UBND  huyện\u200b Gò Dầu '), 'district', 'zero-width and extra spaces')
  t.equal(l2('Sở Thông tin và Truyền thông'), 'province')
  t.equal(l2('Văn phòng UBND tỉnh'), 'province')
  t.equal(l2('Ban Quản lý Khu Kinh tế'), 'province')
  t.equal(l2('UBND huyệnX'), 'province', 'word boundary')
  t.equal(l2('Phòng Nội vụ huyện Bến Cầu'), 'province', 'only a name that STARTS with UBND huyện')
  t.same(inferTier('000.00.31.H53', 'Sở X', null), { tier: 'province', source: 'rule' }, 'rule applies without the parent present')
})

t.test('level 2 under a ministry inherits (central)', async (t) => {
  t.same(inferTier('000.00.20.G14', 'Cục Báo chí', 'central'), { tier: 'central', source: 'parent' })
  t.same(inferTier('000.00.80.G24', 'Bảo hiểm xã hội tỉnh Tây Ninh', 'central'), { tier: 'central', source: 'parent' })
  t.equal(inferTier('000.00.20.G14', 'Cục Báo chí', null), null, 'no parent tier → no guess')
})

t.test('level 3: UBND xã/phường/thị trấn → commune, else the parent tier', async (t) => {
  t.same(inferTier('000.21.31.H53', 'UBND Xã An Thạnh huyện\u200b Bến Cầu', 'district'), { tier: 'commune', source: 'rule' })
  t.equal(inferTier('000.20.30.H53', 'UBND Phường 1 thành phố Tây Ninh', 'district')?.tier, 'commune')
  t.equal(inferTier('000.20.32.H53', 'UBND Thị Trấn Châu Thành', 'district')?.tier, 'commune')
  t.equal(inferTier('000.46.24.H44', 'Ủy ban nhân dân xã Tiên Lương', 'district')?.tier, 'commune')
  t.same(inferTier('000.05.31.H53', 'Phòng Nội vụ huyện Bến Cầu', 'district'), { tier: 'district', source: 'parent' })
  t.same(inferTier('000.01.13.H53', 'TT CNTT và Truyền thông - Sở TTTT', 'province'), { tier: 'province', source: 'parent' })
  t.equal(inferTier('000.04.31.H53', 'Phòng Lao động Thương binh và UBND Xã hội huyện Bến Cầu', 'district')?.tier, 'district', 'real quirky name: "UBND Xã hội" not at the start')
  t.equal(inferTier('000.21.31.H53', 'UBND Xã hội', 'district')?.tier, 'commune', 'the rule is by name; overrides fix real oddities')
})

t.test('level 4 inherits', async (t) => {
  t.same(inferTier('001.01.07.H53', 'Trung tâm kỹ thuật TCĐLCL', 'province'), { tier: 'province', source: 'parent' })
  t.same(inferTier('001.21.31.H53', 'UBND xã (level 4?)', 'commune'), { tier: 'commune', source: 'parent' }, 'commune rule is level-3 only')
})

t.test('helpers', async (t) => {
  t.equal(foldVietnamese('  UBND Thị Trấn  Đồng\u200bKhởi '), 'ubnd thi tran dongkhoi')
  t.ok(isDistrictName('UBND Thành phố Tây Ninh'))
  t.notOk(isDistrictName('UBND Tỉnh Tây Ninh'))
  t.ok(isCommuneName('UBND Phường Hiệp Ninh'))
  t.notOk(isCommuneName('UBND Phường'.slice(0, 8)))
  t.ok(isTier('commune'))
  t.notOk(isTier('ward'))
})

t.test('assignTiers: parents first, inheritance, overrides win, explicit tier, unresolved', async (t) => {
  const entries = [
    // children listed before their parents on purpose
    { organId: '000.05.31.H53', name: 'Phòng Nội vụ huyện Bến Cầu' },
    { organId: '000.21.31.H53', name: 'UBND Xã An Thạnh' },
    { organId: '001.01.07.H53', name: 'Trung tâm kỹ thuật TCĐLCL' },
    { organId: '000.01.07.H53', name: 'Chi cục' },
    { organId: '000.00.07.H53', name: 'Sở LĐTBXH' },
    { organId: '000.00.31.H53', name: 'UBND huyện Bến Cầu' },
    { organId: '000.00.00.H53', name: 'UBND Tỉnh Tây Ninh' },
    { organId: '000.00.00.G22', name: 'Văn phòng Chính phủ' },
    { organId: '000.00.00.A53', name: 'Tỉnh ủy (Party bloc)' },
    { organId: '000.00.01.A53', name: 'Văn phòng Tỉnh ủy' },
    { organId: '000.00.02.A53', name: 'Ban Tuyên giáo', tier: 'province' as const },
    { organId: '000.01.00.G99', name: 'orphan gapped code' },
    { organId: '000.00.05.G77', name: 'orphan (parent absent)' },
    { organId: '000.00.00.G22', name: 'duplicate: first wins', tier: 'commune' as const },
  ]
  const { tiers, unresolved } = assignTiers(entries)
  const tier = (id: string) => tiers.get(id)?.tier
  t.equal(tier('000.00.00.H53'), 'province')
  t.equal(tier('000.00.31.H53'), 'district')
  t.equal(tier('000.05.31.H53'), 'district')
  t.equal(tier('000.21.31.H53'), 'commune')
  t.equal(tier('001.01.07.H53'), 'province')
  t.equal(tier('000.00.00.G22'), 'central', 'duplicate ignored')
  t.same(tiers.get('000.00.02.A53'), { tier: 'province', source: 'explicit' })
  t.same(unresolved.map((u) => u.organId).sort(), ['000.00.00.A53', '000.00.01.A53', '000.00.05.G77', '000.01.00.G99'])
  t.match(unresolved.find((u) => u.organId === '000.00.00.A53')?.reason, /level-1 prefix A/)
  t.match(unresolved.find((u) => u.organId === '000.00.05.G77')?.reason, /no ancestor/)

  // overrides: a district reclassified to province level propagates to its children that inherit
  const o = assignTiers(entries, { '000.00.31.H53': 'province', '000.00.00.A53': 'province', '000.21.31.H53': 'district' })
  t.same(o.tiers.get('000.00.31.H53'), { tier: 'province', source: 'override' })
  t.equal(o.tiers.get('000.05.31.H53')?.tier, 'province', 'inherits the overridden parent')
  t.same(o.tiers.get('000.21.31.H53'), { tier: 'district', source: 'override' }, 'override beats the commune rule')
  t.equal(o.tiers.get('000.00.01.A53')?.tier, 'province', 'Party bloc child inherits the overridden root')
  const m = assignTiers(entries, new Map([['000.00.02.A53', 'central' as const]]))
  t.same(m.tiers.get('000.00.02.A53'), { tier: 'central', source: 'override' }, 'override beats an explicit tier (Map form)')
  t.throws(() => assignTiers(entries, { '000.00.00.H53': 'ward' as never }), TypeError)
})

t.test('assignTiers: explicit parent is preferred over the code parent; cycles do not hang', async (t) => {
  const { tiers } = assignTiers([
    { organId: '000.00.00.H44', name: 'UBND tỉnh' },
    { organId: '000.00.24.H44', name: 'UBND huyện Y' },
    { organId: '000.46.77.H44', name: 'Trạm (registered under 000.00.24.H44)', parent: '000.00.24.H44' },
    { organId: '000.01.90.H44', name: 'A', parent: '000.02.90.H44' },
    { organId: '000.02.90.H44', name: 'B', parent: '000.01.90.H44' },
  ])
  t.equal(tiers.get('000.46.77.H44')?.tier, 'district')
  t.equal(tiers.get('000.01.90.H44')?.tier, 'province', 'cycle broken, falls back to the code chain')
  t.equal(tiers.get('000.02.90.H44')?.tier, 'province')
})
