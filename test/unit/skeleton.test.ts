/**
 * Streamed packages are checked through their skeleton (src/schemas/skeleton.ts) with the attachments'
 * Base64 digested in place (src/signing/elided-digest.ts). These tests hold the two paths to the same
 * verdicts: on generated variants of a real package (the differential fuzzer's), each with a long
 * attachment, signed, changed after signing or tampered inside the attachment; on the fixtures and the
 * optional sample corpus; and on the scanner's edge cases (chunk boundaries, CR LF, refusals).
 */
import t from 'tap'
import fs from 'node:fs'
import path from 'node:path'
import os from 'node:os'
import crypto from 'node:crypto'
import { Readable } from 'node:stream'
import fc from 'fast-check'
import { GatewayError } from '../../src/errors.ts'
import { SkeletonScanner, skeletonOf, markerOf, type Skeleton } from '../../src/schemas/skeleton.ts'
import { elidedDigest, normalisedLineEnds } from '../../src/signing/elided-digest.ts'
import { base64Decoder, decodedSizeOf, piecesOf } from '../../src/schemas/attachment-stream.ts'
import { readEnvelope } from '../../src/schemas/envelope.ts'
import { signEdxml } from '../../src/signing/sign-edxml.ts'
import { verifyEdxml, type VerifyEdxmlOptions } from '../../src/signing/verify-edxml.ts'
import { TrustStore, signerAllowedFor } from '../../src/signing/trust.ts'
import { pkiInit } from '../../src/signing/pki.ts'
import { afterSigning, buildVariant, variantArb } from '../fuzz/edxml-differential.ts'
import { CORPUS_DIR, corpusSkip } from '../helpers/corpus.ts'

const ROOT = path.resolve(import.meta.dirname, '../..')
const LIMITS = { maxBytes: 64 * 2 ** 20, maxDepth: 64 }
const FROM = '000.21.30.H41'

/** An attachment of `n` bytes as MIME Base64 lines with CR LF. */
const attachment = (n: number, seed = 1) => {
  const data = crypto.createHash('sha512').update(String(seed)).digest()
  const bytes = Buffer.alloc(n)
  for (let i = 0; i < n; i++) bytes[i] = data[i % 64]! ^ (i >> 8)
  return { bytes, b64: bytes.toString('base64').replace(/(.{76})/g, '$1\r\n') }
}
const withAttachment = (xml: string, b64: string) =>
  xml.replace(
    /<\/([A-Za-z_][\w.-]*:)?edXML>\s*$/,
    (end) =>
      `<AttachmentEncoded xmlns="http://www.mic.gov.vn/TBT/QCVN_102_2016"><Attachment><ContentId>cid:a</ContentId><AttachmentName>a.zip</AttachmentName><ContentType>application/zip</ContentType><ContentTransferEncoded>${b64}</ContentTransferEncoded></Attachment></AttachmentEncoded>${end}`,
  )

let base: Omit<VerifyEdxmlOptions, 'from'>
let key: string
let chain: string[]
t.before(async () => {
  const pki = await pkiInit(path.join(os.tmpdir(), 'lgsp-gateway-test-pki-v1'))
  const a = pki.agencies.find((x) => x.organId === FROM)!
  key = fs.readFileSync(a.key, 'utf8')
  chain = [fs.readFileSync(a.cert, 'utf8'), fs.readFileSync(pki.intermediate, 'utf8')]
  const trust = await TrustStore.fromDirectory(pki.dir)
  t.teardown(() => trust.close())
  base = { trust, policy: { required: false, allowSha1: true }, signerAllowedFor: signerAllowedFor(trust.agencyBinding()) }
})

const codeOf = (e: unknown): string => {
  if (e instanceof GatewayError) return e.code
  throw e
}

/** The in-memory verdict: envelope, then signature, on the bytes. */
async function inMemory(bytes: Buffer): Promise<string> {
  try {
    const env = readEnvelope(bytes, LIMITS)
    const v = await verifyEdxml(bytes, { ...base, from: env.from })
    return v.signed ? `signed by ${v.from}` : 'unsigned'
  } catch (e) {
    return codeOf(e)
  }
}

/** The streamed verdict: the same steps on the skeleton, the runs digested from the bytes. */
async function streamed(bytes: Buffer, minRun = 16): Promise<{ verdict: string; skeleton?: Skeleton }> {
  let skeleton: Skeleton
  try {
    skeleton = skeletonOf(bytes, { minRun, maxSkeleton: LIMITS.maxBytes })
  } catch (e) {
    return { verdict: codeOf(e) }
  }
  try {
    const env = readEnvelope(skeleton.bytes, LIMITS)
    const v = await verifyEdxml(skeleton.bytes, {
      ...base,
      from: env.from,
      elided: { nonce: skeleton.nonce, runs: skeleton.runs, read: (r) => Readable.from([bytes.subarray(r.offset, r.offset + r.length)]) },
    })
    return { verdict: v.signed ? `signed by ${v.from}` : 'unsigned', skeleton }
  } catch (e) {
    return { verdict: codeOf(e), skeleton }
  }
}

