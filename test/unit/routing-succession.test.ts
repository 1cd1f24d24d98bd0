/**
 * Routing to closed agencies (Decision 09/2025/QĐ-TTg closes the level-1 codes of merged provinces; the
 * district level is gone since 1/7/2025). A synthetic reorganisation in the real code shape, written for
 * these tests: provinces H96 and H97 merge into H96 (H97 closed); district 000.00.30.H96 is dissolved and its
 * communes merge into a new commune 000.00.45.H96 directly under the province.
 */
import t from 'tap'
import { parentOf } from '../../src/routing/agency-code.ts'
import { DirectorySnapshot } from '../../src/routing/directory-snapshot.ts'
import { planRoute, refusals, type GatewayIdentity } from '../../src/routing/route-planner.ts'
import { codesHeldBy, effectiveInstant, holderOf, isIsoDate, senderStanding, successionOf } from '../../src/routing/succession.ts'
import { assignTiers, inferTier } from '../../src/routing/tier-rules.ts'
import type { Agency, Closure, Tier } from '../../src/routing/types.ts'

const ag = (organId: string, name: string, tier: Tier, closed?: Closure, extra: Partial<Agency> = {}): Agency => ({
  organId,
  name,
  tier,
  parent: parentOf(organId),
  gateway: null,
  endpoint: { kind: 'inbox' },
  certificates: [],
  enabled: true,
  ...(closed ? { closed } : {}),
  ...extra,
})
const ON = '2025-07-01'
const KEPT = '000.00.00.H96'
const MERGED = '000.00.00.H97'
const DISTRICT = '000.00.30.H96'
const OLD_COMMUNE_A = '000.21.30.H96'
const OLD_COMMUNE_B = '000.22.30.H96'
const NEW_COMMUNE = '000.00.45.H96'
const OTHER_GW = 'https://lgsp.h98.example/'

const dir = DirectorySnapshot.build([
  ag(KEPT, 'UBND tỉnh Hà Chín Sáu', 'province'),
  ag(MERGED, 'UBND tỉnh Hà Chín Bảy', 'province', { on: ON, successors: [KEPT], note: 'sáp nhập' }),
  ag('000.00.13.H97', 'Sở Nội vụ tỉnh Hà Chín Bảy', 'province', { on: ON, successors: ['000.00.13.H96'] }),
  ag('000.00.13.H96', 'Sở Nội vụ tỉnh Hà Chín Sáu', 'province'),
  ag(DISTRICT, 'UBND huyện Bến Sông', 'district', { on: ON, successors: [KEPT] }),
  ag(OLD_COMMUNE_A, 'UBND xã An Bình', 'commune', { on: ON, successors: [NEW_COMMUNE] }),
  ag(OLD_COMMUNE_B, 'UBND xã Bình Lợi', 'commune', { on: ON, successors: [NEW_COMMUNE] }),
  ag(NEW_COMMUNE, 'UBND xã Bến Sông', 'commune', undefined, { parent: KEPT }),
  // history: A → B in 2025, B → C in 2027 (a chain)
  ag('000.00.50.H96', 'Ban A', 'province', { on: ON, successors: ['000.00.51.H96'] }),
  ag('000.00.51.H96', 'Ban B', 'province', { on: '2027-01-01', successors: ['000.00.52.H96'] }),
  ag('000.00.52.H96', 'Ban C', 'province'),
  // a closed successor with nowhere to go, a split, a loop (older bad data), a successor at another gateway
  ag('000.00.60.H96', 'Ban giải thể', 'province', { on: ON, successors: [] }),
  ag('000.00.61.H96', 'Ban chuyển vào ban giải thể', 'province', { on: ON, successors: ['000.00.60.H96'] }),
  ag('000.00.62.H96', 'Ban tách đôi', 'province', { on: ON, successors: ['000.00.52.H96', '000.00.13.H96'] }),
  ag('000.00.70.H96', 'Vòng 1', 'province', { on: ON, successors: ['000.00.71.H96'] }),
  ag('000.00.71.H96', 'Vòng 2', 'province', { on: ON, successors: ['000.00.70.H96'] }),
  ag('000.00.80.H96', 'Chuyển sang tỉnh khác', 'province', { on: ON, successors: ['000.00.00.H98'] }),
  ag('000.00.00.H98', 'UBND tỉnh Hà Chín Tám', 'province', undefined, { gateway: OTHER_GW }),
])
const self: GatewayIdentity = { jurisdiction: ['*.H96', '*.H97'], parentGateway: 'https://lgsp.central.example/' }
const AFTER = '2025-07-01T00:00:00+07:00'
const BEFORE = '2025-06-30T23:59:59+07:00'
const inbox = { kind: 'inbox' } as const

