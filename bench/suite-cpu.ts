/**
 * Where a command's CPU goes, machine-wide (run: node bench/suite-cpu.ts [-- command …]; default `npm test`).
 * Runs the command and, every 0.5 s until it ends, reads every process of the machine from /proc (Linux):
 * each process's CPU time (utime + stime) as last seen, grouped by what it is — the Kafka brokers, S3Proxy,
 * PostgreSQL's sessions, Chromium, child gateways, each test file's own process, npm, tsc — so that the
 * brokers and servers a suite starts, which no test runner counts, are in the sum. Processes that were
 * running before the command started are counted from their CPU time at the start (the machine's other
 * services show up as such, not as the suite's). A process that lives less than 0.5 s can be missed, so the
 * total is a floor. Prints a table, then `RESULT wall_s=… cpu_s=… busy_pct=… kafka_cpu_s=… tests_cpu_s=…`.
 */
import { spawn } from 'node:child_process'
import { readFileSync, readdirSync } from 'node:fs'
import { availableParallelism } from 'node:os'

const HZ = 100 // USER_HZ, the unit of /proc/<pid>/stat's times on Linux
const args = process.argv.indexOf('--') >= 0 ? process.argv.slice(process.argv.indexOf('--') + 1) : ['npm', 'test']

/** what a process is, from its command line; '' = a kernel thread or a process gone before it was read */
function classify(cmdline: string): string {
  if (cmdline.includes('kafka.Kafka')) {
    // which broker, by its data directory (the folder of its server.properties), without a temp folder's
    // random suffix: the suite's own (kafka-test), the chaos cluster's (broker-1..3), npm start's (kafka)
    const dir = /(\S+)\/server\.properties/.exec(cmdline)?.[1]?.split('/') ?? []
    const name = dir
      .slice(-2)
      .join('/')
      .replace(/(lgsp-[a-z-]+?)-?[A-Za-z0-9]{6,}(?=\/|$)/g, '$1')
    return `kafka broker ${name}`.trim()
  }
  if (/s3proxy/i.test(cmdline)) return 's3proxy'
  if (/\bjava\b/.test(cmdline)) return 'other JVM (kafka tools)'
  if (cmdline.startsWith('postgres')) return 'postgresql'
  if (/chrom/i.test(cmdline)) return 'chromium'
  if (cmdline.includes('tap/dist/esm/run')) return 'tap runner'
  if (cmdline.includes('scripts/test.mjs')) return 'npm test driver'
  if (/(^|\/)npm(-cli\.js)?( |$)|npm-cli\.js/.test(cmdline)) return 'npm'
  const testFile = /(test\/[\w/.-]+\.test\.ts)/.exec(cmdline)
  if (testFile) return testFile[1]!
  if (cmdline.includes('child-gateway.ts')) return 'child gateways'
  if (/src\/main\.ts/.test(cmdline)) return 'npm start gateways'
  if (/src\/cli\//.test(cmdline) || /bin\/lgsp/.test(cmdline)) return 'lgsp CLI'
  if (/typescript\/bin\/tsc/.test(cmdline)) return 'tsc'
  if (/\bnode\b/.test(cmdline)) return 'other node'
  return cmdline.split(' ')[0]!.split('/').pop() || '(kernel threads and unread)'
}

interface Seen {
  cls: string
  cpu: number
  base: number
}

function sample(seen: Map<string, Seen>, baseline: boolean): void {
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      const cpu = (Number(f[11]) + Number(f[12])) / HZ
      const key = `${pid}:${f[19]}` // pid and start time: a reused pid is another process
      const s = seen.get(key)
      if (s) {
        s.cpu = cpu
        continue
      }
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').trim()
      seen.set(key, { cls: baseline ? `(already running) ${classify(cmdline)}` : classify(cmdline), cpu, base: baseline ? cpu : 0 })
    } catch {
      // gone between readdir and read
    }
  }
}

const seen = new Map<string, Seen>()
sample(seen, true)
const t0 = Date.now()
const child = spawn(args[0]!, args.slice(1), { stdio: 'inherit' })
const timer = setInterval(() => sample(seen, false), 500)
const code = await new Promise<number>((resolve) => child.on('exit', (c, sig) => resolve(c ?? (sig ? 1 : 0))))
clearInterval(timer)
sample(seen, false)
const wallS = (Date.now() - t0) / 1000

const by = new Map<string, { cpu: number; n: number }>()
for (const s of seen.values()) {
  const d = s.cpu - s.base
  if (d < 0.05) continue
  const e = by.get(s.cls) ?? { cpu: 0, n: 0 }
  e.cpu += d
  e.n++
  by.set(s.cls, e)
}
const rows = [...by.entries()].sort((a, b) => b[1].cpu - a[1].cpu)
const total = rows.reduce((a, [, e]) => a + e.cpu, 0)
const sum = (p: (k: string) => boolean) => rows.filter(([k]) => p(k)).reduce((a, [, e]) => a + e.cpu, 0)
console.log(`\nsuite-cpu: \`${args.join(' ')}\` exited ${code} after ${wallS.toFixed(0)} s; CPU seconds by process kind (processes):`)
for (const [k, e] of rows.slice(0, 40)) console.log(`${e.cpu.toFixed(1).padStart(9)}  ${String(e.n).padStart(4)}  ${k}`)
if (rows.length > 40)
  console.log(
    `${sum((k) => !rows.slice(0, 40).some(([x]) => x === k))
      .toFixed(1)
      .padStart(9)}        (${rows.length - 40} more kinds)`,
  )
const cores = availableParallelism()
console.log(
  `RESULT wall_s=${wallS.toFixed(0)} cpu_s=${total.toFixed(0)} busy_pct=${((100 * total) / (wallS * cores)).toFixed(0)} kafka_cpu_s=${sum((k) => k.startsWith('kafka broker')).toFixed(0)} tests_cpu_s=${sum((k) => k.startsWith('test/')).toFixed(0)}`,
)
process.exit(code)
