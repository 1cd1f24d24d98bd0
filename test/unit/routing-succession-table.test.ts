/**
 * The change table (old, successor, effective[, note, bindings]) read and checked against a directory.
 * Synthetic codes in the real shape, written for this test (H96 keeps its code, H97 is closed into it).
 */
import t from 'tap'
import { parentOf } from '../../src/routing/agency-code.ts'
import { DirectorySnapshot } from '../../src/routing/directory-snapshot.ts'
import { parseSuccessionTable, planSuccession } from '../../src/routing/succession-table.ts'
import type { Agency, Closure, Tier } from '../../src/routing/types.ts'

const ag = (organId: string, tier: Tier, closed?: Closure, extra: Partial<Agency> = {}): Agency => ({
  organId,
  name: `Cơ quan ${organId}`,
  tier,
  parent: parentOf(organId),
  gateway: null,
  endpoint: { kind: 'inbox' },
  certificates: [],
  enabled: true,
  ...(closed ? { closed } : {}),
  ...extra,
})
const dir = DirectorySnapshot.build([
  ag('000.00.00.H96', 'province'),
  ag('000.00.00.H97', 'province'),
  ag('000.00.30.H96', 'district'),
  ag('000.21.30.H96', 'commune'),
  ag('000.22.30.H96', 'commune'),
  ag('000.00.45.H96', 'commune', undefined, { parent: '000.00.00.H96' }),
  ag('000.00.13.H96', 'province'),
  ag('000.00.14.H96', 'province'),
  ag('000.00.90.H96', 'province', { on: '2025-07-01', successors: ['000.00.13.H96'] }),
  ag('000.00.00.H98', 'province', undefined, { gateway: 'https://lgsp.h98.example' }),
])
const plan = (text: string) => {
  const { rows, errors } = parseSuccessionTable(text)
  return planSuccession(dir, rows, errors)
}

t.test('a synthetic merger: a province closed into the kept code, a district dissolved, its communes merged (TSV)', async (t) => {
  const p = plan(
    [
      'old\tsuccessor\teffective\tnote',
      '000.00.00.H97\t000.00.00.H96\t2025-07-01\tHợp nhất tỉnh',
      '000.00.30.H96\t000.00.00.H96\t2025-07-01\tKhông tổ chức cấp huyện',
      '# communes of the dissolved district',
      '000.21.30.H96\t000.00.45.H96\t2025-07-01\t',
      '000.22.30.H96\t000.00.45.H96\t2025-07-01\t',
      '',
    ].join('\n'),
  )
  t.same(p.conflicts, [])
  t.same(p.errors, [])
  t.equal(p.rows, 4)
  t.same(
    p.closures.map((c) => [c.organId, c.on, c.successors, c.note, c.bindings, c.lines]),
    [
      ['000.00.00.H97', '2025-07-01', ['000.00.00.H96'], 'Hợp nhất tỉnh', 'keep', [2]],
      ['000.00.30.H96', '2025-07-01', ['000.00.00.H96'], 'Không tổ chức cấp huyện', 'keep', [3]],
      ['000.21.30.H96', '2025-07-01', ['000.00.45.H96'], null, 'keep', [5]],
      ['000.22.30.H96', '2025-07-01', ['000.00.45.H96'], null, 'keep', [6]],
    ],
  )
})

t.test('CSV with quotes, a split (two rows for one code), a dissolution (empty successor), bindings', async (t) => {
  const p = plan(
    [
      'effective,old,successor,note,bindings',
      '2025-07-01,000.00.13.H96,000.00.14.H96,"Tách, chuyển một phần",carry',
      '2025-07-01,000.00.30.H96,000.00.00.H96,,disable',
      '2025-07-01,000.00.30.H96,000.00.14.H96,,disable',
      '2025-07-01,000.22.30.H96,,giải thể,',
    ].join('\r\n'),
  )
  t.same(p.conflicts, [])
  t.same(
    p.closures.map((c) => [c.organId, c.successors, c.bindings, c.note]),
    [
      ['000.00.13.H96', ['000.00.14.H96'], 'carry', 'Tách, chuyển một phần'],
      ['000.00.30.H96', ['000.00.00.H96', '000.00.14.H96'], 'disable', null],
      ['000.22.30.H96', [], 'keep', 'giải thể'],
    ],
  )
})

