/**
 * Large packages without holding them in memory. An edXML package carries its attachments inside itself,
 * each as the Base64 text of a ContentTransferEncoded element (QCVN 102:2016, edXMLAttachment): in a package
 * of hundreds of MB that text is nearly all of it. This one-pass scanner copies the bytes it is fed into a
 * *skeleton* — the same document, byte for byte, except that each long Base64 run inside a
 * ContentTransferEncoded is replaced by a marker — and records where each replaced run lies in the original.
 *
 * The skeleton is small, so every check the in-memory path makes runs on it unchanged (safety gate, XSD,
 * envelope, signature profile); only the signature's digest needs the real runs, and gets them streamed
 * from disk in their place (src/signing/elided-digest.ts). Why the verdicts are the same:
 *   - a run is replaced only when it is text between the start and end tag of a ContentTransferEncoded and
 *     consists of Base64 characters and XML whitespace alone, so it has no markup, no references and nothing
 *     C14N escapes; its canonical form is its text with line ends normalised (XML 1.0 §2.11);
 *   - the element's type is xs:base64Binary (edxml-edoc.xsd ed:Base64), and the marker is valid Base64 too;
 *     the run itself is checked as Base64 here (the check decodeAttachment applies), so a run the XSD would
 *     refuse is refused;
 *   - markers start with a per-package random nonce, so a sender cannot plant one; each must appear in the
 *     canonical skeleton exactly once (elided-digest.ts), or the package is refused.
 * Anything else — a long run with other characters, CDATA, references — stays in the skeleton, whose size
 * is bounded by the ordinary body limit: a package that cannot be reduced is refused as too large, never
 * half-read.
 */
import crypto from 'node:crypto'
import { GatewayError } from '../errors.ts'

/** The one element whose text may be replaced (edxml-edoc.xsd: Attachment/ContentTransferEncoded, ed:Base64). */
export const ELIDABLE_ELEMENT = 'ContentTransferEncoded'

export interface ElidedRun {
  /** the marker that stands for this run in the skeleton */
  marker: string
  /** where the run's bytes start in the original package, and how many there are */
  offset: number
  length: number
  /** SHA-256 (hex) of the run's bytes as stored: a range read is checked against it */
  sha256: string
  /** bytes the Base64 decodes to */
  decodedSize: number
}

export interface Skeleton {
  bytes: Buffer
  /** the marker prefix of this package (random per package) */
  nonce: string
  runs: ElidedRun[]
}

const LT = 0x3c,
  GT = 0x3e,
  SLASH = 0x2f,
  BANG = 0x21,
  QMARK = 0x3f,
  QUOT = 0x22,
  APOS = 0x27,
  EQ = 0x3d

/** Base64 alphabet and XML whitespace (RFC 4648 §4; XML 1.0 §2.3 S). */
const B64 = new Uint8Array(256)
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/') B64[c.charCodeAt(0)] = 1
const WS = new Uint8Array(256)
for (const c of ' \t\r\n') WS[c.charCodeAt(0)] = 1
/** a character that is neither Base64 data (before padding) nor whitespace: the slow path decides */
const NOT_BASE64_DATA = /[^A-Za-z0-9+/ \t\r\n]/
const WHITESPACE_RUNS = /[ \t\r\n]+/g

/** A nonce of letters and digits only, 24 characters: with an 8-digit index a marker is 32 Base64 characters. */
export function newNonce(): string {
  let s = ''
  while (s.length < 24)
    s += crypto
      .randomBytes(24)
      .toString('base64')
      .replace(/[^A-Za-z0-9]/g, '')
  return `Z${s.slice(0, 23)}`
}

export const markerOf = (nonce: string, i: number) => `${nonce}${String(i).padStart(8, '0')}`

type State = 'text' | 'markup'

export interface ScannerOptions {
  /** runs shorter than this stay in the skeleton */
  minRun: number
  /** the skeleton may not grow beyond this (PAYLOAD_TOO_LARGE) */
  maxSkeleton: number
  /** deepest element nesting tolerated while scanning (the XML gate applies the real bound to the skeleton) */
  maxDepth?: number
  nonce?: string
}

