/**
 * The gateway with its payloads in an S3-compatible object store only (S3Proxy from Maven Central,
 * deploy/s3proxy): accept, delivery, the exact bytes, the decoded attachment, the status 01 package — and
 * nothing written to a payload folder on disk. A payload damaged in the store is refused, never served.
 */
import t from 'tap'
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { ROOT, eventually, fixture, startGateway } from '../helpers/gateway.ts'
import { freePort } from '../helpers/federation.ts'
import { buildLargePackage, getHashed, postFile } from '../helpers/large-package.ts'
import { modelToXml, xmlToModel, type EdocPackage } from '../../src/schemas/index.ts'

const COMMUNE = '000.21.30.H41'
const PROVINCE = '000.00.00.H41'
const filesUnder = (dir: string): string[] =>
  !fs.existsSync(dir) ? [] : fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(path.join(dir, e.name)) : [path.join(dir, e.name)]))

t.test('payloads in the object store only: accept, deliver, read, attachments, status; damage is refused', async (t) => {
  const data = fs.mkdtempSync(path.join(os.tmpdir(), 'lgsp-s3-'))
  const env = { ...process.env, S3PROXY_PORT: String(await freePort()), S3PROXY_DATA_DIR: data }
  t.teardown(() => {
    spawnSync('bash', [path.join(ROOT, 'deploy/s3proxy/stop.sh')], { env })
    fs.rmSync(data, { recursive: true, force: true })
  })
  const up = spawnSync('bash', [path.join(ROOT, 'deploy/s3proxy/start.sh')], { env, encoding: 'utf8', timeout: 300_000 })
  t.equal(up.status, 0, 'S3Proxy started') || t.comment(up.stderr)
  const endpoint = /S3_ENDPOINT=(\S+)/.exec(up.stdout)?.[1]
  if (!endpoint) return

  const blobDir = path.join(data, 'must-stay-empty')
  const gw = await startGateway(t, {
    blobStore: 's3',
    blobDir,
    s3Endpoint: endpoint,
    s3Bucket: 'lgsp-test',
    s3Prefix: `${path.basename(data)}/`,
    s3AccessKeyId: 'local-identity',
    s3SecretAccessKey: 'local-credential',
    s3ForcePathStyle: true,
    smallPayloadBytes: 0, // every payload an object: what a deployment without database payloads does
  })
  const model = xmlToModel(fixture('edxml/edoc-zip-attachment.edxml')) as EdocPackage
  delete model.signature // a sample signature that does not verify; the attachment is what matters here
  const doc = await gw.sign(COMMUNE, modelToXml(model))
  const sent = await gw.call(COMMUNE, 'POST', '/v1/documents', doc, { 'content-type': 'application/xml' })
  const answer = (await sent.json()) as { id: string; sha256: string }
  t.equal(sent.status, 202, 'accepted') || t.comment(JSON.stringify(answer).slice(0, 500))
  const item = await eventually(
    async () => {
      const r = (await (await gw.call(PROVINCE, 'GET', '/v1/inbox')).json()) as { items: { id: string; documentUuid?: string }[] }
      return r.items[0]
    },
    30_000,
    'the province inbox',
  )
  const bytes = Buffer.from(await (await gw.call(PROVINCE, 'GET', `/v1/inbox/${item.id}`)).arrayBuffer())
  t.ok(bytes.equals(doc), 'the exact bytes, streamed from the object store')
  const list = (await (await gw.call(PROVINCE, 'GET', `/v1/inbox/${item.id}/attachments`)).json()) as { items: { contentId: string }[] }
  t.ok(list.items.length >= 1, 'attachments listed from the stored package')
  const att = await gw.call(PROVINCE, 'GET', `/v1/inbox/${item.id}/attachments/${encodeURIComponent(list.items[0]!.contentId)}`)
  t.equal(att.status, 200, 'an attachment decodes from the object store')
  t.equal((await gw.call(PROVINCE, 'POST', `/v1/inbox/${item.id}/ack`)).status < 300, true, 'ack: status 01 package stored')
  await eventually(
    async () => {
      const v = (await (await gw.call(COMMUNE, 'GET', `/v1/documents/${answer.id}`)).json()) as { recipients: { organId: string; status: string }[] }
      return v.recipients.find((r) => r.organId === PROVINCE)?.status === '01'
    },
    30_000,
    'status 01 on the sender timeline',
  )
  t.same(filesUnder(blobDir), [], 'no payload was written to the filesystem')
  const objects = filesUnder(path.join(data, 'objects'))
  const stored = objects.find((f) => f.endsWith(answer.sha256))
  t.ok(stored, 'the package is an object named by its SHA-256')

  // a streamed package: spooled locally while it is checked, then one PUT from the spool file (Content-MD5);
  // its attachment is read back as a range of the object
  const big = await buildLargePackage({ dir: data, attachmentBytes: 12 * 2 ** 20, from: COMMUNE, to: PROVINCE, no: 4 })
  const bigSent = await postFile(`${gw.url}/v1/documents`, gw.creds[COMMUNE]!, big.file)
  t.equal(bigSent.status, 202, `a ${(big.size / 2 ** 20).toFixed(0)} MiB package, streamed in`)
  const bigItem = await eventually(
    async () => {
      const r = (await (await gw.call(PROVINCE, 'GET', '/v1/inbox')).json()) as { items: { id: string; sha256: string }[] }
      return r.items.find((x) => x.sha256 === big.sha256)
    },
    30_000,
    'the streamed package in the inbox',
  )
  t.equal((await getHashed(`${gw.url}/v1/inbox/${bigItem.id}`, gw.creds[PROVINCE]!)).sha256, big.sha256, 'read back byte-identical from the object store')
  const bigAtt = await getHashed(`${gw.url}/v1/inbox/${bigItem.id}/attachments/cid:ban-do`, gw.creds[PROVINCE]!)
  t.equal(bigAtt.sha256, big.attachment.sha256, 'its attachment decoded from a ranged read of the object')
  t.same(filesUnder(blobDir), [], 'and no payload stayed on the filesystem (the spool file is gone)')

  // damage the object behind the gateway's back: the bytes are refused, not served
  const raw = fs.readFileSync(stored!)
  raw[raw.length - 20] = raw[raw.length - 20]! ^ 0x01
  fs.writeFileSync(stored!, raw)
  const damaged = await gw.call(PROVINCE, 'GET', `/v1/inbox/${item.id}/attachments/${encodeURIComponent(list.items[0]!.contentId)}`)
  t.equal(damaged.status, 500)
  t.equal(((await damaged.json()) as { code: string }).code, 'PAYLOAD_INTEGRITY', 'a damaged payload is refused with its code')
  const streamed = await gw
    .call(PROVINCE, 'GET', `/v1/inbox/${item.id}`)
    .then((r) => r.arrayBuffer())
    .then(
      () => 'complete',
      () => 'aborted',
    )
  t.equal(streamed, 'aborted', 'the exact-bytes stream is cut, not completed with damaged bytes')
})
