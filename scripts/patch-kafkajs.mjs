#!/usr/bin/env node
// Runs after every `npm ci` / `npm install` (package.json "postinstall"): replaces files of kafkajs with the
// corrected copies in scripts/patches/ (why: the comment at the top of each). kafkajs is unmaintained since
// 2023, so 2.2.4 is the version these apply to; any other file content is refused loudly rather than
// overwritten, and the gateway refuses to start on an unpatched kafkajs (assertKafkajsPatched in
// src/bus/kafka.ts), so `npm ci --ignore-scripts` cannot ship the bugs silently.
import { createHash } from 'node:crypto'
import { readFileSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const PATCHES = [
  {
    file: 'kafkajs/src/producer/sendMessages.js',
    /** sha256 of kafkajs 2.2.4's own file */
    original: '8a120e6993955e040a13014cccebd79b8d41e7355d6eda1065fa83fea2fbbcdb',
    patch: 'scripts/patches/kafkajs-2.2.4-sendMessages.js',
    says: 'producer retries now resend every unacknowledged partition',
  },
  {
    file: 'kafkajs/src/network/requestQueue/index.js',
    original: 'b55986089c14f8f7bfc377922e2e65b3e4c1e7c7af2752d3b10a75dfe9e9260c',
    patch: 'scripts/patches/kafkajs-2.2.4-requestQueue.js',
    says: 'an idle connection no longer wakes the event loop every millisecond',
  },
]
const require = createRequire(path.join(ROOT, 'package.json'))
const sha = (b) => createHash('sha256').update(b).digest('hex')

for (const p of PATCHES) {
  let target
  try {
    target = require.resolve(p.file)
  } catch {
    process.exit(0) // kafkajs not installed (yet): nothing to patch
  }
  const patched = readFileSync(path.join(ROOT, p.patch))
  const current = readFileSync(target)
  if (sha(current) === sha(patched)) continue
  if (sha(current) !== p.original) {
    console.error(`patch-kafkajs: ${target} is not kafkajs 2.2.4's own file (sha256 ${sha(current)}); refusing to patch it. See scripts/patches/.`)
    process.exit(1)
  }
  writeFileSync(target, patched)
  console.log(`patch-kafkajs: ${p.says} (${p.patch})`)
}
