import t from 'tap'
import { execFileSync, spawnSync } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { isDeepStrictEqual } from 'node:util'
import { GatewayError } from '../../src/errors.ts'
import { corpusPath, corpusSkip } from '../helpers/corpus.ts'
import {
  decodeAttachment,
  EDXML_JSON_EXAMPLE,
  EDXML_JSON_SCHEMA,
  listAttachments,
  loadSchemas,
  modelToJson,
  modelToXml,
  readEnvelope,
  SCHEMA_FILES,
  validateJson,
  validateXml,
  xmlToModel,
  type EdxmlPackage,
} from '../../src/schemas/index.ts'

const SAMPLES = corpusPath('samples')
const FIXTURES = join(process.cwd(), 'test', 'fixtures', 'edxml')
const skipSamples = corpusSkip('samples')
const haveSamples = skipSamples === false
const samples = haveSamples
  ? readdirSync(SAMPLES)
      .filter((f) => f.endsWith('.edxml'))
      .sort()
  : []
const fixtures = readdirSync(FIXTURES)
  .filter((f) => f.endsWith('.edxml'))
  .sort()

const errCode = (fn: () => unknown): string | undefined => {
  try {
    fn()
  } catch (e) {
    if (e instanceof GatewayError) return e.code
    return `not a GatewayError: ${String(e)}`
  }
  return undefined
}

t.before(() => loadSchemas())

t.test('every VPCP sample except edoc.edxml validates, round-trips and re-validates', { skip: skipSamples }, async (t) => {
  t.ok(samples.length >= 15, `${samples.length} samples`)
  for (const f of samples) {
    const bytes = readFileSync(join(SAMPLES, f))
    if (f === 'edoc.edxml') {
      let err: unknown
      try {
        validateXml(bytes)
      } catch (e) {
        err = e
      }
      t.ok(err instanceof GatewayError, 'edoc.edxml: coded error, not a crash')
      t.equal((err as GatewayError).code, 'XML_MALFORMED')
      t.ok((err as GatewayError).errors?.[0]?.line, 'with a line number')
      continue
    }
    const { kind, model } = validateXml(bytes)
    t.equal(kind, f.startsWith('status') ? 'status' : 'edoc', `${f}: kind`)
    const xml = modelToXml(model)
    const again = validateXml(xml)
    t.ok(isDeepStrictEqual(again.model, model), `${f}: XML → model → XML → model is identical`)
    const json = JSON.parse(JSON.stringify(modelToJson(model)))
    t.ok(isDeepStrictEqual(validateJson(json), model), `${f}: model → JSON → model is identical`)
    t.equal(modelToXml(validateJson(json)), xml, `${f}: JSON → XML is the same text`)
    // the envelope agrees with the model
    const env = readEnvelope(bytes)
    if (model.kind === 'edoc' && env.kind === 'edoc') {
      t.equal(env.documentId, model.messageHeader.documentId)
      t.same(
        env.to,
        model.messageHeader.to.map((o) => o.organId),
      )
    } else if (model.kind === 'status' && env.kind === 'status') {
      t.equal(env.statusCode, model.status.statusCode)
    } else t.fail(`${f}: envelope kind ${env.kind} vs model ${model.kind}`)
  }
})

