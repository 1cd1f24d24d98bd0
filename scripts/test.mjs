#!/usr/bin/env node
// `npm test`: everything the suite needs, then the suite. Starts a dedicated Kafka broker (own data dir
// and ports, so a running `npm start` is untouched) unless KAFKA_BROKERS is set, checks PostgreSQL,
// installs the Debian tools the interop tests use (xmllint, xmlsec1), typechecks, runs tap. Lints first
// (oxlint, .oxlintrc.json; the same command as `npm run lint`), before any of that, so a finding fails fast.
// Extra arguments go to tap, e.g. `npm test -- test/unit/routing-*.test.ts`.
import { spawnSync } from 'node:child_process'
import path from 'node:path'
import { ROOT, ensureKafka, ensurePostgres, ensureSystemDeps, say, stopKafka } from './lib.mjs'

const TEST_KAFKA = { KAFKA_DATA_DIR: path.join(ROOT, '.data/kafka-test'), KAFKA_PORT: process.env.TEST_KAFKA_PORT ?? '19092', KAFKA_CONTROLLER_PORT: process.env.TEST_KAFKA_CONTROLLER_PORT ?? '19093' }
const databaseUrl = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test'

let kafka
let code = 1
try {
  say('linting (oxlint) …')
  const lint = spawnSync(process.execPath, [path.join(ROOT, 'node_modules/oxlint/bin/oxlint'), '--deny-warnings', '-c', '.oxlintrc.json', 'src', 'test', 'bench', 'scripts', 'bin'], { stdio: 'inherit', cwd: ROOT })
  if (lint.status !== 0) throw new Error(`lint failed (exit ${lint.status ?? lint.signal ?? lint.error?.message}): see the findings above, or run \`npm run lint\``)
  ensureSystemDeps()
  await ensurePostgres(databaseUrl)
  kafka = ensureKafka(TEST_KAFKA)
  say('typechecking (tsc --noEmit) …')
  const tsc = spawnSync(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '--noEmit', '-p', ROOT], { stdio: 'inherit', cwd: ROOT })
  if (tsc.status !== 0) throw new Error('typecheck failed')
  const args = process.argv.slice(2)
  const files = args.length ? args : ['test/unit', 'test/integration']
  say(`running tap on ${files.join(' ')}`)
  const tap = spawnSync(process.execPath, [path.join(ROOT, 'node_modules/tap/dist/esm/run.mjs'), ...files], {
    stdio: 'inherit', cwd: ROOT, env: { ...process.env, KAFKA_BROKERS: kafka.brokers, TEST_DATABASE_URL: databaseUrl },
  })
  code = tap.status ?? 1
} catch (e) {
  say(`test run failed: ${e.message}`)
} finally {
  if (kafka?.started && !process.env.KEEP_KAFKA) stopKafka(TEST_KAFKA)
}
process.exit(code)
