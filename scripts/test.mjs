#!/usr/bin/env node
// `npm test`: everything the suite needs, then the suite. Starts a dedicated Kafka broker (own data dir
// and ports, so a running `npm start` is untouched) unless KAFKA_BROKERS is set, checks PostgreSQL,
// installs the Debian tools the interop tests use (xmllint, xmlsec1), typechecks, runs tap. Lints and checks
// the formatting first (oxlint and oxfmt, the same commands as `npm run lint` and `npm run format:check`),
// before any of that, so a finding fails fast.
// Extra arguments go to tap, e.g. `npm test -- test/unit/routing-*.test.ts`.
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { ROOT, ensureKafka, ensurePostgres, ensureSystemDeps, say, stopKafka } from './lib.mjs'

const TEST_KAFKA = {
  KAFKA_DATA_DIR: process.env.TEST_KAFKA_DATA_DIR ?? path.join(ROOT, '.data/kafka-test'),
  KAFKA_PORT: process.env.TEST_KAFKA_PORT ?? '19092',
  KAFKA_CONTROLLER_PORT: process.env.TEST_KAFKA_CONTROLLER_PORT ?? '19093',
}
/**
 * The coverage floors of the whole suite, in %, given to tap (which fails the run below any of them): a little
 * under what the suite reaches (statements and lines 96.7, functions 97.1, branches 84.3), so code added
 * without tests pulls a figure down and fails the run, while a run's timing-dependent paths do not.
 * Branches sit lowest: their figure moves most with timing-dependent retries and fault paths.
 */
const COVERAGE_FLOORS = { statements: 95, lines: 95, functions: 95, branches: 82 }
const databaseUrl = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test'
// Every JVM of the suite (its own broker, the brokers of `npm start` and of the console test, the chaos
// run's 3-broker cluster, S3Proxy) compiles with C1 only: a JVM that lives a few minutes spends more CPU in
// C2's compiler threads than C2's code gives back, and on 2 cores that CPU is taken from the tests
// (measured on the chaos run: load 11 → 6, and 158 s → 134 s although the second run's outages were twice
// as long; the suite's own broker used 74 CPU-s in a run with C2 and 45 with C1 only). A deployment's
// brokers keep the default tiered compilation: they live for months.
const JVM_QUICK = '-XX:TieredStopAtLevel=1'
const jvmEnv = {
  KAFKA_JVM_EXTRA_OPTS: process.env.KAFKA_JVM_EXTRA_OPTS ?? JVM_QUICK,
  S3PROXY_JVM_EXTRA_OPTS: process.env.S3PROXY_JVM_EXTRA_OPTS ?? JVM_QUICK,
}