t.test('sample details', { skip: skipSamples }, async (t) => {
  const m = xmlToModel(readFileSync(join(SAMPLES, 'edoc_new.edxml')))
  if (m.kind !== 'edoc') throw new Error('kind')
  t.equal(m.messageHeader.to[0]?.organId, '28.22.H17', 'legacy 3-group code accepted by the schema (documented)')
  t.equal(m.traceHeaderList?.bussiness?.documentId, '000.00.00.G22,2014/02/30,7806/VPCP-TTĐT', 'dates are checked lexically')
  t.equal(m.signature?.element, 'Signature')
  t.match(m.signature?.xml, /^<Signature xmlns="http:\/\/www.mic.gov.vn\/TBT\/QCVN_102_2016">/)
  const atts = listAttachments(m)
  t.equal(atts.length, 1)
  t.match(atts[0], { contentId: '209', attachmentName: '1896_QD-TTg_m_294779.doc', contentType: 'application/zip', inManifest: true, hasContent: true })
  const d = decodeAttachment(m, 'cid:209')
  t.equal(d.data.length, atts[0]!.size)
  t.same([...d.data.subarray(0, 4)], [0x50, 0x4b, 0x03, 0x04], 'a ZIP')
  t.equal(decodeAttachment(m, '209').data.length, d.data.length, 'without the cid: prefix too')
  t.equal(
    errCode(() => decodeAttachment(m, 'cid:999')),
    'NOT_FOUND',
  )
  const u = xmlToModel(readFileSync(join(SAMPLES, 'edoc_update.edxml')))
  t.match(u, {
    kind: 'edoc',
    traceHeaderList: {
      bussiness: {
        bussinessDocType: '2',
        bussinessDocumentInfo: {
          receiverList: {
            receiver: [
              { organId: '000.00.00.H41', receiverType: '0' },
              { organId: '000.00.00.H14', receiverType: '1' },
            ],
          },
        },
      },
    },
  })
  const r = xmlToModel(readFileSync(join(SAMPLES, 'edoc_replacement.edxml')))
  t.match(r, {
    traceHeaderList: { bussiness: { bussinessDocType: '3', replacementInfoList: { replacementInfo: [{ organIdList: { organId: ['000.00.00.H41', '000.00.00.H14'] } }, {}] } } },
  })
})

t.test('own fixtures', async (t) => {
  const expectValid: Record<string, 'edoc' | 'status'> = {
    'edoc-commune-h41.edxml': 'edoc',
    'edoc-zip-attachment.edxml': 'edoc',
    'status-01-h41.edxml': 'status',
    'status-05-status-element.edxml': 'status',
  }
  for (const f of fixtures) {
    const bytes = readFileSync(join(FIXTURES, f))
    if (f.startsWith('invalid-')) {
      let err: unknown
      try {
        validateXml(bytes)
      } catch (e) {
        err = e
      }
      t.ok(err instanceof GatewayError && err.code === 'EDXML_SCHEMA_INVALID', `${f}: EDXML_SCHEMA_INVALID`)
      const e = err as GatewayError
      t.ok(e.errors && e.errors.length > 0 && typeof e.errors[0]!.line === 'number' && e.errors[0]!.message.length > 0, `${f}: errors with line numbers`)
      if (f === 'invalid-agency-code.edxml')
        t.match(e.errors![0]!.message, /'0\.0\.G22' is not an agency code of the form CCC\.BB\.AA\.XNN/, 'the national format is named, not the legacy pattern')
      continue
    }
    const { kind, model } = validateXml(bytes)
    t.equal(kind, expectValid[f], `${f}: valid ${expectValid[f]}`)
    t.ok(isDeepStrictEqual(validateXml(modelToXml(model)).model, model), `${f}: round trip`)
  }
  const c = xmlToModel(readFileSync(join(FIXTURES, 'edoc-commune-h41.edxml')))
  t.match(c, { kind: 'edoc', messageHeader: { from: { organId: '000.21.30.H41' }, to: [{ organId: '000.00.00.H41' }, { organId: '000.00.00.G22' }] } })
  const env = readEnvelope(readFileSync(join(FIXTURES, 'edoc-commune-h41.edxml')))
  t.match(env, { kind: 'edoc', from: '000.21.30.H41', to: ['000.00.00.H41', '000.00.00.G22'], documentId: '000.21.30.H41,2024/05/02,12/UBND-VP', bussinessDocType: '0' })
  const z = xmlToModel(readFileSync(join(FIXTURES, 'edoc-zip-attachment.edxml')))
  t.equal(z.kind === 'edoc' && z.signature?.element, 'xmldsig', 'xmldsig-namespace Signature accepted')
  t.equal(z.kind === 'edoc' && z.manifest?.reference?.[0]?.href, 'cid:1', 'xlink:href kept')
  const zl = listAttachments(z)
  t.match(zl, [{ contentId: '1', attachmentName: 'cong-van-12.txt', inManifest: true, hasContent: true }], 'cid: on one side only still joins')
  const zip = decodeAttachment(z, 'cid:1').data
  t.equal(zip.readUInt32LE(0), 0x04034b50, 'ZIP local file header')
  t.ok(zip.includes(Buffer.from('cong-van-12.txt')), 'ZIP entry name')
  const s = xmlToModel(readFileSync(join(FIXTURES, 'status-05-status-element.edxml')))
  t.match(s, { kind: 'status', statusElement: 'Status', status: { statusCode: '05' } })
})