t.test('the effective date is a Vietnamese calendar day', async (t) => {
  t.equal(new Date(effectiveInstant(ON)).toISOString(), '2025-06-30T17:00:00.000Z')
  t.ok(isIsoDate('2025-07-01'))
  t.notOk(isIsoDate('2025-02-30'), 'no 30 February')
  t.notOk(isIsoDate('1/7/2025'))
})

t.test('a closed province and a dissolved district are delivered to their successors, once each', async (t) => {
  const plan = planRoute(dir, self, { from: '000.00.00.G22', to: [MERGED, DISTRICT, KEPT], at: AFTER })
  t.same(
    plan,
    [{ organId: KEPT, action: 'deliver', tier: 'province', endpoint: inbox, redirect: { addressedTo: MERGED, chain: [MERGED, KEPT], closedOn: ON } }],
    'three names, one agency now: one step, saying what the document was addressed to',
  )
  const communes = planRoute(dir, self, { from: KEPT, to: [OLD_COMMUNE_A, OLD_COMMUNE_B], at: AFTER })
  t.same(
    communes.map((s) => [s.organId, s.action]),
    [[NEW_COMMUNE, 'deliver']],
    'two merged communes: the new commune once',
  )
  t.equal(communes[0]!.action === 'deliver' && communes[0]!.tier, 'commune')
})

t.test('a document accepted just before the effective date keeps its recipient', async (t) => {
  t.same(planRoute(dir, self, { from: KEPT, to: [MERGED, DISTRICT], at: BEFORE }), [
    { organId: MERGED, action: 'deliver', tier: 'province', endpoint: inbox },
    { organId: DISTRICT, action: 'deliver', tier: 'district', endpoint: inbox },
  ])
})

t.test('no time given: every closure applies (the safe reading for a closed code)', async (t) => {
  t.equal(planRoute(dir, self, { from: KEPT, to: [MERGED] })[0]!.organId, KEPT)
})

t.test('chains are followed, each hop judged at the document time', async (t) => {
  const in2026 = planRoute(dir, self, { from: KEPT, to: ['000.00.50.H96'], at: '2026-03-01T08:00:00+07:00' })
  t.same(
    in2026.map((s) => s.organId),
    ['000.00.51.H96'],
    'B is still open in 2026',
  )
  const in2027 = planRoute(dir, self, { from: KEPT, to: ['000.00.50.H96'], at: '2027-01-01T00:00:00+07:00' })
  t.same(in2027, [
    {
      organId: '000.00.52.H96',
      action: 'deliver',
      tier: 'province',
      endpoint: inbox,
      redirect: { addressedTo: '000.00.50.H96', chain: ['000.00.50.H96', '000.00.51.H96', '000.00.52.H96'], closedOn: ON },
    },
  ])
})

t.test('a closed successor with no successor of its own, a split, a loop: refused AGENCY_CLOSED naming what there is', async (t) => {
  const plan = planRoute(dir, self, { from: KEPT, to: ['000.00.61.H96', '000.00.60.H96', '000.00.62.H96', '000.00.70.H96'], at: AFTER })
  const r = refusals(plan)
  t.same(
    r.map((s) => [s.organId, s.code]),
    [
      ['000.00.61.H96', 'AGENCY_CLOSED'],
      ['000.00.60.H96', 'AGENCY_CLOSED'],
      ['000.00.62.H96', 'AGENCY_CLOSED'],
      ['000.00.70.H96', 'AGENCY_CLOSED'],
    ],
  )
  t.match(r[0]!.reason, /000\.00\.61\.H96 → 000\.00\.60\.H96, itself closed/)
  t.same(r[2]!.code === 'AGENCY_CLOSED' && r[2]!.successors, ['000.00.52.H96', '000.00.13.H96'], 'a split names both candidates')
  t.match(r[3]!.reason, /loop/)
})