/** Feed it the package in order (`write`), then `end()` for the skeleton. Throws GatewayError on refusal. */
export class SkeletonScanner {
  readonly nonce: string
  private readonly minRun: number
  private readonly maxSkeleton: number
  private readonly maxDepth: number
  private out: Buffer[] = []
  private outSize = 0
  private pos = 0 // bytes consumed so far
  private state: State = 'text'
  // markup token being read (a tag, comment, CDATA, PI), copied to the skeleton when complete
  private tok: Buffer = Buffer.alloc(256)
  private tokLen = 0
  private quote = 0
  private readonly stack: string[] = []
  // the current text run, when it may be elided
  private runChunks: Buffer[] = []
  private runStart = 0
  private runLen = 0
  private runEliding = false
  private runHash: crypto.Hash | null = null
  private runChars = 0 // Base64 characters (whitespace excluded)
  private runPad = 0
  private runBad = false
  readonly runs: ElidedRun[] = []

  constructor(o: ScannerOptions) {
    this.nonce = o.nonce ?? newNonce()
    this.minRun = o.minRun
    this.maxSkeleton = o.maxSkeleton
    this.maxDepth = o.maxDepth ?? 10_000
  }

  private emit(b: Buffer): void {
    if (!b.length) return
    this.outSize += b.length
    if (this.outSize > this.maxSkeleton) {
      throw new GatewayError(
        'PAYLOAD_TOO_LARGE',
        `beyond its attachments' Base64 the package has more than ${this.maxSkeleton} bytes (the body limit); large content must travel as Attachment/ContentTransferEncoded`,
      )
    }
    this.out.push(Buffer.from(b)) // a copy: the caller reuses its chunks
  }

  private get elidable(): boolean {
    return this.stack.length > 0 && this.stack[this.stack.length - 1] === ELIDABLE_ELEMENT
  }

  write(chunk: Buffer): void {
    let i = 0
    const n = chunk.length
    while (i < n) {
      if (this.state === 'text') {
        let j = chunk.indexOf(LT, i)
        if (j < 0) j = n
        if (j > i) this.text(chunk.subarray(i, j))
        this.pos += j - i
        i = j
        if (i < n) {
          this.endRun()
          this.state = 'markup'
          this.tokLen = 0
          this.quote = 0
        }
      } else {
        const b = chunk[i]!
        this.pushTok(b)
        i++
        this.pos++
        if (this.markupDone(b)) {
          this.markup()
          this.state = 'text'
          this.runStart = this.pos
        }
      }
    }
  }

  end(): Skeleton {
    if (this.state === 'markup') throw new GatewayError('XML_MALFORMED', 'the package ends inside markup')
    this.endRun()
    return { bytes: Buffer.concat(this.out, this.outSize), nonce: this.nonce, runs: this.runs }
  }

  // ── text ──

  private text(seg: Buffer): void {
    if (!this.elidable) {
      this.emit(seg)
      return
    }
    if (this.runLen === 0) this.runStart = this.pos
    this.checkBase64(seg)
    this.runLen += seg.length
    if (this.runEliding) {
      this.runHash!.update(seg)
      return
    }
    if (this.runBad) {
      this.emit(seg)
      return
    }
    this.runChunks.push(Buffer.from(seg))
    if (this.runLen >= this.minRun) {
      // long enough: from here on the run is hashed and counted, not kept
      this.runEliding = true
      this.runHash = crypto.createHash('sha256')
      for (const c of this.runChunks) this.runHash.update(c)
      this.runChunks = []
    }
  }

  private checkBase64(seg: Buffer): void {
    // The common case, a segment of Base64 and line breaks before any padding, is checked by the regular
    // expression engine over the bytes as latin1 (one character per byte), which runs as native code: a
    // loop over the bytes in JavaScript made the check of a 1 GiB attachment cost seconds, and many times
    // that under coverage's block counters. Padding, a stray byte or an ordinary text take the loop below.
    if (this.runPad === 0) {
      const s = seg.toString('latin1')
      if (!NOT_BASE64_DATA.test(s)) {
        this.runChars += s.replace(WHITESPACE_RUNS, '').length
        return
      }
    }
    for (let k = 0; k < seg.length; k++) {
      const c = seg[k]!
      if (WS[c]) continue
      if (B64[c] && this.runPad === 0) {
        this.runChars++
        continue
      }
      if (c === EQ && this.runPad < 2) {
        this.runPad++
        this.runChars++
        continue
      }
      // not Base64 (or a character after the padding)
      if (this.runEliding) {
        throw new GatewayError('EDXML_SCHEMA_INVALID', `ContentTransferEncoded is not Base64 (byte ${this.pos + k} of the package)`, {
          errors: [{ path: ELIDABLE_ELEMENT, message: 'not valid xs:base64Binary' }],
        })
      }
      if (!this.runBad) {
        // an ordinary (short or odd) text: give back what was kept and copy the rest as it comes
        this.runBad = true
        for (const ch of this.runChunks) this.emit(ch)
        this.runChunks = []
      }
      return
    }
  }

