import t from 'tap'
import { parentOf } from '../../src/routing/agency-code.ts'
import { DirectorySnapshot } from '../../src/routing/directory-snapshot.ts'
import { planRoute, refusals, type GatewayIdentity } from '../../src/routing/route-planner.ts'
import type { Agency, RouteStep, Tier } from '../../src/routing/types.ts'

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
const NGHE_AN = 'https://lgsp.nghean.example/'
const TAY_NINH = 'https://lgsp.tayninh.example/'
const CENTRAL = 'https://lgsp.vpcp.example/'

// The central gateway's view: ministries delivered here, provinces federated to their own gateways.
const central = DirectorySnapshot.build([
  ag('000.00.00.G22', 'Văn phòng Chính phủ', 'central'),
  ag('000.00.00.G14', 'Bộ Thông tin và Truyền thông', 'central', { endpoint: { kind: 'soap', url: 'https://mic.example/edoc' } }),
  ag('000.00.20.G14', 'Cục Báo chí', 'central', { endpoint: { kind: 'http', url: 'https://press.example/in' } }),
  ag('000.00.00.G18', 'Bộ Y tế', 'central', { enabled: false }),
  ag('000.00.00.H41', 'UBND Tỉnh Nghệ An', 'province', { gateway: NGHE_AN }),
  ag('000.00.00.H53', 'UBND Tỉnh Tây Ninh', 'province', { gateway: TAY_NINH }),
  ag('000.00.31.H53', 'UBND huyện Bến Cầu', 'district', { gateway: TAY_NINH }),
  ag('000.21.31.H53', 'UBND Xã An Thạnh', 'commune', { gateway: TAY_NINH }),
  ag('000.00.00.H14', 'UBND Tỉnh Cao Bằng', 'province', { endpoint: { kind: 'gateway', url: 'https://lgsp.caobang.example/' } }),
])
const centralSelf: GatewayIdentity = { jurisdiction: ['*.G*'], parentGateway: null }

// Tây Ninh's provincial gateway: its own four tiers locally, everything else through the central one.
const tayNinh = DirectorySnapshot.build([
  ag('000.00.00.H53', 'UBND Tỉnh Tây Ninh', 'province'),
  ag('000.00.13.H53', 'Sở Thông tin và Truyền thông', 'province', { endpoint: { kind: 'http', url: 'https://stttt.tayninh.example/edoc' } }),
  ag('000.00.31.H53', 'UBND huyện Bến Cầu', 'district'),
  ag('000.05.31.H53', 'Phòng Nội vụ huyện Bến Cầu', 'district'),
  ag('000.21.31.H53', 'UBND Xã An Thạnh huyện Bến Cầu', 'commune'),
  ag('000.22.31.H53', 'UBND Xã Long Chữ huyện Bến Cầu', 'commune', { enabled: false }),
  ag('001.01.07.H53', 'Trung tâm kỹ thuật TCĐLCL', 'province', { endpoint: { kind: 'soap', url: 'https://tcdlcl.example/ws' } }),
  ag('000.00.00.G22', 'Văn phòng Chính phủ', 'central', { gateway: CENTRAL }),
  ag('000.00.00.G14', 'Bộ TTTT (delivered directly by this hub)', 'central'),
])
const tnSelf: GatewayIdentity = { jurisdiction: ['*.H53'], parentGateway: CENTRAL }

const deliver = (organId: string, tier: Tier, endpoint: Agency['endpoint'] = { kind: 'inbox' }): RouteStep => ({ organId, action: 'deliver', tier, endpoint })
const forward = (organId: string, gateway: string): RouteStep => ({ organId, action: 'forward', gateway })

t.test('fan-out: Văn phòng Chính phủ to a ministry, a province, a district and a commune at once (central)', async (t) => {
  const plan = planRoute(central, centralSelf, {
    from: '000.00.00.G22',
    to: ['000.00.00.G14', '000.00.00.H41', '000.00.31.H53', '000.21.31.H53', '000.00.20.G14'],
  })
  t.same(plan, [
    deliver('000.00.00.G14', 'central', { kind: 'soap', url: 'https://mic.example/edoc' }),
    forward('000.00.00.H41', NGHE_AN),
    forward('000.00.31.H53', TAY_NINH),
    forward('000.21.31.H53', TAY_NINH),
    deliver('000.00.20.G14', 'central', { kind: 'http', url: 'https://press.example/in' }),
  ])
  t.same(refusals(plan), [])
})

