#!/usr/bin/env node
// Runs after every `npm ci` / `npm install` (package.json "postinstall"): replaces kafkajs's
// src/producer/sendMessages.js with the corrected copy in scripts/patches/ (why: the comment at its top).
// kafkajs is unmaintained since 2023, so 2.2.4 is the version this applies to; any other file content is
// refused loudly rather than overwritten, and the gateway refuses to start on an unpatched kafkajs
// (src/bus/kafkajs-patch.ts), so `npm ci --ignore-scripts` cannot ship the bug silently.
import { createHash } from 'node:crypto'
import { readFileSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
/** sha256 of kafkajs 2.2.4's own src/producer/sendMessages.js */
const ORIGINAL = '8a120e6993955e040a13014cccebd79b8d41e7355d6eda1065fa83fea2fbbcdb'
const require = createRequire(path.join(ROOT, 'package.json'))

let target
try {
  target = require.resolve('kafkajs/src/producer/sendMessages.js')
} catch {
  process.exit(0) // kafkajs not installed (yet): nothing to patch
}
const patched = readFileSync(path.join(ROOT, 'scripts/patches/kafkajs-2.2.4-sendMessages.js'))
const current = readFileSync(target)
const sha = (b) => createHash('sha256').update(b).digest('hex')
if (sha(current) === sha(patched)) process.exit(0)
if (sha(current) !== ORIGINAL) {
  console.error(`patch-kafkajs: ${target} is not kafkajs 2.2.4's sendMessages.js (sha256 ${sha(current)}); refusing to patch it. See scripts/patches/.`)
  process.exit(1)
}
writeFileSync(target, patched)
console.log('patch-kafkajs: kafkajs producer retries now resend every unacknowledged partition (scripts/patches/kafkajs-2.2.4-sendMessages.js)')
