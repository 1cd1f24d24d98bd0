/**
 * A signed package with a large attachment (100 MB here; `npm run test:large` runs 1 GB) built on disk,
 * POSTed by a streaming client, delivered, downloaded whole and as its decoded attachment — byte-identical
 * by SHA-256 — while this process's RSS (gateway and client together: an upper bound for the gateway) and
 * /healthz are sampled and printed. Then: a byte changed in the middle of the attachment is refused with
 * SIGNATURE_INVALID, a client that stops mid-body leaves nothing behind, a Content-Length over
 * MAX_PACKAGE_BYTES is refused before the body is read, and a disk that would fill refuses with 507.
 */
import t from 'tap'
import fs from 'node:fs'
import fsp from 'node:fs/promises'
import http from 'node:http'
import os from 'node:os'
import path from 'node:path'
import type { Config } from '../../src/config/config.ts'
import { receivePackage } from '../../src/ingest/receive-package.ts'
import { eventually, startGateway } from '../helpers/gateway.ts'
import { buildLargePackage, getHashed, postFile, tamperMiddle } from '../helpers/large-package.ts'
import { startPushReceiver } from '../helpers/push-receiver.ts'
import crypto from 'node:crypto'

const MB = Number(process.env.LARGE_PACKAGE_MB ?? 100)
const STRICT = process.env.LARGE_PACKAGE_STRICT === '1' // test:large: the /healthz latency bound is asserted, not only printed
const COMMUNE = '000.21.30.H41'
const PROVINCE = '000.00.00.H41'

const rssMb = () => {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync('/proc/self/status', 'utf8'))
  return m ? Number(m[1]) / 1024 : process.memoryUsage.rss() / 2 ** 20
}

/** Samples RSS and /healthz latency (one request at a time) until stopped. */
function sampler(url: string) {
  let stop = false
  let maxRss = rssMb()
  let maxHealthMs = 0
  let probes = 0
  const rss = setInterval(() => {
    maxRss = Math.max(maxRss, rssMb())
  }, 100)
  const health = (async () => {
    while (!stop) {
      const t0 = performance.now()
      const res = await fetch(`${url}/healthz`).catch(() => null)
      await res?.arrayBuffer()
      maxHealthMs = Math.max(maxHealthMs, performance.now() - t0)
      probes++
      await new Promise((r) => setTimeout(r, 50))
    }
  })()
  return async () => {
    stop = true
    clearInterval(rss)
    await health
    return { maxRss, maxHealthMs, probes }
  }
}

const spoolFiles = (c: Config) => fs.readdirSync(path.join(c.blobDir, '.incoming')).filter((f) => f.endsWith('.part'))

