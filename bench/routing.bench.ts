/**
 * Routing benchmark on a synthetic national directory (~111,000 agencies).
 *   node bench/routing.bench.ts            (add --expose-gc for steadier heap figures)
 *
 * Shape: 25 ministries (G01..G25) × (1 + 40 level-2 + 120 level-3) and 63 provinces (H01..H63) ×
 * (1 + 25 Sở with 14 units each + 14 districts with 14 phòng and 80 communes each) = 111,503 agencies,
 * as a headerless TSV with no tier column, so every tier comes from tier-rules.ts.
 * Times: import (TSV parse + validation + tier inference), snapshot build, planRoute per document,
 * search; heap used after each stage.
 */
import { performance } from 'node:perf_hooks'
import { importDirectory } from '../src/routing/directory-import.ts'
import { DirectorySnapshot } from '../src/routing/directory-snapshot.ts'
import { planRoute, type GatewayIdentity, type RoutableDocument } from '../src/routing/route-planner.ts'

const pad = (n: number, w: number): string => String(n).padStart(w, '0')
const code = (ccc: number, bb: number, aa: number, xnn: string): string => `${pad(ccc, 3)}.${pad(bb, 2)}.${pad(aa, 2)}.${xnn}`

function generateTsv(): { tsv: string; count: number } {
  const lines: string[] = []
  for (let g = 1; g <= 25; g++) {
    const x = `G${pad(g, 2)}`
    lines.push(`${code(0, 0, 0, x)}\tBộ số ${g}`)
    for (let aa = 1; aa <= 40; aa++) {
      lines.push(`${code(0, 0, aa, x)}\tCục/Vụ ${aa} - Bộ số ${g}`)
      for (let bb = 1; bb <= 3; bb++) lines.push(`${code(0, bb, aa, x)}\tTrung tâm ${bb} - Cục ${aa} - Bộ số ${g}`)
    }
  }
  for (let h = 1; h <= 63; h++) {
    const x = `H${pad(h, 2)}`
    lines.push(`${code(0, 0, 0, x)}\tUBND Tỉnh số ${h}`)
    for (let aa = 1; aa <= 25; aa++) {
      lines.push(`${code(0, 0, aa, x)}\tSở ${aa} tỉnh số ${h}`)
      for (let bb = 1; bb <= 14; bb++) lines.push(`${code(0, bb, aa, x)}\tChi cục ${bb} - Sở ${aa} tỉnh số ${h}`)
    }
    for (let aa = 30; aa < 44; aa++) {
      lines.push(`${code(0, 0, aa, x)}\tUBND huyện ${aa} tỉnh số ${h}`)
      for (let bb = 1; bb <= 14; bb++) lines.push(`${code(0, bb, aa, x)}\tPhòng ${bb} huyện ${aa} tỉnh số ${h}`)
      for (let bb = 20; bb < 100; bb++) lines.push(`${code(0, bb, aa, x)}\tUBND Xã ${bb} huyện ${aa} tỉnh số ${h}`)
    }
  }
  return { tsv: lines.join('\n') + '\n', count: lines.length }
}

const gc = (globalThis as { gc?: () => void }).gc
const heapMB = (): string => {
  gc?.()
  return (process.memoryUsage().heapUsed / 1048576).toFixed(1)
}
const ms = (x: number): string => x.toFixed(1)

/** wall-clock median/min and the median CPU time of this process (user+system: robust on a busy machine) */
function timeIt<T>(fn: () => T, runs: number): { result: T; median: number; min: number; cpu: number } {
  const times: number[] = []
  const cpus: number[] = []
  let result!: T
  for (let i = 0; i < runs; i++) {
    const c0 = process.cpuUsage()
    const t0 = performance.now()
    result = fn()
    times.push(performance.now() - t0)
    const c = process.cpuUsage(c0)
    cpus.push((c.user + c.system) / 1000)
  }
  times.sort((a, b) => a - b)
  cpus.sort((a, b) => a - b)
  return { result, median: times[Math.floor(times.length / 2)], min: times[0], cpu: cpus[Math.floor(cpus.length / 2)] }
}

function opsPerSec(fn: () => unknown, budgetMs = 1000): number {
  for (let i = 0; i < 2000; i++) fn() // warm-up
  let n = 0
  const t0 = performance.now()
  let el = 0
  while (el < budgetMs) {
    for (let i = 0; i < 500; i++) fn()
    n += 500
    el = performance.now() - t0
  }
  return (n / el) * 1000
}

console.log(
  `node ${process.version} ${process.platform}/${process.arch}, ${(await import('node:os')).cpus().length} cpus, load avg ${(await import('node:os'))
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}${gc ? ' (gc exposed)' : ''}`,
)
console.log(`heap at start: ${heapMB()} MB`)

const g = timeIt(generateTsv, 1)
console.log(`generated ${g.result.count} agencies, ${(g.result.tsv.length / 1048576).toFixed(1)} MB of TSV in ${ms(g.median)} ms`)

const imp = timeIt(() => importDirectory(g.result.tsv, { format: 'tsv' }), 3)
const r = imp.result
console.log(
  `import (parse + validate + tier rules): median ${ms(imp.median)} ms, min ${ms(imp.min)} ms, cpu ${ms(imp.cpu)} ms (3 runs) → ${r.agencies.length} agencies, ${r.errors.length} errors, ${r.warnings.length} warnings`,
)
console.log(`  tiers: ${JSON.stringify(r.byTier)}  sources: ${JSON.stringify(r.bySource)}`)
console.log(`heap after import: ${heapMB()} MB`)

