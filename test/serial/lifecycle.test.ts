/**
 * The gateway's life as an operator sees it, with real processes: `npm start` on its own data directory
 * and its own broker; a second `npm start` on the same data refuses and names the first one's pid; a
 * SIGKILL of the whole `npm start` process group (a dying terminal — the broker runs in its own session
 * and survives) is followed by a start that is ready within 15 s and delivers; with the broker stopped a
 * POST answers 503 BUS_UNAVAILABLE with Retry-After within 5 s and /readyz names Kafka; `npm stop` from
 * elsewhere stops the gateway and the broker.
 */
import t from 'tap'
import { spawnSync, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { ROOT, bound, sleep } from '../helpers/gateway.ts'
import { lgspSignDemo, npmStart, npmStartEnv } from '../helpers/child-gateway.ts'

/** running, not merely a zombie waiting for its reaper (the killed group's orphans are reparented) */
const alive = (pid: number) => {
  try {
    process.kill(pid, 0)
  } catch {
    return false
  }
  try {
    return !/^\d+ \(.*\) Z/.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'))
  } catch {
    return false
  }
}

t.test('npm start: one per data directory, recovers from a killed terminal, fails fast without Kafka, npm stop', async (t) => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lgsp-lifecycle-'))
  // as on a fresh machine: npm start brings its own broker
  const { env, port } = await npmStartEnv(dataDir, { KAFKA_PRODUCE_TIMEOUT_MS: '3000', LOG_LEVEL: 'info' })
  const base = `http://127.0.0.1:${port}`
  const kafkaPidFile = path.join(dataDir, 'kafka/kafka.pid')
  const logs: string[] = []
  const started: ChildProcess[] = []

  /** `npm start` in a process group of its own, as a terminal runs it */
  const start = () => {
    const s = npmStart(env)
    s.child.on('exit', () => logs.push(s.output()))
    started.push(s.child)
    return s
  }
  const npmStop = () => spawnSync('npm', ['stop'], { cwd: ROOT, env, encoding: 'utf8', timeout: 90_000 })
  const readyz = async () => {
    try {
      const r = await fetch(`${base}/readyz`, { signal: AbortSignal.timeout(4000) })
      return { status: r.status, body: (await r.json()) as { checks: Record<string, string> } }
    } catch {
      return null
    }
  }
  const waitReady = async (ms: number) => {
    const t0 = Date.now()
    while (Date.now() - t0 < ms) {
      if ((await readyz())?.status === 200) return Date.now() - t0
      await sleep(100)
    }
    return null
  }
  t.teardown(async () => {
    npmStop()
    for (const c of started)
      if (c.pid && alive(c.pid)) {
        try {
          process.kill(-c.pid, 'SIGKILL')
        } catch {
          /* gone */
        }
      }
    const kpid = Number(fs.existsSync(kafkaPidFile) ? fs.readFileSync(kafkaPidFile, 'utf8') : 0)
    if (kpid && alive(kpid)) process.kill(kpid, 'SIGKILL')
    fs.rmSync(dataDir, { recursive: true, force: true })
  })

  // 1. first start: broker from Maven's jars, PGlite, demo directory and PKI
  const first = start()
  const firstMs = await waitReady(180_000)
  t.ok(firstMs !== null, `the first start is ready (${firstMs} ms)`) || t.comment(first.output())
  if (firstMs === null) return
  const health = (await (await fetch(`${base}/healthz`)).json()) as { node: string }
  t.match(health.node, /^v2[4-9]\./, `the gateway runs on the project's LTS Node (${health.node})`)
  const lock = JSON.parse(fs.readFileSync(path.join(dataDir, 'gateway.lock'), 'utf8')) as { pid: number; port: number }
  t.equal(lock.port, port, 'the lock names the port')
  const kafkaPid = Number(fs.readFileSync(kafkaPidFile, 'utf8'))

  // 2. a second start on the same data directory refuses, names the holder, and leaves everything running
  const second = start()
  const code = await Promise.race([second.exited, bound(60_000)])
  t.not(code, 0, 'the second npm start exits non-zero')
  t.not(code, 'timeout')
  t.match(second.output(), new RegExp(`pid ${lock.pid}\\b`), "and names the first gateway's pid")
  t.match(second.output(), /npm stop/, 'and says how to stop it')
  t.equal((await readyz())?.status, 200, 'the first gateway still serves')
  t.ok(alive(kafkaPid), 'its broker still runs')

  // 3. the terminal dies: SIGKILL to the whole npm start process group
  process.kill(-first.child.pid!, 'SIGKILL')
  await first.exited
  // SIGKILL reached the gateway with the group, but on a loaded machine its exit (unmapping a few hundred
  // MB, being reaped once reparented) can take longer than npm's: wait for it, within a bound
  for (let i = 0; i < 100 && alive(lock.pid); i++) await sleep(100)
  t.notOk(alive(lock.pid), 'the gateway died with its terminal')
  t.ok(alive(kafkaPid), 'the broker, in its own session, survived')

  // 4. the next start reclaims the stale lock, reuses the broker, and serves within 15 s
  const third = start()
  const againMs = await waitReady(60_000)
  t.ok(againMs !== null && againMs < 15_000, `ready again within 15 s after the kill (${againMs} ms)`) || t.comment(third.output())
  t.match(third.output(), /did not stop cleanly/, 'it says what it found')
  t.match(third.output(), /already running \(pid \d+\), ready/, 'and that it reused the broker')
  t.equal(Number(fs.readFileSync(kafkaPidFile, 'utf8')), kafkaPid, 'the same broker')

  // and it delivers: the demo commune's signed package reaches the province's inbox
  const creds = JSON.parse(fs.readFileSync(path.join(dataDir, 'demo-credentials.json'), 'utf8')) as Record<string, string>
  const signed = lgspSignDemo(env)
  const post = (body: Buffer) =>
    fetch(`${base}/v1/documents`, { method: 'POST', body: new Uint8Array(body), headers: { authorization: `Bearer ${creds['000.21.30.H41']}`, 'content-type': 'application/xml' } })
  const accepted = await post(signed)
  t.equal(accepted.status, 202)
  let inbox: { items: unknown[] } = { items: [] }
  for (let i = 0; i < 300 && inbox.items.length === 0; i++) {
    inbox = (await (await fetch(`${base}/v1/inbox`, { headers: { authorization: `Bearer ${creds['000.00.00.H41']}` } })).json()) as { items: unknown[] }
    if (inbox.items.length === 0) await sleep(100)
  }
  t.equal(inbox.items.length, 1, 'the workers rejoined their groups and delivered')

  // 5. the broker goes away: a POST fails fast with 503 + Retry-After, nothing is stored, /readyz names Kafka
  spawnSync('bash', [path.join(ROOT, 'deploy/kafka/stop.sh')], { env: { ...env, KAFKA_DATA_DIR: path.join(dataDir, 'kafka') }, stdio: 'ignore' })
  t.notOk(alive(kafkaPid), 'broker stopped')
  // two new documents (other DocumentIds), each signed by its sender
  const others = ['126/UBND-VP', '127/UBND-VP'].map((n) => {
    const unsigned = path.join(dataDir, `${n.split('/')[0]}.edxml`)
    fs.writeFileSync(unsigned, fs.readFileSync(path.join(ROOT, 'test/fixtures/demo/commune-to-province.edxml'), 'utf8').replaceAll('125/UBND-VP', n))
    return spawnSync(process.execPath, [path.join(ROOT, 'bin/lgsp.mjs'), 'sign', unsigned, '--agency', '000.21.30.H41'], { env, encoding: 'buffer' }).stdout
  })
  for (const [i, [label, wait]] of (
    [
      ['at once', 0],
      ['once the probe has noticed', 2500],
    ] as const
  ).entries()) {
    await sleep(wait)
    const t0 = Date.now()
    const r = await post(others[i]!)
    const ms = Date.now() - t0
    t.ok(ms < 5000, `POST answered in ${ms} ms (${label})`)
    t.equal(r.status, 503, `503 (${label})`)
    t.equal(r.headers.get('retry-after'), '5', 'with Retry-After')
    t.equal(((await r.json()) as { code: string }).code, 'BUS_UNAVAILABLE')
  }
  const sent = await post(signed) // the same bytes again: a replay, answered from the ledger without Kafka
  t.equal(sent.status, 202, 'an accepted document is still answered while Kafka is down')
  const notReady = await readyz()
  t.equal(notReady?.status, 503, '/readyz: not ready')
  t.not(notReady?.body.checks.kafka, 'ok', `and it names Kafka: ${notReady?.body.checks.kafka}`)
  t.equal(notReady?.body.checks.database, 'ok')

  // 6. npm stop, from another terminal: the gateway goes; with its broker already stopped, that is all
  const stop = npmStop()
  t.equal(stop.status, 0, stop.stderr)
  await third.exited
  t.notOk(alive(lock.pid), 'no gateway left')
  t.notOk(fs.existsSync(path.join(dataDir, 'gateway.lock')), 'the lock is released')
})