t.test('JSON form', async (t) => {
  t.same(validateJson(EDXML_JSON_EXAMPLE), EDXML_JSON_EXAMPLE, 'the OpenAPI example validates')
  t.equal(EDXML_JSON_SCHEMA.oneOf.length, 2)
  t.equal(readEnvelope(Buffer.from(modelToXml(validateJson(EDXML_JSON_EXAMPLE)))).kind, 'status')
  const bad = structuredClone(EDXML_JSON_EXAMPLE) as unknown as { status: { statusCode: string; extra?: string }; kind: string }
  bad.status.statusCode = '1'
  let e: unknown
  try {
    validateJson(bad)
  } catch (x) {
    e = x
  }
  t.ok(e instanceof GatewayError && e.code === 'EDXML_SCHEMA_INVALID')
  t.match((e as GatewayError).errors, [{ path: '/status/statusCode' }], 'JSON pointer to the bad value')
  t.equal(
    errCode(() => validateJson({ kind: 'edoc' })),
    'EDXML_SCHEMA_INVALID',
  )
  t.equal(
    errCode(() => validateJson({ ...EDXML_JSON_EXAMPLE, surprise: 1 })),
    'EDXML_SCHEMA_INVALID',
  )
  t.equal(
    errCode(() => validateJson(null)),
    'EDXML_SCHEMA_INVALID',
  )
  t.equal(
    errCode(() => validateJson({ kind: 'status', status: { ...EDXML_JSON_EXAMPLE.status, from: { organId: '1.2.3' } } })),
    'EDXML_SCHEMA_INVALID',
  )
})

const xmllint = spawnSync('xmllint', ['--version']).status === 0
t.test('xmllint --schema agrees with the gateway on every sample and fixture', { skip: !xmllint && 'xmllint not installed (Debian libxml2-utils)' }, async (t) => {
  const xsd = { edoc: fileURLToPath(SCHEMA_FILES.edoc), status: fileURLToPath(SCHEMA_FILES.status) }
  const lint = (file: string, schema: string) => {
    try {
      execFileSync('xmllint', ['--noout', '--nonet', '--schema', schema, file], { stdio: 'pipe' })
      return true
    } catch {
      return false
    }
  }
  const files = [...samples.map((f) => join(SAMPLES, f)), ...fixtures.map((f) => join(FIXTURES, f))]
  for (const file of files) {
    const byEdoc = lint(file, xsd.edoc)
    const byStatus = lint(file, xsd.status)
    t.notOk(byEdoc && byStatus, `${file}: no package is valid under both schemas`)
    let gw: string
    try {
      gw = `valid:${validateXml(readFileSync(file)).kind}`
    } catch (e) {
      gw = e instanceof GatewayError ? 'invalid' : `crash:${String(e)}`
    }
    const ref = byEdoc ? 'valid:edoc' : byStatus ? 'valid:status' : 'invalid'
    t.equal(gw, ref, `${file.split('/').pop()}: gateway ${gw}, xmllint ${ref}`)
  }
})