const b = timeIt(() => DirectorySnapshot.build(r.agencies), 5)
const snap = b.result
console.log(`snapshot build: median ${ms(b.median)} ms, min ${ms(b.min)} ms, cpu ${ms(b.cpu)} ms (5 runs), size ${snap.size}`)
const heapSnap = heapMB()
console.log(`heap with the agencies + one snapshot: ${heapSnap} MB`)

const central: GatewayIdentity = { jurisdiction: ['*'], parentGateway: null }
const province: GatewayIdentity = { jurisdiction: ['*.H41'], parentGateway: 'https://central.example/' }
const docs: [string, GatewayIdentity, RoutableDocument][] = [
  ['1 recipient (commune)', province, { from: '000.00.00.G22', to: ['000.45.31.H41'] }],
  [
    '5 recipients: ministry, province, district, commune, unknown-outside',
    province,
    {
      from: '000.00.00.G22',
      to: ['000.00.00.G14', '000.00.00.H41', '000.00.31.H41', '000.45.31.H41', '000.99.99.H99'],
    },
  ],
  [
    '5 recipients with 2 duplicates + 1 malformed',
    province,
    {
      from: '000.00.00.G22',
      to: ['000.00.00.G14', '000.00.00.G14', '000.00.31.H41', '000.00.31.H41', '000.1137.H53'],
    },
  ],
  [
    '80 recipients (every commune of a district)',
    central,
    {
      from: '000.00.31.H41',
      to: Array.from({ length: 80 }, (_, i) => code(0, 20 + i, 31, 'H41')),
    },
  ],
  [
    '63 recipients (every UBND tỉnh, central gateway)',
    central,
    {
      from: '000.00.00.G22',
      to: Array.from({ length: 63 }, (_, i) => code(0, 0, 0, `H${pad(i + 1, 2)}`)),
    },
  ],
]
for (const [label, self, doc] of docs) {
  const plan = planRoute(snap, self, doc)
  const ops = opsPerSec(() => planRoute(snap, self, doc))
  const perRecipient = (ops * new Set(doc.to).size).toFixed(0)
  console.log(`planRoute ${label}: ${ops.toFixed(0)} docs/s (${perRecipient} recipients/s), plan ${plan.length} steps [${[...new Set(plan.map((s) => s.action))].join(',')}]`)
}

// the 2025 map (succession.ts): every even-numbered UBND tỉnh closed into the odd one before it, so half the
// recipients of the 63-province fan-out are redirected (and pairs collapse into one leg)
{
  const prov = /^000\.00\.00\.H(\d\d)$/
  const merged = DirectorySnapshot.build(
    r.agencies.map((a) => {
      const m = prov.exec(a.organId)
      const n = m ? Number(m[1]) : 1
      return n % 2 === 0 ? { ...a, closed: { on: '2025-07-01', successors: [code(0, 0, 0, `H${pad(n - 1, 2)}`)] } } : a
    }),
  )
  // in reverse order, so each closed code comes before its successor and carries the redirection
  const doc: RoutableDocument = { from: '000.00.00.G22', to: Array.from({ length: 63 }, (_, i) => code(0, 0, 0, `H${pad(63 - i, 2)}`)), at: '2026-01-01T00:00:00Z' }
  const plan = planRoute(merged, central, doc)
  const ops = opsPerSec(() => planRoute(merged, central, doc))
  console.log(
    `planRoute 63 recipients, 31 closed and redirected: ${ops.toFixed(0)} docs/s, plan ${plan.length} steps (${plan.filter((x) => x.action !== 'refuse' && x.redirect).length} redirected)`,
  )
}

const s1 = timeIt(() => snap.search('ubnd xa 45 huyen 31 tinh so 41'), 1)
const s2 = timeIt(() => snap.search('ubnd xa 45 huyen 31 tinh so 41'), 9)
const s3 = timeIt(() => snap.search('so 7', { limit: 20 }), 9)
console.log(
  `search: first call (builds folded index) ${ms(s1.median)} ms; then median ${ms(s2.median)} ms (${s2.result.length} hits); broad query "so 7" median ${ms(s3.median)} ms`,
)
const c = opsPerSec(() => snap.children('000.00.31.H41'))
console.log(`children(district) ${c.toFixed(0)} ops/s (${snap.children('000.00.31.H41').length} children); get() ${opsPerSec(() => snap.get('000.45.31.H41')).toFixed(0)} ops/s`)
console.log(`heap at end (agencies + snapshot + search index): ${heapMB()} MB`)

// persistence: the same 111k agencies written to the embedded database (PGlite, what `npm start` uses)
// with the bulk upsert the directory import API uses, then read back into a snapshot (a gateway start)
{
  const fsx = await import('node:fs')
  const osx = await import('node:os')
  const pathx = await import('node:path')
  const { openDb } = await import('../src/store/db.ts')
  const { migrate } = await import('../src/store/migrate.ts')
  const { upsertAgenciesBulk, listAgencies } = await import('../src/store/directory-repo.ts')
  const dir = fsx.mkdtempSync(pathx.join(osx.tmpdir(), 'lgsp-bench-pglite-'))
  const db = await openDb({ url: '', schema: 'public', dataDir: dir })
  try {
    await migrate(db)
    const t0 = performance.now()
    await db.tx((q) => upsertAgenciesBulk(q, r.agencies))
    const write = performance.now() - t0
    const t1 = performance.now()
    const loaded = DirectorySnapshot.build(await listAgencies(db))
    const read = performance.now() - t1
    console.log(`PGlite: bulk upsert of ${r.agencies.length} agencies ${ms(write)} ms; load + snapshot at start-up ${ms(read)} ms (${loaded.size} agencies)`)
  } finally {
    await db.close()
    fsx.rmSync(dir, { recursive: true, force: true })
  }
}
