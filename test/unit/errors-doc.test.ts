// The error catalogue (src/errors.ts) and its page (docs/errors.md) must list the same codes, with the
// same HTTP status, and every code must say what it means.
import t from 'tap'
import fs from 'node:fs'
import path from 'node:path'
import { ERRORS } from '../../src/errors.ts'

const page = fs.readFileSync(path.resolve(import.meta.dirname, '../../docs/errors.md'), 'utf8')
const sections = new Map([...page.matchAll(/^## (\w+)\n\n([\s\S]*?)(?=^## |(?![\s\S]))/gm)].map((m) => [m[1], m[2]]))

t.same([...sections.keys()].sort(), Object.keys(ERRORS).sort(), 'the page documents exactly the catalogue codes')
for (const [code, { status }] of Object.entries(ERRORS)) {
  const text = sections.get(code) ?? ''
  t.match(text, new RegExp(`^HTTP ${status}\\.`), `${code}: the page states HTTP ${status}`)
  t.ok(text.replace(/^HTTP \d+\..*\n/, '').trim().length > 20, `${code}: the page explains it`)
}
