import t from 'tap'
import { readFileSync } from 'node:fs'
import { corpusPath, corpusSkip } from '../helpers/corpus.ts'
import { join } from 'node:path'
import { GatewayError } from '../../src/errors.ts'
import { assertRoutableAgencyCodes, buildStatusXml, DEFAULT_LIMITS, isAgencyCode, readEnvelope } from '../../src/schemas/envelope.ts'

const SAMPLES = corpusPath('samples')
const skipSamples = corpusSkip('samples')
const sample = (f: string) => readFileSync(join(SAMPLES, f))

const code = (fn: () => unknown): string | undefined => {
  try {
    fn()
  } catch (e) {
    return e instanceof GatewayError ? e.code : `not a GatewayError: ${String(e)}`
  }
  return undefined
}

const NS = 'http://www.mic.gov.vn/TBT/QCVN_102_2016'
const mini = (inner: string, prefix = 'q') =>
  Buffer.from(
    `<?xml version="1.0" encoding="UTF-8"?><${prefix}:edXML xmlns:${prefix}="${NS}"><${prefix}:edXMLEnvelope><${prefix}:edXMLHeader>${inner}</${prefix}:edXMLHeader></${prefix}:edXMLEnvelope></${prefix}:edXML>`,
  )

t.test('agency codes', async (t) => {
  t.ok(isAgencyCode('000.21.30.H41'))
  t.ok(isAgencyCode('000.00.00.G22'))
  t.notOk(isAgencyCode('28.22.H17'))
  t.notOk(isAgencyCode('000.00.00.h41'))
})

t.test('defaults', async (t) => {
  t.equal(DEFAULT_LIMITS.maxBytes, 50 * 1024 * 1024)
  t.equal(DEFAULT_LIMITS.maxDepth, 64)
})

t.test('edoc sample', { skip: skipSamples }, async (t) => {
  const env = readEnvelope(sample('sdk-package-g22-to-h41.edxml'))
  t.equal(env.kind, 'edoc')
  if (env.kind !== 'edoc') return
  t.equal(env.from, '000.00.00.G22')
  t.ok(env.to.length >= 1)
  t.ok(env.documentId.length > 0)
  const n = readEnvelope(sample('edoc_new.edxml'))
  t.match(n, {
    kind: 'edoc',
    from: '000.00.00.A80',
    to: ['28.22.H17'],
    documentId: '000.00.00.G22,2015/09/30,7816/VPCP-TTĐT',
    subject: 'V/v kết nối, liên thông phần mềm quản lý văn bản',
    codeNumber: '74fass22',
    codeNotation: 'VPCP-TTĐT',
    promulgationDate: '2019/01/16',
    bussinessDocType: '0',
    bussinessDocumentId: '000.00.00.G22,2014/02/30,7806/VPCP-TTĐT',
  })
  t.equal(readEnvelope(sample('edoc_revocation.edxml')).kind, 'edoc')
  // the legacy 3-group code passes the schema but not the routing check
  t.equal(
    code(() => assertRoutableAgencyCodes(n)),
    'INVALID_AGENCY_CODE',
  )
  t.equal(
    code(() => assertRoutableAgencyCodes(env)),
    undefined,
  )
})

t.test('status samples', { skip: skipSamples }, async (t) => {
  t.same(readEnvelope(sample('status_inbox__01.edxml')), {
    kind: 'status',
    from: '000.00.00.H41',
    responseFor: {
      organId: '000.00.00.G22',
      documentId: '000.00.00.G22,2015/09/30,7816/VPCP-TTĐT',
      code: '7816/VPCP-TTĐT',
      promulgationDate: '2015/09/30',
    },
    statusCode: '01',
    description: 'Văn thư - Phòng Văn thư - Lưu trữ: Đã đến - Phần mềm QLVB đã nhận nhưng văn thư chưa xử lý',
    timestamp: '2015/09/20 11:08:36',
  })
  t.match(readEnvelope(sample('status_cancellation_13.edxml')), { kind: 'status', statusCode: '13', from: '000.00.00.G22' })
})

t.test('namespace-aware, prefix-independent; Status element accepted', async (t) => {
  const x = mini(
    `<q:Status><q:From><q:OrganId>000.00.00.H41</q:OrganId></q:From><q:ResponseFor><q:OrganId>000.00.00.G22</q:OrganId><q:DocumentId>000.00.00.G22,2024/01/02,12/VPCP-TTĐT</q:DocumentId></q:ResponseFor><q:StatusCode>05</q:StatusCode><q:Timestamp>2024/01/02 10:00:00</q:Timestamp></q:Status>`,
  )
  t.same(readEnvelope(x), {
    kind: 'status',
    from: '000.00.00.H41',
    responseFor: { organId: '000.00.00.G22', documentId: '000.00.00.G22,2024/01/02,12/VPCP-TTĐT' },
    statusCode: '05',
    timestamp: '2024/01/02 10:00:00',
  })
  // same local names in another namespace are not edXML
  const wrong = Buffer.from(x.toString().replace(NS, 'urn:other'))
  t.equal(
    code(() => readEnvelope(wrong)),
    'EDXML_SCHEMA_INVALID',
  )
  // missing To
  const noTo = mini(`<q:MessageHeader><q:From><q:OrganId>000.00.00.H41</q:OrganId></q:From><q:DocumentId>x</q:DocumentId></q:MessageHeader>`)
  t.equal(
    code(() => readEnvelope(noTo)),
    'EDXML_SCHEMA_INVALID',
  )
})

