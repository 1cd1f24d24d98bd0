import t from 'tap'
import { isGatewayError } from '../../src/errors.ts'
import {
  agencyCodeProblem,
  ancestorsOf,
  isAgencyCode,
  isDescendantOf,
  jurisdictionMatches,
  jurisdictionOf,
  jurisdictionPatterns,
  levelOf,
  parentOf,
  parseAgencyCode,
  validateJurisdiction,
} from '../../src/routing/agency-code.ts'

t.test('parseAgencyCode splits the four groups (real Tây Ninh codes)', async (t) => {
  t.same(parseAgencyCode('000.21.31.H53'), { code: '000.21.31.H53', ccc: '000', bb: '21', aa: '31', xnn: 'H53', bloc: 'H', level: 3 })
  t.same(parseAgencyCode('001.01.07.H53'), { code: '001.01.07.H53', ccc: '001', bb: '01', aa: '07', xnn: 'H53', bloc: 'H', level: 4 })
  t.equal(parseAgencyCode('000.00.00.G22').bloc, 'G')
  t.equal(parseAgencyCode('000.00.00.A80').bloc, 'A', 'Party bloc prefix is accepted')
  t.equal(parseAgencyCode('00.53.W00'.padStart(13, '0').replace(/^0000/, '000.')).xnn, 'W00')
  t.ok(isAgencyCode('000.00.01.G1A'), 'the two characters after the letter are alphanumeric')
})

t.test('malformed codes are refused with INVALID_AGENCY_CODE and a precise reason', async (t) => {
  const bad: [unknown, RegExp][] = [
    ['000.1137.H53', /4 dot-separated groups.*found 3/], // real line 315 of the Tây Ninh file
    ['28.22.H17', /found 3/], // edoc_new.edxml sample
    ['', /empty/],
    [' 000.00.00.H53', /whitespace/],
    ['000.00.00.H53 ', /whitespace/],
    ['00.00.00.H53', /level-4 group must be 3 digits/],
    ['000.0A.00.H53', /level-3 group must be 2 digits/],
    ['000.00.3.H53', /level-2 group must be 2 digits/],
    ['000.00.00.h53', /upper case/],
    ['000.00.00.953', /one letter and 2 alphanumerics/],
    ['000.00.00.H5', /one letter and 2 alphanumerics/],
    ['000.00.00.H533', /one letter and 2 alphanumerics/],
    ['000.00.00.H5-', /one letter and 2 alphanumerics/],
    ['000.00.00.H53\u200b', /one letter and 2 alphanumerics/],
    ['000.00.00.H53.', /found 5/],
    [53, /must be a string/],
  ]
  for (const [code, re] of bad) {
    t.notOk(isAgencyCode(code), `isAgencyCode(${JSON.stringify(code)}) is false`)
    t.match(agencyCodeProblem(code), re, `reason for ${JSON.stringify(code)}`)
    let err: unknown
    try {
      parseAgencyCode(code as string)
    } catch (e) {
      err = e
    }
    t.ok(isGatewayError(err) && err.code === 'INVALID_AGENCY_CODE' && re.test(err.message), `parseAgencyCode(${JSON.stringify(code)}) throws INVALID_AGENCY_CODE`)
  }
  t.equal(agencyCodeProblem('000.00.00.H53'), null)
})

t.test('levelOf counts the non-zero groups', async (t) => {
  t.equal(levelOf('000.00.00.H53'), 1, 'UBND tỉnh Tây Ninh')
  t.equal(levelOf('000.00.00.G22'), 1, 'Văn phòng Chính phủ')
  t.equal(levelOf('000.00.13.H53'), 2, 'Sở TTTT')
  t.equal(levelOf('000.00.31.H53'), 2, 'UBND huyện Bến Cầu')
  t.equal(levelOf('000.00.20.G14'), 2, 'Cục Báo chí – Bộ TTTT')
  t.equal(levelOf('000.21.31.H53'), 3, 'UBND xã An Thạnh')
  t.equal(levelOf('000.01.13.H53'), 3, 'TT CNTT – Sở TTTT')
  t.equal(levelOf('001.01.07.H53'), 4, 'TT kỹ thuật TCĐLCL')
  t.equal(levelOf('001.00.10.H47'), 3, 'gapped code: depth in the parent chain')
  t.throws(() => levelOf('000.1137.H53'))
})

