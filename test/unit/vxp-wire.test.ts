// The national axis' wire format (src/gateway/vxp/wire.ts) against the facts captured from SDKVXP 2.0.1
// in ../shared/edxml/VXP-WIRE.md: its HMAC test vector, its timestamp form, its unpadded hash-file.
import t from 'tap'
import crypto from 'node:crypto'
import { formatListTime, formatTimestamp, hashFileRenderings, parseTimestamp, signatureOf, signedHeaders } from '../../src/gateway/vxp/wire.ts'

t.test('HMAC-SHA256 of the sign-header as sent: the vector the SDK produced', async (t) => {
  const signHeader =
    '{"XroadVnpt-systemid":"vxp.test","XroadVnpt-servicetype":"eDoc","XroadVnpt-messagetype":"edoc","XroadVnpt-timestamp":"01122026T195955+0059","XroadVnpt-Content-Type":"application/json"}'
  t.equal(signatureOf('s3cr3t', signHeader), 'c7182b56dcb2b581a8ea5b349967f0ce71988e87bf3dc6694b9f03808d5c549c')
  const h = signedHeaders(
    [
      ['systemid', 'vxp.test'],
      ['servicetype', 'eDoc'],
      ['messagetype', 'edoc'],
      ['timestamp', '01122026T195955+0059'],
      ['Content-Type', 'application/json'],
    ],
    's3cr3t',
  )
  t.equal(h['XroadVnpt-sign-header'], signHeader, 'the client builds the same JSON, order kept')
  t.equal(h['XroadVnpt-hash-header'], 'c7182b56dcb2b581a8ea5b349967f0ce71988e87bf3dc6694b9f03808d5c549c')
  t.equal(h['XroadVnpt-sign-header-key'], 'systemid;servicetype;messagetype;timestamp;Content-Type')
  t.equal(h['Content-Type'], 'application/json', 'Content-Type is also sent as itself')
  t.equal(h['XroadVnpt-version'], '3.0.201608')
})

t.test("timestamps: ddMMyyyy'T'HHmmss+SSSS, milliseconds not a zone, local time at the configured offset", async (t) => {
  const at = new Date('2026-12-01T12:59:54.679Z')
  t.equal(formatTimestamp(at, '+07:00'), '01122026T195954+0679')
  t.equal(parseTimestamp('01122026T195954+0679', '+07:00')?.toISOString(), at.toISOString())
  t.equal(parseTimestamp('01122026T195954+0679', '+00:00')?.toISOString(), '2026-12-01T19:59:54.679Z')
  t.equal(parseTimestamp('01122026T195954+679', '+07:00')?.getTime(), at.getTime(), 'three digits of milliseconds too')
  for (const bad of ['', '2026-12-01T19:59:54Z', '31022026T120000+0000', '01132026T120000+0000', '01122026T250000+0000', '01122026T195954+10000']) {
    t.equal(parseTimestamp(bad, '+07:00'), null, `refused: "${bad}"`)
  }
  t.equal(formatListTime('2026-12-01T12:59:54.679Z', '+07:00'), '01/12/2026 19:59:54')
})

t.test('hash-file: the padded hex and the SDK rendering without leading zeros', async (t) => {
  let short = 0
  for (let i = 0; i < 50; i++) {
    const bytes = crypto.randomBytes(50 + i)
    const digest = crypto.createHash('sha256').update(bytes).digest()
    const [padded, unpadded] = hashFileRenderings(bytes)
    t.equal(padded, digest.toString('hex'))
    t.equal(
      unpadded,
      padded
        .match(/../g)!
        .map((x) => x.replace(/^0/, ''))
        .join(''),
      'each byte without its leading zero',
    )
    if (digest.some((b) => b < 16)) short++
  }
  t.ok(short > 30, `most digests have a byte below 0x10 (${short}/50), so the unpadded form is what the SDK usually sends`)
  // the example of VXP-WIRE.md: …af 06 ce… is sent as …af6ce…
  const d = Buffer.from('3388e9f4b6af06cee576', 'hex')
  t.equal([...d].map((b) => b.toString(16)).join(''), '3388e9f4b6af6cee576')
})
