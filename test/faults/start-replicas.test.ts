/**
 * `REPLICAS=2 npm start` with PostgreSQL: two gateway processes on PORT and PORT+1 over one database schema,
 * one set of topics and consumer groups and one payload directory. A document signed with the demo PKI and
 * sent to the second is read through the first; `npm stop` stops both and the broker. Without DATABASE_URL
 * it refuses (the embedded PGlite belongs to one process).
 */
import t from 'tap'
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import pg from 'pg'
import { ROOT, TEST_DATABASE_URL, bound, sleep } from '../helpers/gateway.ts'
import { lgspSignDemo, npmStart, npmStartEnv } from '../helpers/child-gateway.ts'

t.test('REPLICAS=2 npm start: two processes, one deployment; npm stop stops both', async (t) => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lgsp-replicas-'))
  const schema = `t_start_${path
    .basename(dataDir)
    .replace(/[^a-z0-9]/gi, '')
    .toLowerCase()}`
  // PORT+1 is the second replica's: free unless taken by chance in between
  const { env, port } = await npmStartEnv(dataDir, {
    REPLICAS: '2',
    DATABASE_URL: TEST_DATABASE_URL,
    DATABASE_SCHEMA: schema,
    TOPIC_PREFIX: `${schema}.`,
    LOG_LEVEL: 'warn',
  })
  const { child: c, output, exited } = npmStart(env)
  t.teardown(async () => {
    spawnSync('npm', ['stop'], { cwd: ROOT, env, timeout: 60_000 })
    try {
      process.kill(-c.pid!, 'SIGKILL')
    } catch {
      /* gone */
    }
    spawnSync('bash', [path.join(ROOT, 'deploy/kafka/stop.sh')], { env: { ...env, KAFKA_DATA_DIR: path.join(dataDir, 'kafka') }, stdio: 'ignore' })
    const db = new pg.Client({ connectionString: TEST_DATABASE_URL })
    await db.connect()
    await db.query(`drop schema if exists ${schema} cascade`)
    await db.end()
    fs.rmSync(dataDir, { recursive: true, force: true })
  })
  const ready = async (p: number) => {
    for (let i = 0; i < 1200; i++) {
      try {
        if ((await fetch(`http://127.0.0.1:${p}/readyz`, { signal: AbortSignal.timeout(3000) })).status === 200) return true
      } catch {
        /* not yet */
      }
      await sleep(150)
    }
    return false
  }
  t.ok(await ready(port), 'replica 1 is ready') || t.comment(output())
  t.ok(await ready(port + 1), 'replica 2 is ready on PORT+1') || t.comment(output())
  t.match(output(), /2 replicas: http:\/\/127\.0\.0\.1:\d+ … http:\/\/127\.0\.0\.1:\d+/, 'npm start says where they are')

  const creds = JSON.parse(fs.readFileSync(path.join(dataDir, 'demo-credentials.json'), 'utf8')) as Record<string, string>
  const signed = lgspSignDemo(env)
  const sent = await fetch(`http://127.0.0.1:${port + 1}/v1/documents`, {
    method: 'POST',
    body: new Uint8Array(signed),
    headers: { authorization: `Bearer ${creds['000.21.30.H41']}`, 'content-type': 'application/xml' },
  })
  t.equal(sent.status, 202, 'replica 2 accepts a document signed with the demo PKI replica 1 created') || t.comment(await sent.text())
  let items: { id: string }[] = []
  for (let i = 0; i < 300 && !items.length; i++) {
    items = ((await (await fetch(`http://127.0.0.1:${port}/v1/inbox`, { headers: { authorization: `Bearer ${creds['000.00.00.H41']}` } })).json()) as { items: { id: string }[] })
      .items
    if (!items.length) await sleep(150)
  }
  t.equal(items.length, 1, 'and the province reads it through replica 1')
  const bytes = Buffer.from(
    await (await fetch(`http://127.0.0.1:${port}/v1/inbox/${items[0]!.id}`, { headers: { authorization: `Bearer ${creds['000.00.00.H41']}` } })).arrayBuffer(),
  )
  t.ok(bytes.equals(signed), 'byte-identical: one payload directory')

  const stop = spawnSync('npm', ['stop'], { cwd: ROOT, env, encoding: 'utf8', timeout: 90_000 })
  t.equal(stop.status, 0, 'npm stop') || t.comment(`npm stop printed:\n${stop.stdout}${stop.stderr}`)
  t.equal(await Promise.race([exited, bound(30_000)]), 0, 'npm start exits once both replicas stopped')
  const down = await fetch(`http://127.0.0.1:${port + 1}/healthz`).then(
    () => 'up',
    () => 'down',
  )
  t.equal(down, 'down', 'replica 2 stopped with replica 1')

  const refused = spawnSync('npm', ['start'], { cwd: ROOT, env: { ...env, DATABASE_URL: '' }, encoding: 'utf8', timeout: 60_000 })
  t.not(refused.status, 0, 'without DATABASE_URL it refuses')
  t.match(refused.stdout + refused.stderr, /REPLICAS needs DATABASE_URL/)
})
