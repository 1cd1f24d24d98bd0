/**
 * The safety gate run on raw bytes BEFORE any XML parser sees them.
 *
 * One linear pass, no recursion, no regular expressions over the whole body:
 *  - size above `limits.maxBytes`                     → PAYLOAD_TOO_LARGE
 *  - a non-UTF-8 encoding (UTF-16 BOM, encoding="…")  → XML_FORBIDDEN_CONSTRUCT (the byte scan could be evaded)
 *  - `<!DOCTYPE`, `<!ENTITY` or any other `<!…` declaration outside comments/CDATA → XML_FORBIDDEN_CONSTRUCT
 *  - element nesting deeper than `limits.maxDepth`    → XML_TOO_DEEP
 *  - obviously broken markup found by the scan (unterminated tag, comment, CDATA; more end tags than start tags)
 *                                                      → XML_MALFORMED
 * Everything else about well-formedness is left to libxml2.
 */
import { GatewayError } from '../errors.ts'

export interface Limits {
  /** Largest accepted body, in bytes. */
  maxBytes: number
  /** Deepest accepted element nesting (the root element is depth 1). */
  maxDepth: number
}

/** 50 MiB (the samples with one attachment are ~370 KB) and depth 64 (edXML needs about 8). */
export const DEFAULT_LIMITS: Limits = Object.freeze({ maxBytes: 50 * 1024 * 1024, maxDepth: 64 })

const LT = 0x3c,
  GT = 0x3e,
  SLASH = 0x2f,
  BANG = 0x21,
  QMARK = 0x3f,
  DQ = 0x22,
  SQ = 0x27,
  LF = 0x0a

const DOCTYPE = Buffer.from('<!DOCTYPE')
const ENTITY = Buffer.from('<!ENTITY')
const COMMENT_OPEN = Buffer.from('<!--')
const COMMENT_CLOSE = Buffer.from('-->')
const CDATA_OPEN = Buffer.from('<![CDATA[')
const CDATA_CLOSE = Buffer.from(']]>')
const PI_CLOSE = Buffer.from('?>')

function lineAt(bytes: Buffer, pos: number): number {
  let line = 1
  let i = bytes.indexOf(LF, 0)
  while (i !== -1 && i < pos) {
    line++
    i = bytes.indexOf(LF, i + 1)
  }
  return line
}

function startsWithAt(bytes: Buffer, pos: number, what: Buffer): boolean {
  if (pos + what.length > bytes.length) return false
  return bytes.compare(what, 0, what.length, pos, pos + what.length) === 0
}

function malformed(bytes: Buffer, pos: number, message: string): GatewayError {
  const line = lineAt(bytes, pos)
  return new GatewayError('XML_MALFORMED', `${message} (line ${line})`, { errors: [{ line, message }] })
}

function forbidden(bytes: Buffer, pos: number, message: string): GatewayError {
  const line = lineAt(bytes, pos)
  return new GatewayError('XML_FORBIDDEN_CONSTRUCT', `${message} (line ${line})`, { errors: [{ line, message }] })
}

function checkEncoding(bytes: Buffer): void {
  if (bytes.length >= 2 && ((bytes[0] === 0xfe && bytes[1] === 0xff) || (bytes[0] === 0xff && bytes[1] === 0xfe))) {
    throw forbidden(bytes, 0, 'UTF-16 input is refused; send UTF-8')
  }
  if (bytes.length >= 4 && bytes[0] === 0 && bytes[1] === 0x3c) throw forbidden(bytes, 0, 'UTF-16 input is refused; send UTF-8')
  if (bytes.length >= 4 && bytes[0] === 0x3c && bytes[1] === 0) throw forbidden(bytes, 0, 'UTF-16 input is refused; send UTF-8')
  // XML declaration: <?xml version="1.0" encoding="…"?> — only UTF-8 (or its ASCII subset) is accepted.
  let start = 0
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) start = 3
  if (startsWithAt(bytes, start, Buffer.from('<?xml'))) {
    const end = bytes.indexOf(PI_CLOSE, start)
    if (end === -1) throw malformed(bytes, start, 'unterminated XML declaration')
    const decl = bytes.subarray(start, end).toString('latin1')
    const m = /encoding\s*=\s*["']([^"']*)["']/.exec(decl)
    if (m && !/^(utf-?8|us-ascii|ascii)$/i.test(m[1] ?? '')) {
      throw forbidden(bytes, start, `encoding "${m[1]}" is refused; send UTF-8`)
    }
  }
}

