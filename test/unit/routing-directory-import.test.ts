import t from 'tap'
import { readFileSync } from 'node:fs'
import { corpusPath, corpusSkip } from '../helpers/corpus.ts'
import { cleanName, detectFormat, importDirectory, importDirectoryFile, parseEndpoint, readCsv } from '../../src/routing/directory-import.ts'
import { DirectorySnapshot } from '../../src/routing/directory-snapshot.ts'
import { levelOf } from '../../src/routing/agency-code.ts'

const TAY_NINH = corpusPath('directory-tay-ninh.tsv') // optional corpus; the required tests use test/fixtures/directory

t.test('the real Tây Ninh directory (455 lines)', { skip: corpusSkip('directory-tay-ninh.tsv') }, async (t) => {
  const r = await importDirectoryFile(TAY_NINH)
  t.equal(r.rows, 455, 'every line read')
  t.equal(r.agencies.length, 447, '455 − 1 malformed − 7 duplicated codes')
  t.same(
    r.errors.map((e) => [e.line, e.organId]),
    [[315, '000.1137.H53']],
    'the one malformed code, with its line',
  )
  t.equal(r.warnings.filter((w) => /duplicate/.test(w.message)).length, 7)
  t.match(
    r.warnings.find((w) => w.organId === '000.00.00.G15'),
    { line: 16, message: /duplicate of line 15/ },
  )
  t.same(
    r.warnings.filter((w) => !/duplicate/.test(w.message)),
    [],
    'every parent is present in the file',
  )
  t.same(r.byTier, { central: 76, province: 160, district: 116, commune: 95 })
  t.same(r.bySource, { override: 0, explicit: 0, rule: 182, parent: 265 })

  const s = DirectorySnapshot.build(r.agencies)
  const tier = (id: string) => s.get(id)?.tier
  t.equal(tier('000.00.00.G22'), 'central', 'Văn phòng Chính phủ')
  t.equal(tier('000.00.20.G14'), 'central', 'Cục Báo chí – Bộ TTTT')
  t.equal(tier('000.00.80.G24'), 'central', 'BHXH tỉnh Tây Ninh stays with BHXH Việt Nam')
  t.equal(tier('000.00.00.H53'), 'province', 'UBND Tỉnh Tây Ninh')
  t.equal(tier('000.00.01.H53'), 'province', 'Văn phòng UBND tỉnh')
  t.equal(tier('000.00.13.H53'), 'province', 'Sở TTTT')
  t.equal(tier('000.01.13.H53'), 'province', 'TT CNTT – Sở TTTT (level 3 under a Sở)')
  t.equal(tier('001.01.07.H53'), 'province', 'level 4 under a chi cục')
  t.equal(tier('000.00.30.H53'), 'district', 'UBND Thành phố Tây Ninh')
  t.equal(tier('000.00.31.H53'), 'district', 'UBND huyện Bến Cầu')
  t.equal(tier('000.05.31.H53'), 'district', 'Phòng Nội vụ huyện Bến Cầu')
  t.equal(tier('000.04.31.H53'), 'district', '"Phòng Lao động Thương binh và UBND Xã hội" is not a commune')
  t.equal(tier('000.21.31.H53'), 'commune', 'UBND Xã An Thạnh')
  t.equal(tier('000.20.30.H53'), 'commune', 'UBND Phường 1')
  t.equal(tier('000.20.32.H53'), 'commune', 'UBND Thị Trấn Châu Thành')
  t.equal(s.get('000.21.31.H53')?.name, 'UBND Xã An Thạnh huyện Bến Cầu', 'U+200B removed from the name')
  t.equal(s.get('000.21.31.H53')?.parent, '000.00.31.H53')
  t.same(s.get('000.21.31.H53'), {
    organId: '000.21.31.H53',
    name: 'UBND Xã An Thạnh huyện Bến Cầu',
    tier: 'commune',
    parent: '000.00.31.H53',
    gateway: null,
    endpoint: { kind: 'inbox' },
    certificates: [],
    enabled: true,
  })
  t.equal(s.get('000.00.00.G15')?.name, 'Bộ Tư Pháp', 'first of a duplicated code kept')

  const districts = r.agencies.filter((a) => a.tier === 'district' && levelOf(a.organId) === 2)
  t.same(
    districts.map((a) => a.organId),
    ['000.00.30.H53', '000.00.31.H53', '000.00.32.H53', '000.00.33.H53', '000.00.34.H53', '000.00.35.H53', '000.00.36.H53', '000.00.37.H53', '000.00.38.H53'],
    'the 9 district-level units',
  )
  t.equal(s.children('000.00.31.H53').filter((a) => a.tier === 'commune').length, 9, 'Bến Cầu: 1 thị trấn + 8 xã')
  t.ok(
    r.agencies.every((a) => a.tier !== 'commune' || (levelOf(a.organId) === 3 && s.get(a.parent!)?.tier === 'district')),
    'every commune sits under a district',
  )

  // overrides always win, and children inheriting see them
  const o = await importDirectoryFile(TAY_NINH, { overrides: { '000.00.30.H53': 'province', '000.00.80.G24': 'province', '000.99.99.H53': 'commune' } })
  const so = DirectorySnapshot.build(o.agencies)
  t.equal(so.get('000.00.30.H53')?.tier, 'province')
  t.equal(so.get('000.05.30.H53')?.tier, 'province', 'Phòng Nội vụ thành phố inherits the override')
  t.equal(so.get('000.20.30.H53')?.tier, 'commune', 'the commune rule still applies below')
  t.equal(so.get('000.01.80.G24')?.tier, 'province')
  t.match(
    o.warnings.find((w) => w.organId === '000.99.99.H53'),
    { message: /matches no agency/ },
  )
  t.equal(o.bySource.override, 2)

  // the file as text with an explicit format gives the same result
  const same = importDirectory(readFileSync(TAY_NINH, 'utf8'), { format: 'tsv' })
  t.equal(same.agencies.length, 447)
})