t.test('refuse policy: 422 AGENCY_CLOSED naming the successor, for the whole chain', async (t) => {
  const plan = planRoute(dir, { ...self, closedRecipients: 'refuse' }, { from: KEPT, to: [MERGED, KEPT], at: AFTER })
  t.same(plan[0], { organId: MERGED, action: 'refuse', code: 'AGENCY_CLOSED', reason: `${MERGED} closed on ${ON}; address its successor ${KEPT}`, successors: [KEPT] })
  t.same(plan[1], { organId: KEPT, action: 'deliver', tier: 'province', endpoint: inbox })
})

t.test('a successor in another gateway is forwarded like any other recipient', async (t) => {
  t.same(planRoute(dir, self, { from: KEPT, to: ['000.00.80.H96'], at: AFTER }), [
    { organId: '000.00.00.H98', action: 'forward', gateway: OTHER_GW, redirect: { addressedTo: '000.00.80.H96', chain: ['000.00.80.H96', '000.00.00.H98'], closedOn: ON } },
  ])
})

t.test('a peer forwarding to a code this gateway closed gets the redirection (never back to the peer)', async (t) => {
  const plan = planRoute(dir, self, { from: '000.00.00.H98', to: [MERGED], at: AFTER, via: OTHER_GW })
  t.same(
    plan.map((s) => [s.organId, s.action]),
    [[KEPT, 'deliver']],
  )
  const back = planRoute(dir, self, { from: KEPT, to: ['000.00.80.H96'], at: AFTER, via: OTHER_GW })
  t.equal(back[0]!.action, 'refuse', 'the successor lives at the gateway it came from: no loop')
})

t.test('holders: who answers for an old code now', async (t) => {
  const now = Date.parse(AFTER)
  t.equal(holderOf(dir, MERGED, now), KEPT)
  t.equal(holderOf(dir, MERGED, Date.parse(BEFORE)), MERGED)
  t.equal(holderOf(dir, '000.00.62.H96', now), null, 'a split has no single holder')
  t.same(codesHeldBy(dir, [KEPT], now).sort(), [DISTRICT, MERGED].sort())
  t.same(codesHeldBy(dir, [NEW_COMMUNE], now).sort(), [OLD_COMMUNE_A, OLD_COMMUNE_B])
  t.same(codesHeldBy(dir, [KEPT], Date.parse(BEFORE)), [])
  t.same(successionOf(dir, KEPT, now), { kind: 'open', organId: KEPT, chain: [KEPT] })
})

t.test('a closed sender: accepted and flagged inside the grace period, refused after it', async (t) => {
  t.same(senderStanding(dir, KEPT, Date.parse(AFTER), 30), { kind: 'active' })
  t.same(senderStanding(dir, MERGED, Date.parse(BEFORE), 30), { kind: 'active' }, 'before the date it is an ordinary sender')
  const inGrace = senderStanding(dir, MERGED, Date.parse('2025-07-30T23:59:59+07:00'), 30)
  t.same(inGrace, { kind: 'grace', closedOn: ON, graceUntil: '2025-07-30T17:00:00.000Z', successors: [KEPT] })
  t.same(senderStanding(dir, MERGED, Date.parse('2025-07-31T00:00:00+07:00'), 30), { kind: 'closed', closedOn: ON, successors: [KEPT] })
  t.same(senderStanding(dir, MERGED, Date.parse(AFTER), 0), { kind: 'closed', closedOn: ON, successors: [KEPT] }, 'no grace: refused from the first minute')
})