t.test('attacks are refused with a code, fast', async (t) => {
  const cases: [string, Buffer, string, { maxBytes: number; maxDepth: number }?][] = [
    [
      'XXE',
      Buffer.from('<?xml version="1.0"?>\n<!DOCTYPE edXML [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n<edXML xmlns="http://www.mic.gov.vn/TBT/QCVN_102_2016">&xxe;</edXML>'),
      'XML_FORBIDDEN_CONSTRUCT',
    ],
    ['XXE parameter entity', Buffer.from('<!DOCTYPE a [<!ENTITY % p SYSTEM "http://127.0.0.1/x.dtd"> %p;]><a/>'), 'XML_FORBIDDEN_CONSTRUCT'],
    [
      'billion laughs',
      Buffer.from(
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">' +
          Array.from({ length: 9 }, (_, i) => `<!ENTITY lol${i + 1} "${`&lol${i || ''};`.repeat(10)}">`).join('') +
          ']><lolz>&lol9;</lolz>',
      ),
      'XML_FORBIDDEN_CONSTRUCT',
    ],
    ['100k-deep nesting', Buffer.from('<a>'.repeat(100_000) + '</a>'.repeat(100_000)), 'XML_TOO_DEEP'],
    ['100k-deep unclosed', Buffer.from('<a>'.repeat(100_000)), 'XML_TOO_DEEP'],
    ['20 MB junk, 1 MiB limit', Buffer.alloc(20 * 1024 * 1024, 'junk<'), 'PAYLOAD_TOO_LARGE', { maxBytes: 1024 * 1024, maxDepth: 64 }],
    ['20 MB junk, default limit', Buffer.alloc(20 * 1024 * 1024, 'junk '), 'XML_MALFORMED'],
    ['UTF-16 smuggling', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('<!DOCTYPE a><a/>', 'utf16le')]), 'XML_FORBIDDEN_CONSTRUCT'],
  ]
  for (const [name, bytes, want, limits] of cases) {
    const t0 = performance.now()
    t.equal(
      errCode(() => validateXml(bytes, limits)),
      want,
      `${name}: ${want}`,
    )
    t.equal(
      errCode(() => readEnvelope(bytes, limits)),
      want,
      `${name}: readEnvelope ${want}`,
    )
    const ms = performance.now() - t0
    t.ok(ms < 1000, `${name}: ${ms.toFixed(1)} ms`)
  }
})

t.test('timing', { skip: skipSamples }, async (t) => {
  const time = (f: string) => {
    const b = readFileSync(join(SAMPLES, f))
    for (let i = 0; i < 5; i++) validateXml(b)
    const runs: number[] = []
    for (let i = 0; i < 30; i++) {
      const t0 = performance.now()
      validateXml(b)
      runs.push(performance.now() - t0)
    }
    runs.sort((a, b) => a - b)
    return { size: b.length, median: runs[15]!, p90: runs[27]! }
  }
  for (const f of ['sdk-package-g22-to-h41.edxml', 'edoc_new.edxml']) {
    const r = time(f)
    t.comment(`validateXml ${f} (${(r.size / 1024).toFixed(0)} KB): median ${r.median.toFixed(2)} ms, p90 ${r.p90.toFixed(2)} ms`)
    t.ok(r.median < 200, `${f} validates in ${r.median.toFixed(2)} ms`)
  }
})

// keep the type import used
export type _M = EdxmlPackage

t.test('the shared types in edxml-status.xsd are a verbatim copy of those in edxml-edoc.xsd', async (t) => {
  const shared = (u: URL) => {
    const s = readFileSync(u, 'utf8')
    return s.slice(s.indexOf('  <!-- ===== simple types'), s.indexOf(u === SCHEMA_FILES.edoc ? '  <!-- ===== edoc message header' : '  <!-- ===== status ====='))
  }
  const a = shared(SCHEMA_FILES.edoc)
  t.ok(a.length > 1000)
  t.equal(shared(SCHEMA_FILES.status), a)
})