t.test('the same verdicts on generated variants with a long attachment (seed 20261204, 200 cases)', async (t) => {
  let elided = 0
  const verdicts = new Map<string, number>()
  await fc.assert(
    fc.asyncProperty(variantArb, fc.constantFrom('none', 'in-run', 'crlf-to-lf'), async (v, tamper) => {
      const { b64 } = attachment(3000, v.field)
      let bytes: Buffer
      try {
        bytes = Buffer.from(afterSigning(signEdxml(withAttachment(buildVariant(v), b64), key, chain), v), 'utf8')
      } catch {
        bytes = Buffer.from(withAttachment(buildVariant(v), b64), 'utf8') // a variant the signer refuses: compare it unsigned
      }
      if (tamper === 'in-run') {
        const at = bytes.indexOf('\r\n', bytes.length / 2) + 2
        bytes[at] = bytes[at] === 0x41 ? 0x42 : 0x41
      }
      if (tamper === 'crlf-to-lf') bytes = Buffer.from(bytes.toString('latin1').replaceAll('\r\n', '\n'), 'latin1') // the same canonical text
      const a = await inMemory(bytes)
      const b = await streamed(bytes)
      if (b.skeleton?.runs.length) elided++
      verdicts.set(a, (verdicts.get(a) ?? 0) + 1)
      if (a !== b.verdict) throw new Error(`in memory: ${a}, streamed: ${b.verdict}`)
      return true
    }),
    { numRuns: 200, seed: 20261204 },
  )
  t.ok(elided > 100, `${elided} of 200 packages had their attachment elided`)
  t.ok((verdicts.get(`signed by ${FROM}`) ?? 0) > 20 && (verdicts.get('SIGNATURE_INVALID') ?? 0) > 20, `verdicts: ${JSON.stringify(Object.fromEntries(verdicts))}`)
})

t.test('the same verdicts on the fixtures and the sample corpus', async (t) => {
  const files = fs.readdirSync(path.join(ROOT, 'test/fixtures/edxml')).map((f) => path.join(ROOT, 'test/fixtures/edxml', f))
  const samples = path.join(CORPUS_DIR, 'samples')
  if (corpusSkip('samples')) t.comment(corpusSkip('samples') as string)
  else
    files.push(
      ...fs
        .readdirSync(samples)
        .filter((f) => f.endsWith('.edxml'))
        .map((f) => path.join(samples, f)),
    )
  for (const f of files) {
    const bytes = fs.readFileSync(f)
    const a = await inMemory(bytes)
    t.equal((await streamed(bytes, 8)).verdict, a, `${path.basename(f)}: ${a}`)
  }
})

t.test('the scanner: chunk boundaries do not matter; runs are found where they are', async (t) => {
  const { bytes: att, b64 } = attachment(200_000)
  const doc = Buffer.from(
    withAttachment(
      buildVariant({ prefix: 'edXML', ws: '', encoding: 'UTF-8', bom: false, field: 0, trick: 'none', dup: 'none', foreign: 'none', dropSecondTo: false, after: 'none' }),
      b64,
    ),
    'utf8',
  )
  const whole = skeletonOf(doc, { minRun: 1024, maxSkeleton: 1 << 20, nonce: 'Zfixednonce0000000000000' })
  t.equal(whole.runs.length, 1, 'one run')
  const run = whole.runs[0]!
  t.equal(run.decodedSize, att.length, 'its decoded size')
  t.equal(doc.subarray(run.offset, run.offset + run.length).toString('latin1'), b64, 'its offset and length')
  t.equal(run.sha256, crypto.createHash('sha256').update(b64).digest('hex'), 'its SHA-256')
  t.ok(whole.bytes.length < 8192 && whole.bytes.includes(markerOf('Zfixednonce0000000000000', 0)), `a ${whole.bytes.length}-byte skeleton holds the marker`)
  const rnd = crypto.createHash('sha256').update('chunks').digest()
  for (const [name, size] of [
    ['1-byte', () => 1],
    ['random', (i: number) => 1 + ((rnd[i % 32]! * 37) % 5000)],
  ] as const) {
    const s = new SkeletonScanner({ minRun: 1024, maxSkeleton: 1 << 20, nonce: 'Zfixednonce0000000000000' })
    for (let i = 0, k = 0; i < doc.length; k++) {
      const n = size(k)
      s.write(doc.subarray(i, i + n))
      i += n
    }
    const got = s.end()
    t.ok(got.bytes.equals(whole.bytes) && JSON.stringify(got.runs) === JSON.stringify(whole.runs), `${name} chunks: the same skeleton and runs`)
  }
  // decoding the run as a stream gives the attachment back
  const pieces = piecesOf(`\n${markerOf('Zfixednonce0000000000000', 0)}\n`, 'Zfixednonce0000000000000', whole.runs)
  t.equal(decodedSizeOf(pieces), att.length, 'the decoded size from the index')
  const out: Buffer[] = []
  const dec = base64Decoder()
  dec.on('data', (c: Buffer) => out.push(c))
  for (let i = 0; i < b64.length; i += 333) dec.write(Buffer.from(b64.slice(i, i + 333), 'latin1'))
  await new Promise((r) => dec.end(r))
  t.ok(Buffer.concat(out).equals(att), 'the Base64 decoder across odd chunk boundaries')
})