let kafka
let code = 1
try {
  say('linting (oxlint) …')
  const lint = spawnSync(
    process.execPath,
    [path.join(ROOT, 'node_modules/oxlint/bin/oxlint'), '--deny-warnings', '-c', '.oxlintrc.json', 'src', 'test', 'bench', 'scripts', 'bin'],
    { stdio: 'inherit', cwd: ROOT },
  )
  if (lint.status !== 0) throw new Error(`lint failed (exit ${lint.status ?? lint.signal ?? lint.error?.message}): see the findings above, or run \`npm run lint\``)
  say('checking the formatting (oxfmt) …')
  const fmt = spawnSync(
    process.execPath,
    [path.join(ROOT, 'node_modules/oxfmt/bin/oxfmt'), '-c', '.oxfmtrc.json', '--check', 'src', 'test', 'bench', 'scripts', 'bin', 'console', 'deploy'],
    { stdio: 'inherit', cwd: ROOT },
  )
  if (fmt.status !== 0) throw new Error(`formatting check failed (exit ${fmt.status ?? fmt.signal ?? fmt.error?.message}): \`npm run format\` rewrites the files listed above`)
  // tsc takes one core for ≈ 10 s: it runs while the Debian packages are checked and the broker starts
  say('typechecking (tsc --noEmit) …')
  const tsc = spawn(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '--noEmit', '-p', ROOT], { stdio: 'inherit', cwd: ROOT })
  const typechecked = new Promise((resolve) => tsc.on('close', (status) => resolve(status)))
  ensureSystemDeps()
  await ensurePostgres(databaseUrl)
  kafka = ensureKafka({ ...TEST_KAFKA, KAFKA_JVM_EXTRA_OPTS: jvmEnv.KAFKA_JVM_EXTRA_OPTS })
  if ((await typechecked) !== 0) throw new Error('typecheck failed')
  const args = process.argv.slice(2)
  // the serial lane first: tap starts files in this order, and the lane is the suite's longest thread
  // (test/_serial-lane.test.ts runs the files of test/serial one after another beside the rest)
  const files = args.length ? args : ['test/_serial-lane.test.ts', 'test/faults', 'test/integration', 'test/unit']
  // the whole suite measures coverage (V8's own, through tap; child gateways included) and fails below
  // COVERAGE_FLOORS; a run of chosen files does not measure it (COVERAGE=1 does, against the same floors)
  const coverage = !args.length || process.env.COVERAGE === '1'
  const coverageArgs = coverage
    ? ['--no-disable-coverage', '--coverage-report=json-summary', '--coverage-report=text-summary', ...Object.entries(COVERAGE_FLOORS).map(([k, v]) => `--${k}=${v}`)]
    : []
  say(`running tap on ${files.join(' ')}${coverage ? ' (with coverage)' : ''}`)
  const tap = spawnSync(process.execPath, [path.join(ROOT, 'node_modules/tap/dist/esm/run.mjs'), ...coverageArgs, ...files], {
    stdio: 'inherit',
    cwd: ROOT,
    // the test files run on Node's own type stripping (TAP_TYPE_STRIP_ONLY: tap loads no ts-node): about 2 s
    // less per test file, which is its own process. Stripping only erases types (tsconfig's
    // erasableSyntaxOnly and verbatimModuleSyntax keep the tree to what it can run), so every line stays
    // where it is in the file and V8's coverage maps onto the sources without source maps; the types are
    // checked once, by tsc above
    env: {
      ...process.env,
      ...jvmEnv,
      // every Node process of the suite (test files, child gateways, `npm start`'s, lgsp) gets a larger young
      // generation: signing, XML and payload buffers allocate fast, and with V8's default semi-space most of
      // it is scavenged and promoted over and over. Measured on four integration files run one at a time:
      // 32 → 26 CPU-s (five runs each), 49 → 41 s
      NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --max-semi-space-size=32`.trim(),
      KAFKA_BROKERS: kafka.brokers,
      TEST_DATABASE_URL: databaseUrl,
      TAP_TYPE_STRIP_ONLY: process.env.TAP_TYPE_STRIP_ONLY ?? '1',
    },
  })
  code = tap.status ?? 1
  const summaryFile = path.join(ROOT, '.tap/report/coverage-summary.json')
  if (coverage && existsSync(summaryFile)) {
    const total = JSON.parse(readFileSync(summaryFile, 'utf8')).total
    const figures = Object.entries(COVERAGE_FLOORS).map(([k, floor]) => ({ k, pct: total[k].pct, floor }))
    say(`coverage: ${figures.map((f) => `${f.k} ${f.pct}% (floor ${f.floor}%)`).join(', ')}`)
    const below = figures.filter((f) => f.pct < f.floor)
    if (below.length) throw new Error(`coverage below its floor: ${below.map((f) => `${f.k} ${f.pct}% < ${f.floor}%`).join(', ')} — test what was added`)
  }
} catch (e) {
  say(`test run failed: ${e.message}`)
} finally {
  if (kafka?.started && !process.env.KEEP_KAFKA) stopKafka(TEST_KAFKA)
}
process.exit(code)