t.test('conflicts: unknown codes, a closed successor, a successor closed by the same table, loops, dates, carry to several', async (t) => {
  const p = plan(
    [
      'old,successor,effective',
      '000.00.77.H96,000.00.00.H96,2025-07-01', // 2 unknown old
      '000.21.30.H96,000.00.78.H96,2025-07-01', // 3 unknown successor
      '000.22.30.H96,000.00.90.H96,2025-07-01', // 4 successor closed in the directory
      '000.00.30.H96,000.21.30.H96,2025-07-01', // 5 (000.21.30.H96 is closed by line 3) successor closed by this table
      '000.00.13.H96,000.00.14.H96,2025-07-01', // 6 ┐ a loop
      '000.00.14.H96,000.00.13.H96,2025-07-01', // 7 ┘
      '000.00.00.H97,000.00.00.H96,2025-07-01', // 8 ┐ two dates
      '000.00.00.H97,000.00.00.H96,2025-08-01', // 9 ┘
      '000.00.45.H96,000.00.45.H96,2025-07-01', // 10 itself
      '000.00.00.H96,000.00.99.H98,2025-07-01', // 11 fine: owned by the H98 gateway
    ].join('\n'),
  )
  const byLine = new Map(p.conflicts.map((c) => [c.line, c.message]))
  t.match(byLine.get(2), /000\.00\.77\.H96 is not in the directory/)
  t.match(byLine.get(3), /successor 000\.00\.78\.H96 is not in the directory/)
  t.match(byLine.get(4), /successor 000\.00\.90\.H96 is itself closed \(on 2025-07-01, into 000\.00\.13\.H96\): name its successor instead/)
  t.match(byLine.get(5), /itself closed by this table \(line 3\)/)
  t.match(
    p.conflicts.filter((c) => /^loop/.test(c.message)).map((c) => c.message),
    [/loop: 000\.00\.13\.H96 → 000\.00\.14\.H96 → 000\.00\.13\.H96/],
    'the loop is reported once',
  )
  t.match(byLine.get(8), /several effective dates \(2025-07-01, 2025-08-01\)/)
  t.match(byLine.get(10), /cannot succeed itself/)
  t.same(
    p.closures.map((c) => c.organId),
    ['000.00.00.H96'],
    'only the clean row would close',
  )
  const carry = plan('old,successor,effective,bindings\n000.00.30.H96,000.00.00.H96,2025-07-01,carry\n000.00.30.H96,000.00.14.H96,2025-07-01,carry\n')
  t.match(carry.conflicts[0]!.message, /carried to exactly one successor/)
})

t.test('unreadable lines and a header without the required columns', async (t) => {
  const p = plan('old,successor,effective\n000.00.30.H96,000.00.00.H96,1/7/2025\n00.30.H96,000.00.00.H96,2025-07-01\n000.00.30.H96,000.00.00.H96,2025-07-01,,sometimes\n')
  t.same(
    p.errors.map((e) => e.line),
    [2, 3],
  )
  t.match(p.errors[0]!.message, /not a yyyy-mm-dd date/)
  t.match(p.errors[1]!.message, /4 dot-separated groups/)
  t.same(
    p.closures.map((c) => c.organId),
    ['000.00.30.H96'],
    'extra cells beyond the header are ignored',
  )
  t.match(parseSuccessionTable('from,to,date\n').errors[0]!.message, /missing: old, successor, effective/)
  t.match(parseSuccessionTable('').errors[0]!.message, /empty change table/)
})

t.test('re-applying a closure already stored is reported, not a conflict; a different one is', async (t) => {
  const same = plan('old,successor,effective\n000.00.90.H96,000.00.13.H96,2025-07-01\n')
  t.same([same.closures.length, same.alreadyApplied, same.conflicts], [0, ['000.00.90.H96'], []])
  const other = plan('old,successor,effective\n000.00.90.H96,000.00.14.H96,2025-07-01\n')
  t.match(other.conflicts[0]!.message, /already closed on 2025-07-01 into 000\.00\.13\.H96/)
})
