/**
 * An attachment of a streamed package, read without the package: its ContentTransferEncoded in the skeleton
 * is literal Base64 and markers (src/schemas/skeleton.ts); each marker's run is a range of the stored bytes,
 * checked against the SHA-256 recorded at ingest, and the whole is Base64-decoded as it streams.
 */
import { Readable, Transform } from 'node:stream'
import { GatewayError } from '../errors.ts'
import type { ElidedRun } from './skeleton.ts'
import { splitAtMarkers } from '../signing/elided-digest.ts'

export type Piece = string | ElidedRun

/** The pieces of an encoded text: literal Base64 and the runs its markers stand for (in order). */
export function piecesOf(encoded: string, nonce: string, runs: ElidedRun[]): Piece[] {
  return splitAtMarkers(encoded, nonce).map((p) => {
    if (typeof p === 'string') return p
    const run = runs[p]
    if (!run) throw new GatewayError('PAYLOAD_INTEGRITY', 'the package index does not match its skeleton')
    return run
  })
}

const base64Chars = (s: string) => s.replace(/[ \t\r\n]/g, '')

/** Decoded size: the runs' recorded sizes plus the literal text's. */
export function decodedSizeOf(pieces: Piece[]): number {
  let chars = 0
  let out = 0
  let tail = ''
  for (const p of pieces) {
    if (typeof p === 'string') {
      const c = base64Chars(p)
      chars += c.length
      tail = c.slice(-2)
    } else {
      out += p.decodedSize
      tail = ''
    }
  }
  const pad = tail.endsWith('==') ? 2 : tail.endsWith('=') ? 1 : 0
  return out + Math.max(0, Math.floor((chars * 3) / 4) - pad)
}

/** Base64 text in, bytes out, across chunk boundaries (RFC 4648 §4; whitespace ignored, as XSD does). */
export function base64Decoder(): Transform {
  let carry = ''
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      const s = carry + base64Chars(chunk.toString('latin1'))
      const whole = s.length - (s.length % 4)
      carry = s.slice(whole)
      cb(null, whole ? Buffer.from(s.slice(0, whole), 'base64') : undefined)
    },
    flush(cb) {
      cb(carry ? new GatewayError('PAYLOAD_INTEGRITY', 'the stored attachment is not whole Base64') : null)
    },
  })
}

/** The decoded attachment as a stream; `readRun` gives a run's stored bytes, already checked. */
export function decodeStream(pieces: Piece[], readRun: (run: ElidedRun) => Readable): Readable {
  async function* text(): AsyncGenerator<Buffer> {
    for (const p of pieces) {
      if (typeof p === 'string') yield Buffer.from(p, 'latin1')
      else for await (const c of readRun(p)) yield c as Buffer
    }
  }
  const out = base64Decoder()
  const src = Readable.from(text())
  src.on('error', (e) => out.destroy(e))
  return src.pipe(out)
}