t.test('parentOf zeroes the left-most non-zero group', async (t) => {
  t.equal(parentOf('000.21.31.H53'), '000.00.31.H53', 'commune → district')
  t.equal(parentOf('000.00.31.H53'), '000.00.00.H53', 'district → province')
  t.equal(parentOf('000.00.00.H53'), null, 'level 1 has no parent')
  t.equal(parentOf('001.01.07.H53'), '000.01.07.H53', 'level 4 → level 3 (Chi cục TCĐLCL)')
  t.equal(parentOf('000.01.77.H36'), '000.00.77.H36', 'Bkav getParentDomain example')
  t.equal(parentOf('000.00.77.H36'), '000.00.00.H36')
  t.equal(parentOf('001.00.10.H47'), '000.00.10.H47', 'gapped code skips the zero group')
  t.equal(parentOf('000.00.20.G14'), '000.00.00.G14')
  t.throws(() => parentOf('bad'), { code: 'INVALID_AGENCY_CODE' })
  t.same(ancestorsOf('001.01.07.H53'), ['000.01.07.H53', '000.00.07.H53', '000.00.00.H53'])
  t.same(ancestorsOf('000.00.00.G22'), [])
  t.ok(isDescendantOf('000.21.31.H53', '000.00.31.H53'))
  t.ok(isDescendantOf('000.21.31.H53', '000.00.00.H53'))
  t.notOk(isDescendantOf('000.21.31.H53', '000.00.32.H53'))
  t.notOk(isDescendantOf('000.00.31.H53', '000.00.31.H53'), 'strict')
})

t.test('jurisdictionOf gives the level-1 code', async (t) => {
  t.equal(jurisdictionOf('000.21.31.H53'), '000.00.00.H53')
  t.equal(jurisdictionOf('000.00.00.H41'), '000.00.00.H41')
  t.equal(jurisdictionOf('000.00.80.G24'), '000.00.00.G24', 'BHXH tỉnh Tây Ninh belongs to BHXH Việt Nam')
  t.throws(() => jurisdictionOf('H41'), { code: 'INVALID_AGENCY_CODE' })
})

t.test('jurisdictionMatches', async (t) => {
  t.ok(jurisdictionMatches('000.00.00.H41', '*.H41'))
  t.ok(jurisdictionMatches('000.21.31.H41', '*.H41'))
  t.notOk(jurisdictionMatches('000.00.00.H53', '*.H41'))
  t.notOk(jurisdictionMatches('000.00.00.H411'.slice(0, 13), '*.H4'), 'no partial suffix match')
  t.ok(jurisdictionMatches('000.00.00.G22', '*.G*'))
  t.ok(jurisdictionMatches('000.00.20.G14', '*.G*'))
  t.notOk(jurisdictionMatches('000.00.00.H53', '*.G*'))
  t.ok(jurisdictionMatches('000.00.00.H53', ['*.H41', '*.H53']), 'a list: any pattern')
  t.ok(jurisdictionMatches('000.00.00.H53', '*.H41, *.H53'), 'comma-separated string')
  t.notOk(jurisdictionMatches('000.00.00.H53', []), 'empty list matches nothing')
  t.ok(jurisdictionMatches('000.00.00.H53', '*'), '* matches everything')
  t.ok(jurisdictionMatches('000.21.31.H53', '*.31.H53'), 'district subtree')
  t.ok(jurisdictionMatches('000.00.31.H53', '*.31.H53'))
  t.notOk(jurisdictionMatches('000.21.32.H53', '*.31.H53'))
  t.ok(jurisdictionMatches('000.00.00.G22', '000.00.00.G22'), 'exact code')
  t.notOk(jurisdictionMatches('000.00.01.G22', '000.00.00.G22'))
  t.ok(jurisdictionMatches('000.21.31.H41', 'H41'), 'bare level-1 group is *.H41')
  t.ok(jurisdictionMatches('000.21.31.H41', '*.h41'), 'patterns are upper-cased')
  t.ok(jurisdictionMatches('000.00.00.H41', '*.H4?'))
  t.notOk(jurisdictionMatches('000.1137.H53', '*'), 'malformed codes never match')
  t.notOk(jurisdictionMatches('000.00.00.X53', '*.53'), 'dot is literal, not any character')
  t.throws(() => jurisdictionMatches('000.00.00.H41', '*.H41|*'), TypeError, 'invalid pattern is a configuration error')
  t.throws(() => validateJurisdiction(['*.H41', '(.*)']), TypeError)
  t.doesNotThrow(() => validateJurisdiction('*.H41,*.G*'))
  t.same(jurisdictionPatterns(' *.H41 , *.G* '), ['*.H41', '*.G*'])
})