t.test(`a signed package with a ${MB} MB attachment streams in and out with bounded memory`, async (t) => {
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'lgsp-large-'))
  t.teardown(() => fsp.rm(dir, { recursive: true, force: true }))
  const gw = await startGateway(t, { signaturePolicy: 'required' })
  const t0 = Date.now()
  const pkg = await buildLargePackage({ dir, attachmentBytes: MB * 2 ** 20, from: COMMUNE, to: PROVINCE, no: 1 })
  t.comment(`built and signed a ${(pkg.size / 2 ** 20).toFixed(0)} MiB package (${MB} MiB attachment) in ${Date.now() - t0} ms`)

  global.gc?.()
  const idle = rssMb()
  const done = sampler(gw.url)
  const t1 = Date.now()
  const res = await postFile(`${gw.url}/v1/documents`, gw.creds[COMMUNE]!, pkg.file)
  const postMs = Date.now() - t1
  t.equal(res.status, 202, `accepted (${res.body.toString('utf8').slice(0, 300)})`)
  const answer = JSON.parse(res.body.toString('utf8')) as { sha256: string; signature: { signed: boolean } }
  t.equal(answer.sha256, pkg.sha256, 'the receipt names the SHA-256 of the bytes sent')
  t.equal(answer.signature.signed, true, 'the signature was verified')
  t.same(spoolFiles(gw.rt.config), [], 'the spool file became the payload')

  const item = await eventually(
    async () => ((await (await gw.call(PROVINCE, 'GET', '/v1/inbox')).json()) as { items: { id: string; size: number }[] }).items[0],
    60_000,
    'delivery',
  )
  t.equal(item.size, pkg.size, 'the inbox lists its size')
  const t2 = Date.now()
  const whole = await getHashed(`${gw.url}/v1/inbox/${item.id}`, gw.creds[PROVINCE]!)
  const wholeMs = Date.now() - t2
  t.equal(whole.status, 200)
  t.equal(whole.sha256, pkg.sha256, 'the package downloads byte-identical')

  const list = (await (await gw.call(PROVINCE, 'GET', `/v1/inbox/${item.id}/attachments`)).json()) as { items: { contentId: string; size: number; attachmentName: string }[] }
  t.same(
    list.items.map((a) => [a.contentId, a.size, a.attachmentName]),
    [['ban-do', pkg.attachment.size, 'ban-do-quy-hoach.zip']],
    'the attachment is listed with its decoded size',
  )
  const t3 = Date.now()
  const att = await getHashed(`${gw.url}/v1/inbox/${item.id}/attachments/cid:ban-do`, gw.creds[PROVINCE]!)
  const attMs = Date.now() - t3
  t.equal(att.status, 200)
  t.equal(att.size, pkg.attachment.size, 'the decoded attachment has its size')
  t.equal(att.sha256, pkg.attachment.sha256, 'and is byte-identical')
  const json = await gw.call(PROVINCE, 'GET', `/v1/inbox/${item.id}`, undefined, { accept: 'application/json' })
  t.equal(json.status, 406, 'the JSON form of a streamed package is refused with a coded error')
  t.equal(((await json.json()) as { code: string }).code, 'NOT_CONVERTIBLE')
  const soapGet = await gw.call(
    PROVINCE,
    'POST',
    '/soap',
    `<env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope"><env:Body><GetDocument xmlns="urn:lien-thong:soap:v1"><id>${item.id}</id></GetDocument></env:Body></env:Envelope>`,
    { 'content-type': 'application/soap+xml' },
  )
  t.match(await soapGet.text(), /NOT_CONVERTIBLE/, 'so is SOAP GetDocument (the package in a Base64 element): the process never holds it whole')

  const m = await done()
  const growth = m.maxRss - idle
  t.comment(
    `RSS idle ${idle.toFixed(0)} MB, peak ${m.maxRss.toFixed(0)} MB (+${growth.toFixed(0)} MB, test client included); /healthz max ${m.maxHealthMs.toFixed(1)} ms over ${m.probes} probes; POST ${postMs} ms, package GET ${wholeMs} ms, attachment GET ${attMs} ms`,
  )
  t.ok(growth < 256, `RSS grew by ${growth.toFixed(0)} MB (< 256 MB) while ${MB} MB went in and out twice`)
  if (STRICT) t.ok(m.maxHealthMs < 50, `/healthz answered within ${m.maxHealthMs.toFixed(1)} ms throughout (< 50 ms)`)

  // a byte changed in the middle of the attachment: the digest (taken over the streamed Base64) no longer matches
  await tamperMiddle(pkg.file)
  const bad = await postFile(`${gw.url}/v1/documents`, gw.creds[COMMUNE]!, pkg.file)
  t.equal(bad.status, 422)
  t.equal((JSON.parse(bad.body.toString('utf8')) as { code: string }).code, 'SIGNATURE_INVALID', 'a tampered attachment is refused with SIGNATURE_INVALID')
  t.same(spoolFiles(gw.rt.config), [], 'and leaves no spool file')

  // a client that stops mid-body: nothing stored, nothing left
  const other = await buildLargePackage({ dir, attachmentBytes: 20 * 2 ** 20, from: COMMUNE, to: PROVINCE, no: 2 })
  await postFile(`${gw.url}/v1/documents`, gw.creds[COMMUNE]!, other.file, { stopAfter: Math.floor(other.size / 2) })
  await eventually(async () => spoolFiles(gw.rt.config).length === 0, 20_000, 'the half-received spool file removed')
  t.pass('a body cut in the middle leaves no spool file')
  const mine = (await (await gw.call(COMMUNE, 'GET', '/v1/documents')).json()) as { items: { documentId: string }[] }
  t.notOk(
    mine.items.some((d) => d.documentId === other.documentId),
    'and no document',
  )
  t.notOk(await gw.rt.blobs.has(other.sha256), 'and no payload')

  // a Content-Length over MAX_PACKAGE_BYTES is refused before a byte of the body is read
  const tooBig = await new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = http.request(
      `${gw.url}/v1/documents`,
      {
        method: 'POST',
        headers: { 'content-type': 'application/xml', 'content-length': String(5 * 2 ** 30), authorization: `Bearer ${gw.creds[COMMUNE]}` },
      },
      (r) => {
        let b = ''
        r.on('data', (c) => {
          b += c
        })
        r.on('end', () => {
          resolve({ status: r.statusCode ?? 0, body: b })
          req.destroy()
        })
      },
    )
    req.on('error', reject)
    req.write('<?xml version="1.0"?>')
  })
  t.equal(tooBig.status, 413)
  t.match(tooBig.body, /PAYLOAD_TOO_LARGE/, 'a 5 GiB claim: PAYLOAD_TOO_LARGE, at once')

  // not enough disk left for it: 507 before a byte is spooled (the check reads the real free space)
  const cfg = { ...gw.rt.config, minFreeDiskBytes: 2 ** 50 }
  const full = await receivePackage(cfg, fs.createReadStream(other.file), other.size).then(
    () => 'spooled',
    (e: { code?: string }) => e.code,
  )
  t.equal(full, 'INSUFFICIENT_STORAGE', 'a disk that would fill: INSUFFICIENT_STORAGE (HTTP 507)')
  t.same(spoolFiles(gw.rt.config), [], 'and leaves no spool file')
})