t.test('fan-out at the provincial gateway: every tier locally, the rest upstream', async (t) => {
  const plan = planRoute(tayNinh, tnSelf, {
    from: '000.00.00.G22',
    to: ['000.00.00.H53', '000.00.13.H53', '000.00.31.H53', '000.21.31.H53', '001.01.07.H53', '000.00.00.G22', '000.00.00.H41', '000.00.00.G14'],
  })
  t.same(plan, [
    deliver('000.00.00.H53', 'province'),
    deliver('000.00.13.H53', 'province', { kind: 'http', url: 'https://stttt.tayninh.example/edoc' }),
    deliver('000.00.31.H53', 'district'),
    deliver('000.21.31.H53', 'commune'),
    deliver('001.01.07.H53', 'province', { kind: 'soap', url: 'https://tcdlcl.example/ws' }),
    forward('000.00.00.G22', CENTRAL),
    forward('000.00.00.H41', CENTRAL),
    deliver('000.00.00.G14', 'central'),
  ])
})

t.test('the stored tier is used, never the code level', async (t) => {
  const s = DirectorySnapshot.build([ag('000.00.31.H53', 'UBND huyện Bến Cầu', 'commune')])
  t.same(planRoute(s, tnSelf, { from: 'x', to: ['000.00.31.H53'] }), [deliver('000.00.31.H53', 'commune')])
})

t.test('disabled agencies are refused, wherever they live', async (t) => {
  const [s] = planRoute(tayNinh, tnSelf, { from: '000.00.00.H53', to: ['000.22.31.H53'] })
  t.match(s, { organId: '000.22.31.H53', action: 'refuse', code: 'UNKNOWN_RECIPIENT', reason: /disabled/ })
  const [c] = planRoute(central, centralSelf, { from: '000.00.00.G22', to: ['000.00.00.G18'] })
  t.match(c, { action: 'refuse', code: 'UNKNOWN_RECIPIENT', reason: /Bộ Y tế.*disabled/ })
  const remoteDisabled = DirectorySnapshot.build([ag('000.00.00.H41', 'UBND Tỉnh Nghệ An', 'province', { gateway: NGHE_AN, enabled: false })])
  t.match(
    planRoute(remoteDisabled, centralSelf, { from: 'x', to: ['000.00.00.H41'] }),
    [{ action: 'refuse', code: 'UNKNOWN_RECIPIENT' }],
    'a disabled remote entry is not forwarded',
  )
})

t.test('absent recipients: inside jurisdiction → refuse; outside → parent or refuse', async (t) => {
  t.match(planRoute(tayNinh, tnSelf, { from: 'x', to: ['000.30.31.H53'] }), [
    { organId: '000.30.31.H53', action: 'refuse', code: 'UNKNOWN_RECIPIENT', reason: /jurisdiction but not in its directory/ },
  ])
  t.same(planRoute(tayNinh, tnSelf, { from: 'x', to: ['000.05.20.H41'] }), [forward('000.05.20.H41', CENTRAL)], 'outside, with parent')
  t.match(
    planRoute(tayNinh, { jurisdiction: ['*.H53'], parentGateway: null }, { from: 'x', to: ['000.05.20.H41'] }),
    [{ action: 'refuse', code: 'UNKNOWN_RECIPIENT', reason: /no parent gateway/ }],
    'outside, no parent',
  )
  t.match(planRoute(central, centralSelf, { from: 'x', to: ['000.00.00.G99'] }), [{ action: 'refuse', code: 'UNKNOWN_RECIPIENT' }], 'top of federation, unknown G code')
  t.match(
    planRoute(central, centralSelf, { from: 'x', to: ['000.00.00.H22'] }),
    [{ action: 'refuse', code: 'UNKNOWN_RECIPIENT', reason: /no parent/ }],
    'top of federation, unknown province',
  )
  t.match(
    planRoute(tayNinh, { jurisdiction: [], parentGateway: CENTRAL }, { from: 'x', to: ['000.30.31.H53'] }),
    [forward('000.30.31.H53', CENTRAL)],
    'empty jurisdiction: everything unknown goes up',
  )
  t.match(planRoute(tayNinh, { jurisdiction: ['*'], parentGateway: CENTRAL }, { from: 'x', to: ['000.05.20.H41'] }), [{ action: 'refuse' }], "jurisdiction '*': nothing goes up")
  t.same(
    planRoute(tayNinh, { jurisdiction: ['*.H53', '*.31.H41'], parentGateway: CENTRAL }, { from: 'x', to: ['000.05.20.H41'] }),
    [forward('000.05.20.H41', CENTRAL)],
    'several patterns',
  )
})

t.test('agency owned elsewhere: gateway field or endpoint kind gateway', async (t) => {
  t.same(planRoute(central, centralSelf, { from: 'x', to: ['000.00.00.H14'] }), [forward('000.00.00.H14', 'https://lgsp.caobang.example/')])
  t.same(planRoute(tayNinh, tnSelf, { from: 'x', to: ['000.00.00.G22'] }), [forward('000.00.00.G22', CENTRAL)], 'directory gateway beats the parent')
})