t.test('the scanner refuses what it cannot reduce, with the in-memory codes', async (t) => {
  const o = { minRun: 64, maxSkeleton: 4096 }
  const code = (...parts: string[]) => {
    try {
      const s = new SkeletonScanner(o)
      for (const p of parts) s.write(Buffer.from(p))
      s.end()
      return 'ok'
    } catch (e) {
      return codeOf(e)
    }
  }
  t.equal(code('<!DOCTYPE x [<!ENTITY a "b">]><x/>'), 'XML_FORBIDDEN_CONSTRUCT', 'a DOCTYPE, before a byte more is read')
  t.equal(
    code(`<a><ContentTransferEncoded>${'QUFB'.repeat(40)}`, '!</ContentTransferEncoded></a>'),
    'EDXML_SCHEMA_INVALID',
    'a long run that turns out not to be Base64 once it is being elided',
  )
  t.equal(
    code(`<a><ContentTransferEncoded>${'QUFB'.repeat(40)}!</ContentTransferEncoded></a>`),
    'ok',
    'one seen not to be Base64 before it was long stays in the skeleton (for the XSD to refuse)',
  )
  t.equal(code(`<a><ContentTransferEncoded>${'QUFB'.repeat(40)}Q</ContentTransferEncoded></a>`), 'EDXML_SCHEMA_INVALID', 'a long run whose length is not a multiple of 4')
  t.equal(code(`<a><ContentTransferEncoded>${'QUFB'.repeat(40)}</ContentTransferEncoded></a>`), 'ok', 'a long Base64 run')
  t.equal(code(`<a><Subject>${'x'.repeat(5000)}</Subject></a>`), 'PAYLOAD_TOO_LARGE', 'long text elsewhere stays in the skeleton, which is bounded')
  t.equal(code(`<a><ContentTransferEncoded><![CDATA[${'QUFB'.repeat(2000)}]]></ContentTransferEncoded></a>`), 'PAYLOAD_TOO_LARGE', 'Base64 in CDATA is not elided')
  t.equal(code('<a x="'), 'XML_MALFORMED', 'a package that ends inside a tag')
})

t.test('a marker must stand where the scanner put it, once', async (t) => {
  const nonce = 'Zabcdefghijklmnopqrstuvw'
  const runs = [{ marker: markerOf(nonce, 0), offset: 0, length: 4, sha256: '', decodedSize: 3 }]
  const src = { nonce, runs, read: () => Readable.from([Buffer.from('QUFB')]) }
  const code = (canon: string) => elidedDigest('sha256', canon, src).then(() => 'ok', codeOf)
  t.equal(await code(`<a>${runs[0]!.marker}</a>`), 'ok')
  t.equal(await code('<a></a>'), 'SIGNATURE_PROFILE_VIOLATION', 'missing (it sat in a comment C14N dropped)')
  t.equal(await code(`<a>${runs[0]!.marker}${runs[0]!.marker}</a>`), 'SIGNATURE_PROFILE_VIOLATION', 'twice')
  t.equal(await code(`<a>${markerOf(nonce, 1)}</a>`), 'SIGNATURE_PROFILE_VIOLATION', 'one the index does not have')
  const digest = await elidedDigest('sha256', `<a>${runs[0]!.marker}</a>`, src)
  t.same(digest, crypto.createHash('sha256').update('<a>QUFB</a>').digest(), 'the digest of the text with the run in place')
})

t.test('line ends are normalised as the XML parser does, across chunks', async (t) => {
  const norm = async (chunks: string[]) => {
    let s = ''
    for await (const c of normalisedLineEnds(Readable.from(chunks.map((x) => Buffer.from(x, 'latin1'))) as AsyncIterable<Buffer>)) s += c.toString('latin1')
    return s
  }
  t.equal(await norm(['a\r\nb\rc\n']), 'a\nb\nc\n')
  t.equal(await norm(['a\r', '\nb']), 'a\nb', 'CR | LF split')
  t.equal(await norm(['a\r', 'b\r', '\r\n']), 'a\nb\n\n', 'lone CRs at chunk ends')
})