t.test('a large package is pushed to an agency system as a stream, byte-identical and signed', async (t) => {
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'lgsp-large-push-'))
  t.teardown(() => fsp.rm(dir, { recursive: true, force: true }))
  const hmac = 'large-push-test-key'
  const recv = await startPushReceiver(hmac)
  t.teardown(() => recv.close())
  const gw = await startGateway(t, { signaturePolicy: 'required', pushHmacKey: hmac, outboundAllowPrivate: ['127.0.0.1'] })
  const put = await gw.call('operator', 'PUT', `/v1/agencies/${PROVINCE}`, JSON.stringify({ name: 'UBND tỉnh Nghệ An', tier: 'province', endpoint: `http:${recv.url}` }), {
    'content-type': 'application/json',
  })
  t.ok(put.status < 300, `the province's system takes pushes (${put.status})`)
  const pkg = await buildLargePackage({ dir, attachmentBytes: 20 * 2 ** 20, from: COMMUNE, to: PROVINCE, no: 3 })
  t.ok(pkg.size > gw.rt.config.streamThresholdBytes, 'above the streaming threshold')
  const res = await postFile(`${gw.url}/v1/documents`, gw.creds[COMMUNE]!, pkg.file)
  t.equal(res.status, 202)
  const got = await eventually(async () => recv.requests[0], 60_000, 'the push')
  t.equal(crypto.createHash('sha256').update(got.bytes).digest('hex'), pkg.sha256, 'the receiver got the exact bytes')
  t.ok(got.signatureOk && got.digestOk, 'with a valid HMAC signature and Digest')
  const { id } = JSON.parse(res.body.toString('utf8')) as { id: string }
  await eventually(
    async () => {
      const d = (await (await gw.call(COMMUNE, 'GET', `/v1/documents/${id}`)).json()) as { recipients: { organId: string; status: string }[] }
      return d.recipients.find((r) => r.organId === PROVINCE)?.status === '01'
    },
    30_000,
    'status 01 for the pushed leg',
  )
  t.pass('the push counts as arrival (01)')
})
