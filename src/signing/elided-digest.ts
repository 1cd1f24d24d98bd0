/**
 * The Reference digest of a package known by its skeleton (src/schemas/skeleton.ts): the canonical form
 * of the skeleton with each marker replaced, in the hash input, by its run's canonical text streamed from
 * the stored bytes. For a run of Base64 and XML whitespace the canonical text is the run with its line ends
 * normalised as the XML parser does before C14N sees it (XML 1.0 §2.11: CR LF and a lone CR become LF;
 * C14N 1.0 §2.3 / Exclusive C14N §3: text is then output as is, as it holds nothing to escape).
 */
import { createHash } from 'node:crypto'
import type { Readable } from 'node:stream'
import { GatewayError } from '../errors.ts'
import type { ElidedRun } from '../schemas/skeleton.ts'

export interface ElidedSource {
  nonce: string
  runs: ElidedRun[]
  /** the run's bytes as stored */
  read(run: ElidedRun): Readable
}

const violation = (detail: string) => new GatewayError('SIGNATURE_PROFILE_VIOLATION', detail)

/** Splits canonical text at this package's markers: literal text and run indexes, in order. */
export function splitAtMarkers(text: string, nonce: string): (string | number)[] {
  const re = new RegExp(`${nonce}(\\d{8})`, 'g')
  const out: (string | number)[] = []
  let last = 0
  for (let m = re.exec(text); m; m = re.exec(text)) {
    if (m.index > last) out.push(text.slice(last, m.index))
    out.push(Number(m[1]))
    last = m.index + m[0].length
  }
  if (last < text.length) out.push(text.slice(last))
  return out
}

const CR_LF_OR_CR = /\r\n?/g

/** Line ends as the XML parser leaves them (CR LF → LF, lone CR → LF), across chunk boundaries. */
export async function* normalisedLineEnds(src: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  let pendingCr = false
  for await (const chunk of src) {
    let c = chunk
    if (pendingCr) {
      pendingCr = false
      if (c[0] === 0x0a) c = c.subarray(1) // the LF of a CR LF split across chunks: the CR already became it
    }
    if (c.indexOf(0x0d) < 0) {
      yield c
      continue
    }
    // latin1 maps each byte to one character and back, so the replacement is byte-exact; the regular
    // expression engine does it as native code (a byte loop in JavaScript cost seconds per GiB)
    if (c[c.length - 1] === 0x0d) pendingCr = true // its LF, if any, opens the next chunk
    yield Buffer.from(c.toString('latin1').replace(CR_LF_OR_CR, '\n'), 'latin1')
  }
}

/**
 * The digest of `canonical` (the canonical skeleton, as the verifier or signer computed it) with every
 * marker replaced by its run. Each run must appear exactly once: a marker missing (it sat in a comment or
 * an attribute, which C14N drops or escapes) or repeated means the skeleton is not what it claims.
 */
export async function elidedDigest(alg: string, canonical: string, src: ElidedSource): Promise<Buffer> {
  const parts = splitAtMarkers(canonical, src.nonce)
  const seen = new Set<number>()
  for (const p of parts) {
    if (typeof p !== 'number') continue
    if (p >= src.runs.length || seen.has(p)) throw violation('an attachment marker does not match the package')
    seen.add(p)
  }
  if (seen.size !== src.runs.length) throw violation('an attachment is outside the signed content')
  const h = createHash(alg)
  for (const p of parts) {
    if (typeof p === 'string') {
      h.update(p, 'utf8')
      continue
    }
    for await (const c of normalisedLineEnds(src.read(src.runs[p]!) as AsyncIterable<Buffer>)) h.update(c)
  }
  return h.digest()
}