/** Throws a GatewayError when the bytes must not be handed to an XML parser. Linear time. */
export function checkSafety(bytes: Buffer, limits: Limits = DEFAULT_LIMITS): void {
  if (bytes.length > limits.maxBytes) {
    throw new GatewayError('PAYLOAD_TOO_LARGE', `The body has ${bytes.length} bytes; the limit is ${limits.maxBytes}`, {
      extra: { size: bytes.length, limit: limits.maxBytes },
    })
  }
  if (bytes.length === 0) throw new GatewayError('XML_MALFORMED', 'The body is empty', { errors: [{ line: 1, message: 'empty document' }] })
  checkEncoding(bytes)
  // Belt and braces: these never belong in an exchange document, wherever they are.
  const dt = bytes.indexOf(DOCTYPE)
  if (dt !== -1) throw forbidden(bytes, dt, 'DOCTYPE declarations are refused')
  const en = bytes.indexOf(ENTITY)
  if (en !== -1) throw forbidden(bytes, en, 'ENTITY declarations are refused')

  const n = bytes.length
  let depth = 0
  let sawRoot = false
  let i = bytes.indexOf(LT, 0)
  while (i !== -1 && i < n) {
    const c = bytes[i + 1]
    if (c === QMARK) {
      const e = bytes.indexOf(PI_CLOSE, i + 2)
      if (e === -1) throw malformed(bytes, i, 'unterminated processing instruction')
      i = bytes.indexOf(LT, e + 2)
      continue
    }
    if (c === BANG) {
      if (startsWithAt(bytes, i, COMMENT_OPEN)) {
        const e = bytes.indexOf(COMMENT_CLOSE, i + 4)
        if (e === -1) throw malformed(bytes, i, 'unterminated comment')
        i = bytes.indexOf(LT, e + 3)
        continue
      }
      if (startsWithAt(bytes, i, CDATA_OPEN)) {
        if (depth === 0) throw malformed(bytes, i, 'CDATA outside the root element')
        const e = bytes.indexOf(CDATA_CLOSE, i + 9)
        if (e === -1) throw malformed(bytes, i, 'unterminated CDATA section')
        i = bytes.indexOf(LT, e + 3)
        continue
      }
      throw forbidden(bytes, i, 'markup declarations (<!…) are refused')
    }
    if (c === SLASH) {
      const e = bytes.indexOf(GT, i + 2)
      if (e === -1) throw malformed(bytes, i, 'unterminated end tag')
      depth--
      if (depth < 0) throw malformed(bytes, i, 'end tag without a start tag')
      i = bytes.indexOf(LT, e + 1)
      continue
    }
    if (c === undefined) throw malformed(bytes, i, 'document ends inside a tag')
    // start tag: find its '>' while skipping quoted attribute values (which may contain '>')
    let j = i + 1
    let end = -1
    while (j < n) {
      const b = bytes[j]
      if (b === DQ || b === SQ) {
        const q = bytes.indexOf(b, j + 1)
        if (q === -1) throw malformed(bytes, i, 'unterminated attribute value')
        j = q + 1
        continue
      }
      if (b === GT) {
        end = j
        break
      }
      if (b === LT) throw malformed(bytes, j, "'<' inside a tag")
      j++
    }
    if (end === -1) throw malformed(bytes, i, 'unterminated start tag')
    if (bytes[end - 1] !== SLASH) {
      if (depth === 0 && sawRoot) throw malformed(bytes, i, 'content after the root element')
      depth++
      sawRoot = true
      if (depth > limits.maxDepth) {
        const line = lineAt(bytes, i)
        throw new GatewayError('XML_TOO_DEEP', `Element nesting exceeds ${limits.maxDepth} levels (line ${line})`, {
          errors: [{ line, message: `nesting deeper than ${limits.maxDepth}` }],
          extra: { limit: limits.maxDepth },
        })
      }
    } else {
      sawRoot = true
    }
    i = bytes.indexOf(LT, end + 1)
  }
  if (!sawRoot) throw malformed(bytes, 0, 'no root element')
  if (depth !== 0) throw malformed(bytes, n - 1, 'unclosed element(s) at end of document')
}