t.test('TSV with a header and all columns; per-line errors do not abort', async (t) => {
  const tsv = [
    'OrganId\tName\tTier\tParent\tEndpoint\tGateway\tEnabled\tCertificates\tEmail',
    '000.00.00.H41\tUBND Tỉnh Nghệ An\t\t\tinbox\t\t\t',
    '000.00.20.H41\tUBND huyện Quỳnh Lưu\t\t\thttp:https://ql.example/in\t\ttrue\tAB:CD;EF:01\tx@y',
    '000.46.20.H41\tUBND Xã Quỳnh Thạch\tcommune\t000.00.20.H41\tsoap:https://qt.example/ws\t\tno\t',
    '000.00.21.H41\tSở Nội vụ\tprovince\t\thttps://snv.example/in',
    '000.00.00.H53\tUBND Tỉnh Tây Ninh\t\t\tgateway:tay-ninh\thttps://lgsp.tayninh.example/',
    '',
    '# comment line',
    '000.1137.H41\tbroken code',
    '000.01.21.H41\t',
    '000.02.21.H41\tX\tward',
    '000.03.21.H41\tX\t\t000.03.21.H41',
    '000.04.21.H41\tX\t\tnot-a-code',
    '000.05.21.H41\tX\t\t\tftp://x',
    '000.06.21.H41\tX\t\t\t\t\tmaybe',
    '000.00.00.A41\tTỉnh ủy Nghệ An',
    '000.00.00.H41\tduplicate',
  ].join('\r\n')
  const r = importDirectory(tsv, { format: 'tsv' })
  t.same(
    r.agencies.map((a) => a.organId),
    ['000.00.00.H41', '000.00.20.H41', '000.46.20.H41', '000.00.21.H41', '000.00.00.H53'],
  )
  const [p, d, c, snv, tn] = r.agencies
  t.same(p, { organId: '000.00.00.H41', name: 'UBND Tỉnh Nghệ An', tier: 'province', parent: null, gateway: null, endpoint: { kind: 'inbox' }, certificates: [], enabled: true })
  t.same(d, {
    organId: '000.00.20.H41',
    name: 'UBND huyện Quỳnh Lưu',
    tier: 'district',
    parent: '000.00.00.H41',
    gateway: null,
    endpoint: { kind: 'http', url: 'https://ql.example/in' },
    certificates: ['AB:CD', 'EF:01'],
    enabled: true,
  })
  t.match(c, { tier: 'commune', parent: '000.00.20.H41', endpoint: { kind: 'soap', url: 'https://qt.example/ws' }, enabled: false })
  t.match(snv, { tier: 'province', endpoint: { kind: 'http', url: 'https://snv.example/in' } })
  t.match(tn, { tier: 'province', gateway: 'https://lgsp.tayninh.example/', endpoint: { kind: 'gateway', url: 'tay-ninh' } })
  t.match(r.errors, [
    { line: 9, organId: '000.1137.H41', message: /4 dot-separated groups/ },
    { line: 10, message: /missing name/ },
    { line: 11, message: /tier "ward"/ },
    { line: 12, message: /own parent/ },
    { line: 13, message: /parent: agency code "not-a-code"/ },
    { line: 14, message: /endpoint "ftp:\/\/x" is not inbox/ },
    { line: 15, message: /enabled "maybe"/ },
    { line: 16, organId: '000.00.00.A41', message: /level-1 prefix A/ },
  ])
  t.match(r.warnings, [
    { line: 1, message: /unknown column "Email"/ },
    { line: 17, message: /duplicate of line 2/ },
  ])
  t.equal(r.rows, 14, 'header, blank and comment lines are not rows')
  t.equal(r.byTier.commune, 1)
  t.equal(r.bySource.explicit, 2)
})