t.test('loop guard: never forward back to the gateway the document came from', async (t) => {
  t.match(planRoute(tayNinh, tnSelf, { from: '000.00.00.G22', to: ['000.05.20.H41', '000.00.31.H53'], via: CENTRAL }), [
    { organId: '000.05.20.H41', action: 'refuse', code: 'UNKNOWN_RECIPIENT', reason: /loop/ },
    deliver('000.00.31.H53', 'district'),
  ])
  t.same(planRoute(tayNinh, tnSelf, { from: 'x', to: ['000.05.20.H41'], via: NGHE_AN }), [forward('000.05.20.H41', CENTRAL)], 'another origin is fine')
  t.same(planRoute(tayNinh, tnSelf, { from: 'x', to: ['000.05.20.H41'], via: null }), [forward('000.05.20.H41', CENTRAL)])
})

t.test('duplicates are removed, first occurrence order kept; whitespace ignored', async (t) => {
  const plan = planRoute(tayNinh, tnSelf, {
    from: 'x',
    to: ['000.21.31.H53', '000.00.31.H53', '000.21.31.H53', ' 000.00.31.H53\n', '000.00.00.H53', '000.21.31.H53'],
  })
  t.same(
    plan.map((s) => s.organId),
    ['000.21.31.H53', '000.00.31.H53', '000.00.00.H53'],
  )
  t.same(planRoute(tayNinh, tnSelf, { from: 'x', to: ['bad', 'bad'] }).length, 1, 'duplicate malformed codes refused once')
})

t.test('malformed codes: INVALID_AGENCY_CODE with the reason; others still planned', async (t) => {
  const plan = planRoute(tayNinh, tnSelf, { from: 'x', to: ['000.1137.H53', '28.22.H17', '000.00.00.h53', '', '000.21.31.H53', 42 as unknown as string] })
  t.match(plan, [
    { organId: '000.1137.H53', action: 'refuse', code: 'INVALID_AGENCY_CODE', reason: /found 3/ },
    { organId: '28.22.H17', action: 'refuse', code: 'INVALID_AGENCY_CODE' },
    { organId: '000.00.00.h53', action: 'refuse', code: 'INVALID_AGENCY_CODE', reason: /upper case/ },
    { organId: '', action: 'refuse', code: 'INVALID_AGENCY_CODE', reason: /empty/ },
    deliver('000.21.31.H53', 'commune'),
    { organId: '42', action: 'refuse', code: 'INVALID_AGENCY_CODE' },
  ])
  t.equal(refusals(plan).length, 5)
})

t.test('edge inputs: no recipients; empty directory; purity', async (t) => {
  t.same(planRoute(tayNinh, tnSelf, { from: 'x', to: [] }), [])
  t.same(planRoute(DirectorySnapshot.empty, tnSelf, { from: 'x', to: ['000.00.00.H41'] }), [forward('000.00.00.H41', CENTRAL)])
  const doc = Object.freeze({ from: '000.00.00.G22', to: Object.freeze(['000.21.31.H53', '000.00.00.H41']) })
  const a = planRoute(tayNinh, tnSelf, doc)
  const b = planRoute(tayNinh, tnSelf, doc)
  t.same(a, b, 'same inputs, same plan')
  t.not(a, b, 'a fresh array each time')
  t.throws(
    () => {
      ;(a[0] as { endpoint: { kind: string } }).endpoint.kind = 'http'
    },
    TypeError,
    'endpoint objects are the frozen snapshot ones',
  )
})

t.test('absent agency whose level-1 agency is owned by a gateway: forwarded there', async (t) => {
  // the central directory maps a province jurisdiction to its gateway through the level-1 agency only
  t.same(planRoute(central, centralSelf, { from: '000.00.00.G22', to: ['000.22.30.H41', '000.09.09.H14', '000.09.09.H99'] }), [
    forward('000.22.30.H41', NGHE_AN),
    forward('000.09.09.H14', 'https://lgsp.caobang.example/'),
    {
      organId: '000.09.09.H99',
      action: 'refuse',
      code: 'UNKNOWN_RECIPIENT',
      reason: "000.09.09.H99 is not in the directory, outside this gateway's jurisdiction, and there is no parent gateway",
    },
  ])
  // …but never back to the gateway the document came from
  t.match(planRoute(central, centralSelf, { from: '000.21.30.H41', to: ['000.22.30.H41'], via: NGHE_AN }), [{ action: 'refuse', code: 'UNKNOWN_RECIPIENT' }])
})