t.test('safety gate', async (t) => {
  const xxe = Buffer.from('<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]><a>&x;</a>')
  t.equal(
    code(() => readEnvelope(xxe)),
    'XML_FORBIDDEN_CONSTRUCT',
  )
  const laughs = Buffer.from('<!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><l>&b;</l>')
  t.equal(
    code(() => readEnvelope(laughs)),
    'XML_FORBIDDEN_CONSTRUCT',
  )
  t.equal(
    code(() => readEnvelope(Buffer.from('<a><b></a>'))),
    'XML_MALFORMED',
  )
  t.equal(
    code(() => readEnvelope(Buffer.from(''))),
    'XML_MALFORMED',
  )
  t.equal(
    code(() => readEnvelope(Buffer.from('not xml at all'))),
    'XML_MALFORMED',
  )
  t.equal(
    code(() => readEnvelope(Buffer.from('<?xml version="1.0" encoding="UTF-16"?><a/>'))),
    'XML_FORBIDDEN_CONSTRUCT',
  )
  const deep = Buffer.from('<a>'.repeat(100_000) + '</a>'.repeat(100_000))
  let t0 = performance.now()
  t.equal(
    code(() => readEnvelope(deep)),
    'XML_TOO_DEEP',
  )
  t.ok(performance.now() - t0 < 500, 'deep nesting refused fast')
  t.equal(
    code(() => readEnvelope(Buffer.from('<a>'.repeat(10) + '</a>'.repeat(10)), { maxBytes: 1000, maxDepth: 5 })),
    'XML_TOO_DEEP',
  )
  // '>' inside attribute values does not confuse the depth scan
  t.equal(
    code(() => readEnvelope(Buffer.from('<a x="<b>"/>'))),
    'XML_MALFORMED',
  )
  t.equal(
    code(() => readEnvelope(Buffer.from('<a x="b>c"><c/></a>'))),
    'EDXML_SCHEMA_INVALID',
  )
  const big = Buffer.alloc(20 * 1024 * 1024, 0x41)
  t0 = performance.now()
  t.equal(
    code(() => readEnvelope(big, { maxBytes: 1024 * 1024, maxDepth: 64 })),
    'PAYLOAD_TOO_LARGE',
  )
  t.ok(performance.now() - t0 < 100, 'oversize refused fast')
})

t.test('buildStatusXml has the shape of status_inbox__01 and reads back', async (t) => {
  const xml = buildStatusXml({
    from: {
      organId: '000.00.00.H41',
      organName: 'UBND Tỉnh Nghệ An',
      organAdd: 'Số 03, đường Trường Thi',
      email: 'nghean@gov.vn',
      telephone: '0383 840418',
      fax: '0383 843049',
      website: 'www.nghean.vn',
    },
    responseFor: { organId: '000.00.00.G22', code: '7816/VPCP-TTĐT', promulgationDate: '2015/09/30', documentId: '000.00.00.G22,2015/09/30,7816/VPCP-TTĐT' },
    staff: { department: 'Phong hanh chinh', staff: 'Nguyen thi ngoc tram', mobile: '84912000001', email: 'ngoctram@nghean.vn' },
    statusCode: '01',
    description: 'Đã đến & <chưa xử lý>',
    timestamp: new Date('2015-09-20T04:08:36Z'),
  })
  t.match(xml, /^<\?xml version="1.0" encoding="UTF-8"\?>\n<edXML xmlns="http:\/\/www.mic.gov.vn\/TBT\/QCVN_102_2016">/)
  t.match(xml, /<edXML:Timestamp>2015\/09\/20 11:08:36<\/edXML:Timestamp>/)
  t.match(xml, /&amp; &lt;chưa xử lý&gt;/)
  const env = readEnvelope(Buffer.from(xml))
  t.match(env, { kind: 'status', from: '000.00.00.H41', statusCode: '01', description: 'Đã đến & <chưa xử lý>', timestamp: '2015/09/20 11:08:36' })
  if (skipSamples === false) {
    const names = (s: string) => [...s.matchAll(/<(\/?)edXML:(\w+)/g)].map((m) => m[1] + m[2])
    t.same(names(xml), names(sample('status_inbox__01.edxml').toString()), 'same elements in the same order as the VPCP sample')
  }
  t.throws(() => buildStatusXml({ from: { organId: 'x' }, responseFor: { organId: 'y', documentId: 'z' }, statusCode: '1', description: '', timestamp: new Date() }))
})