t.test('headerless positional TSV/CSV: organId, name, tier, parent, endpoint, gateway', async (t) => {
  const r = importDirectory('000.00.00.G22\tVăn phòng Chính phủ\n000.00.00.H41\tUBND Tỉnh Nghệ An\t\t\t\thttps://na.example/\n', { format: 'tsv' })
  t.same(
    r.agencies.map((a) => [a.organId, a.tier, a.gateway]),
    [
      ['000.00.00.G22', 'central', null],
      ['000.00.00.H41', 'province', 'https://na.example/'],
    ],
  )
  const c = importDirectory('\ufeff000.00.00.H53,"UBND Tỉnh Tây Ninh"\n000.00.15.H53,"Sở Văn hóa, Thể thao và Du lịch"\n000.00.16.H53,"Sở ""Xây dựng""",province,,inbox,,extra\n', {
    format: 'csv',
  })
  t.same(
    c.agencies.map((a) => a.name),
    ['UBND Tỉnh Tây Ninh', 'Sở Văn hóa, Thể thao và Du lịch', 'Sở "Xây dựng"'],
  )
  t.equal(c.agencies[0].organId, '000.00.00.H53', 'BOM stripped')
  t.match(c.warnings, [{ line: 3, message: /extra column/ }])
  const d = importDirectory('000.00.00.H53\tdefault gw', { format: 'tsv', defaultGateway: 'gw-central' })
  t.equal(d.agencies[0].gateway, 'gw-central')
})