t.test('both tier shapes in one directory: a commune under its district, and one directly under its province', async (t) => {
  t.equal(inferTier(NEW_COMMUNE, 'UBND xã Bến Sông', 'province')?.tier, 'commune', 'level-2 code named as a commune')
  t.equal(inferTier('000.00.46.H96', 'UBND phường Sông Chín', 'province')?.tier, 'commune')
  t.equal(inferTier('000.00.47.H96', 'UBND đặc khu Hòn Chín', 'province')?.tier, 'commune', 'đặc khu (Decision 19/2025/QĐ-TTg)')
  t.equal(inferTier(DISTRICT, 'UBND huyện Bến Sông', 'province')?.tier, 'district', 'the old shape still reads')
  t.equal(inferTier(OLD_COMMUNE_A, 'UBND xã An Bình', 'district')?.tier, 'commune')
  const { tiers } = assignTiers([
    { organId: KEPT, name: 'UBND tỉnh Hà Chín Sáu' },
    { organId: '000.23.30.H96', name: 'UBND xã Cũ', parent: DISTRICT },
    { organId: DISTRICT, name: 'UBND huyện Bến Sông' },
    { organId: '000.24.30.H96', name: 'UBND xã Mới (mã cũ, trực thuộc tỉnh)', parent: KEPT },
  ])
  t.equal(tiers.get('000.23.30.H96')?.tier, 'commune')
  t.equal(tiers.get('000.24.30.H96')?.tier, 'commune', 'an old-shape code re-parented to the province is still a commune')
  t.equal(dir.get(NEW_COMMUNE)?.parent, KEPT)
  t.same(
    dir
      .children(KEPT)
      .filter((a) => a.tier === 'commune')
      .map((a) => a.organId),
    [NEW_COMMUNE],
    'the commune is a child of the province',
  )
  const plan = planRoute(dir, self, { from: KEPT, to: [NEW_COMMUNE, DISTRICT], at: BEFORE })
  t.same(
    plan.map((s) => s.action === 'deliver' && s.tier),
    ['commune', 'district'],
    'both shapes routed by their stored tier',
  )
})

t.test('the snapshot keeps closed agencies (history) and lists them', async (t) => {
  t.equal(dir.closedAgencies().length, 13)
  t.ok(Object.isFrozen(dir.get(MERGED)!.closed), 'closures are frozen with the snapshot')
  t.equal(dir.get(KEPT)!.closed, undefined, 'active agencies carry no closure')
})

t.test('a directory import carries closures: closedOn and successors columns, checked per line', async (t) => {
  const { importDirectory } = await import('../../src/routing/directory-import.ts')
  const r = importDirectory(
    [
      'organId\tname\tclosedOn\tsuccessors',
      `${KEPT}\tUBND tỉnh Hà Chín Sáu\t\t`,
      `${MERGED}\tUBND tỉnh Hà Chín Bảy\t2025-07-01\t${KEPT}`,
      `${DISTRICT}\tUBND huyện Bến Sông\t2025-07-01\t${KEPT}; ${NEW_COMMUNE}`,
      `000.00.31.H96\tUBND huyện Sai Ngày\t01/07/2025\t${KEPT}`,
      `000.00.33.H96\tUBND huyện Không Ngày\t\t${KEPT}`,
      `000.00.34.H96\tUBND huyện Tự Kế Thừa\t2025-07-01\t000.00.34.H96`,
    ].join('\n'),
    { format: 'tsv' },
  )
  t.same(
    r.agencies.map((a) => [a.organId, a.closed]),
    [
      [KEPT, undefined],
      [MERGED, { on: ON, successors: [KEPT] }],
      [DISTRICT, { on: ON, successors: [KEPT, NEW_COMMUNE] }],
    ],
  )
  t.same(
    r.errors.map((e) => e.line),
    [5, 6, 7],
  )
  t.match(
    r.errors.map((e) => e.message),
    [/not a yyyy-mm-dd date/, /successors given without closedOn/, /cannot succeed itself/],
  )
})