  private endRun(): void {
    if (this.runLen === 0) return
    if (this.runEliding) {
      if (this.runChars % 4 !== 0) {
        throw new GatewayError('EDXML_SCHEMA_INVALID', `ContentTransferEncoded is not Base64 (${this.runChars} characters, not a multiple of 4)`, {
          errors: [{ path: ELIDABLE_ELEMENT, message: 'not valid xs:base64Binary' }],
        })
      }
      const marker = markerOf(this.nonce, this.runs.length)
      this.runs.push({
        marker,
        offset: this.runStart,
        length: this.runLen,
        sha256: this.runHash!.digest('hex'),
        decodedSize: (this.runChars / 4) * 3 - this.runPad,
      })
      this.emit(Buffer.from(marker, 'latin1'))
    } else if (!this.runBad) {
      for (const c of this.runChunks) this.emit(c)
    }
    this.runChunks = []
    this.runLen = 0
    this.runEliding = false
    this.runHash = null
    this.runChars = 0
    this.runPad = 0
    this.runBad = false
  }

  // ── markup ──

  private pushTok(b: number): void {
    if (this.tokLen === this.tok.length) {
      if (this.outSize + this.tokLen > this.maxSkeleton) this.emit(this.tok) // throws PAYLOAD_TOO_LARGE
      const t = Buffer.alloc(this.tok.length * 2)
      this.tok.copy(t)
      this.tok = t
    }
    this.tok[this.tokLen++] = b
  }

  private startsWith(s: string): boolean {
    if (this.tokLen < s.length) return false
    for (let k = 0; k < s.length; k++) if (this.tok[k] !== s.charCodeAt(k)) return false
    return true
  }

  private endsWith(s: string, min: number): boolean {
    if (this.tokLen < min) return false
    for (let k = 0; k < s.length; k++) if (this.tok[this.tokLen - s.length + k] !== s.charCodeAt(k)) return false
    return true
  }

  /** Is the markup token complete after byte `b`? */
  private markupDone(b: number): boolean {
    if (this.tokLen < 2) return false
    const second = this.tok[1]
    if (second === BANG) {
      if (this.startsWith('<!--')) return this.endsWith('-->', 7)
      if (this.startsWith('<![CDATA[')) return this.endsWith(']]>', 12)
      const head = this.tok.subarray(0, this.tokLen).toString('latin1')
      if ('<!--'.startsWith(head) || '<![CDATA['.startsWith(head)) return false
      // DOCTYPE, ENTITY and the like: refused by the XML gate anyway; here before a byte more is read
      throw new GatewayError('XML_FORBIDDEN_CONSTRUCT', 'DOCTYPE or entity declarations are not allowed')
    }
    if (second === QMARK) return this.endsWith('?>', 4)
    // a start or end tag: '>' outside an attribute value ends it
    if (this.quote) {
      if (b === this.quote) this.quote = 0
      return false
    }
    if (b === QUOT || b === APOS) {
      this.quote = b
      return false
    }
    return b === GT
  }

  private markup(): void {
    const t = this.tok.subarray(0, this.tokLen)
    const second = t[1]
    if (second !== BANG && second !== QMARK) {
      if (second === SLASH) this.stack.pop()
      else {
        const m = /^<([^\s/>]+)/.exec(t.subarray(0, Math.min(t.length, 512)).toString('latin1'))
        const selfClosing = t[t.length - 2] === SLASH
        if (m && !selfClosing) {
          const q = m[1]!
          this.stack.push(q.slice(q.indexOf(':') + 1))
          if (this.stack.length > this.maxDepth) throw new GatewayError('XML_TOO_DEEP', `nesting deeper than ${this.maxDepth}`)
        }
      }
    }
    this.emit(t)
  }
}

/** The skeleton of a package held in memory (tests, and the CLI's signer). */
export function skeletonOf(bytes: Buffer, o: ScannerOptions): Skeleton {
  const s = new SkeletonScanner(o)
  s.write(bytes)
  return s.end()
}
