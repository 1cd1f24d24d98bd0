/**
 * Signed edXML packages of any size, built on disk without being held: the attachment is a deterministic
 * pseudo-random stream (AES-256-CTR over zeros), written as MIME-style Base64 lines (76 characters, CR LF),
 * signed through its skeleton (signEdxmlElided: the digest reads the Base64 in the marker's place), then
 * written out. Also a streaming HTTP client: POST a file with its Content-Length, and GET into a SHA-256.
 */
import crypto from 'node:crypto'
import fs from 'node:fs'
import fsp from 'node:fs/promises'
import http from 'node:http'
import path from 'node:path'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { fixture, testPki } from './gateway.ts'
import { markerOf, newNonce, type ElidedRun } from '../../src/schemas/skeleton.ts'
import { signEdxmlElided } from '../../src/signing/sign-edxml.ts'

export interface LargePackage {
  file: string
  size: number
  sha256: string
  attachment: { contentId: string; size: number; sha256: string }
  documentId: string
}

/** The attachment's bytes: the same every time for the same seed. */
async function* attachmentBytes(size: number, seed: Buffer): AsyncGenerator<Buffer> {
  const cipher = crypto.createCipheriv('aes-256-ctr', seed, Buffer.alloc(16))
  const zeros = Buffer.alloc(57 * 16 * 1024) // whole 57-byte lines: 76 Base64 characters each
  for (let left = size; left > 0; left -= zeros.length) yield cipher.update(left >= zeros.length ? zeros : zeros.subarray(0, left))
}

/** The attachment as MIME Base64 lines (RFC 2045 §6.8: at most 76 characters, CR LF). */
async function* base64Lines(size: number, seed: Buffer, onBytes?: (b: Buffer) => void): AsyncGenerator<Buffer> {
  for await (const b of attachmentBytes(size, seed)) {
    onBytes?.(b)
    const lines: string[] = []
    for (let i = 0; i < b.length; i += 57) lines.push(b.subarray(i, i + 57).toString('base64'))
    yield Buffer.from(`${lines.join('\r\n')}\r\n`, 'latin1')
  }
}

export async function buildLargePackage(o: { dir: string; attachmentBytes: number; from: string; to: string; no: number }): Promise<LargePackage> {
  const seed = crypto.randomBytes(32)
  const documentId = `${o.from},2026/12/04,${o.no}/UBND-VP`
  const nonce = newNonce()
  const marker = markerOf(nonce, 0)
  const skeleton = fixture('demo/commune-to-province.edxml')
    .toString('utf8')
    .replaceAll('000.21.30.H41', o.from)
    .replaceAll('000.00.00.H41', o.to)
    .replace(/<edXML:DocumentId>[^<]*<\/edXML:DocumentId>/, `<edXML:DocumentId>${documentId}</edXML:DocumentId>`)
    .replace(
      '<edXML:edXMLManifest version="1.0"/>',
      `<edXML:edXMLManifest version="1.0">
        <edXML:Reference>
          <edXML:ContentId>cid:ban-do</edXML:ContentId>
          <edXML:ContentType>application/zip</edXML:ContentType>
          <edXML:AttachmentName>ban-do-quy-hoach.zip</edXML:AttachmentName>
        </edXML:Reference>
      </edXML:edXMLManifest>`,
    )
    .replace(
      '</edXML>',
      `  <AttachmentEncoded>
    <Attachment>
      <ContentId>cid:ban-do</ContentId>
      <AttachmentName>ban-do-quy-hoach.zip</AttachmentName>
      <ContentType>application/zip</ContentType>
      <edXML:ContentTransferEncoded xmlns:edXML="http://www.mic.gov.vn/TBT/QCVN_102_2016">${marker}</edXML:ContentTransferEncoded>
    </Attachment>
  </AttachmentEncoded>
</edXML>`,
    )
  if (!skeleton.includes(documentId)) throw new Error('the fixture has no DocumentId to replace')
  const run: ElidedRun = { marker, offset: 0, length: 0, sha256: '', decodedSize: o.attachmentBytes }
  const pki = await testPki()
  const a = pki.agencies.find((x) => x.organId === o.from)
  if (!a) throw new Error(`no demo certificate for ${o.from}`)
  const chain = [fs.readFileSync(a.cert, 'utf8'), fs.readFileSync(pki.intermediate, 'utf8')]
  const attSha = crypto.createHash('sha256')
  const signed = await signEdxmlElided(skeleton, fs.readFileSync(a.key, 'utf8'), chain, {
    nonce,
    runs: [run],
    read: () => Readable.from(base64Lines(o.attachmentBytes, seed, (b) => attSha.update(b))),
  })
  const [head, tail] = signed.split(marker)
  if (tail === undefined) throw new Error('the marker is not in the signed skeleton')
  const file = path.join(o.dir, `package-${o.no}.edxml`)
  const sha = crypto.createHash('sha256')
  let size = 0
  async function* all(): AsyncGenerator<Buffer> {
    for (const part of [Buffer.from(head!, 'utf8'), base64Lines(o.attachmentBytes, seed), Buffer.from(tail, 'utf8')]) {
      for await (const c of Buffer.isBuffer(part) ? [part] : part) {
        sha.update(c)
        size += c.length
        yield c
      }
    }
  }
  await pipeline(Readable.from(all()), fs.createWriteStream(file))
  return { file, size, sha256: sha.digest('hex'), attachment: { contentId: 'ban-do', size: o.attachmentBytes, sha256: attSha.digest('hex') }, documentId }
}