t.test('CSV with header, quotes, embedded newline, semicolons', async (t) => {
  const csv = 'organ_id,ten,cap,parent_id\r\n000.00.00.H41,UBND Tỉnh Nghệ An,,\r\n000.00.20.H41,"UBND huyện\nQuỳnh Lưu",,\r\n000.46.20.H41,UBND Xã Quỳnh Thạch,,\r\nbad,x\r\n'
  const r = importDirectory(csv, { format: 'csv' })
  t.same(
    r.agencies.map((a) => [a.organId, a.tier, a.name]),
    [
      ['000.00.00.H41', 'province', 'UBND Tỉnh Nghệ An'],
      ['000.00.20.H41', 'district', 'UBND huyện Quỳnh Lưu'],
      ['000.46.20.H41', 'commune', 'UBND Xã Quỳnh Thạch'],
    ],
  )
  t.match(r.errors, [{ line: 6, organId: 'bad' }], 'line numbers count the embedded newline')
  const semi = importDirectory('organId;name\n000.00.00.H41;UBND Tỉnh Nghệ An, tỉnh\n', { format: 'csv' })
  t.equal(semi.agencies[0].name, 'UBND Tỉnh Nghệ An, tỉnh')
  t.same(readCsv('a,"b\r\nc",d\r\n\r\ne'), [
    { line: 1, cells: ['a', 'b\r\nc', 'd'] },
    { line: 4, cells: ['e'] },
  ])
})

t.test('JSON: array or {agencies}; objects or strings for endpoints; per-item errors', async (t) => {
  const json = JSON.stringify({
    agencies: [
      { organId: '000.00.00.G22', name: 'Văn phòng Chính phủ', endpoint: { kind: 'http', url: 'https://vpcp.example/in' }, certificates: ['aa'] },
      { organId: '000.00.00.H41', name: 'UBND Tỉnh Nghệ An', gateway: 'https://na.example/', enabled: false },
      { organId: '000.00.20.H41', name: 'UBND huyện Quỳnh Lưu', tier: 'district', endpoint: 'soap:https://ql.example/ws' },
      { organId: '000.00.21.H41', name: 'X', endpoint: { kind: 'ftp' } },
      { organId: 41, name: 'X' },
      'nope',
    ],
  })
  const r = importDirectory(json, { format: 'json' })
  t.match(r.agencies, [
    { organId: '000.00.00.G22', tier: 'central', endpoint: { kind: 'http', url: 'https://vpcp.example/in' }, certificates: ['aa'], enabled: true },
    { organId: '000.00.00.H41', tier: 'province', gateway: 'https://na.example/', enabled: false },
    { organId: '000.00.20.H41', tier: 'district', endpoint: { kind: 'soap', url: 'https://ql.example/ws' } },
  ])
  t.match(r.errors, [
    { path: '/agencies/3', message: /endpoint/ },
    { path: '/agencies/4', message: /organId must be a string/ },
    { path: '/agencies/5', message: /object/ },
  ])
  t.equal(importDirectory('[{"organId":"000.00.00.H41","name":"A"}]', { format: 'json' }).agencies.length, 1)
  t.match(importDirectory('{oops', { format: 'json' }).errors, [{ message: /not valid JSON/ }])
  t.match(importDirectory('{"x":1}', { format: 'json' }).errors, [{ message: /array of agencies/ }])
})

t.test('helpers', async (t) => {
  t.same(parseEndpoint(''), { kind: 'inbox' })
  t.same(parseEndpoint('INBOX'), { kind: 'inbox' })
  t.same(parseEndpoint('https://a.example/x'), { kind: 'http', url: 'https://a.example/x' })
  t.same(parseEndpoint('soap https://a.example/ws'), { kind: 'soap', url: 'https://a.example/ws' })
  t.same(parseEndpoint('gateway:central'), { kind: 'gateway', url: 'central' })
  t.throws(() => parseEndpoint('mailto:x@y'), /not inbox/)
  t.throws(() => parseEndpoint('http:not a url'), /not a valid URL/)
  t.equal(cleanName(' Phòng Tư pháp\u200b  huyện\u200b Bến Cầu '), 'Phòng Tư pháp huyện Bến Cầu')
  t.equal(cleanName('Ho\u0300a'), 'Hòa', 'NFC')
  t.equal(detectFormat('x.tsv'), 'tsv')
  t.equal(detectFormat('x.CSV'), 'csv')
  t.equal(detectFormat('x.json'), 'json')
  t.equal(detectFormat('x.txt', '  [ {} ]'), 'json')
  t.equal(detectFormat('x', 'a\tb'), 'tsv')
  t.equal(detectFormat('x', 'a,b'), 'csv')
})
