/**
 * The serial lane: the files of test/serial, one after another, in one of tap's job slots while the other
 * slots run the rest of the suite. They start and kill whole processes and brokers (npm start's lifecycle,
 * the chaos cluster, the night-shift console's broker) or time the gateway's own retry schedule, so two of
 * them at once would disturb each other; beside ordinary test files they are fine. tap's own `serial`
 * option would run them after everything else, alone, with a core idle most of the time.
 *
 * Named with a leading underscore so that tap, which orders files by path, starts it first: the lane is
 * the longest single thread of the suite. The longest file in it runs first for the same reason.
 * `npm test -- test/serial/<file>` runs one of them directly.
 */
import t from 'tap'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'serial')
const FIRST = ['chaos-short.test.ts', 'lifecycle.test.ts']
/** FIRST in its order, then the rest by name */
const rank = (f: string) => {
  const i = FIRST.indexOf(f)
  return i < 0 ? FIRST.length : i
}
const files = fs
  .readdirSync(DIR)
  .filter((f) => f.endsWith('.test.ts'))
  .sort((a, b) => rank(a) - rank(b) || a.localeCompare(b))
// each file bounds itself (tap's TAP_TIMEOUT, or its own t.setTimeout: the chaos run allows 20 min on a
// loaded machine); the lane bounds each child a little above the longest of those, so a child that never
// exits cannot hold the suite
const CHILD_LIMIT_MS = 1_300_000
t.setTimeout(0)
for (const f of files) await t.spawn(process.execPath, [...process.execArgv, path.join(DIR, f)], { timeout: CHILD_LIMIT_MS, cwd: path.resolve(DIR, '../..') }, `test/serial/${f}`)