/** Changes one Base64 character in the middle of the package's attachment (a valid Base64 character still). */
export async function tamperMiddle(file: string): Promise<void> {
  const { size } = await fsp.stat(file)
  const fh = await fsp.open(file, 'r+')
  try {
    for (let at = Math.floor(size / 2); ; at++) {
      const b = Buffer.alloc(1)
      await fh.read(b, 0, 1, at)
      const c = String.fromCharCode(b[0]!)
      if (!/[A-Za-z0-9]/.test(c)) continue
      await fh.write(Buffer.from(c === 'A' ? 'B' : 'A'), 0, 1, at)
      return
    }
  } finally {
    await fh.close()
  }
}

export interface Answer {
  status: number
  headers: http.IncomingHttpHeaders
  body: Buffer
}

/** POST a file as it is read (Content-Length declared); `stopAfter` bytes, then the connection is cut. */
export function postFile(url: string, apiKey: string, file: string, o: { stopAfter?: number; contentType?: string } = {}): Promise<Answer> {
  const size = fs.statSync(file).size
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      {
        method: 'POST',
        headers: { 'content-type': o.contentType ?? 'application/xml', 'content-length': String(size), authorization: `Bearer ${apiKey}` },
      },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }))
        res.on('error', reject)
      },
    )
    req.on('error', reject)
    const src = fs.createReadStream(file, o.stopAfter !== undefined ? { end: o.stopAfter - 1 } : {})
    src.pipe(req, { end: o.stopAfter === undefined })
    if (o.stopAfter !== undefined)
      src.on('end', () =>
        setTimeout(() => {
          req.destroy()
          resolve({ status: 0, headers: {}, body: Buffer.alloc(0) })
        }, 200),
      )
  })
}

/** GET into a SHA-256 (nothing held). */
export function getHashed(url: string, apiKey: string): Promise<{ status: number; headers: http.IncomingHttpHeaders; size: number; sha256: string; text: string }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { headers: { authorization: `Bearer ${apiKey}` } }, (res) => {
        const h = crypto.createHash('sha256')
        let size = 0
        let text = ''
        res.on('data', (c: Buffer) => {
          h.update(c)
          size += c.length
          if (text.length < 4096) text += c.toString('utf8')
        })
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, size, sha256: h.digest('hex'), text }))
        res.on('error', reject)
      })
      .on('error', reject)
  })
}
