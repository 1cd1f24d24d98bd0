/**
 * A push that reached the receiver while the gateway died (SIGKILL between the receiver's 2xx and the
 * gateway recording it) is made again after the restart — at-least-once — under the same Idempotency-Key
 * and with a higher X-Lgsp-Attempt, so the receiver can tell the repeat from a new delivery. The reference
 * receiver (test/helpers/push-receiver.ts) checks signature and digest itself and processes the key once.
 */
import crypto from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import t from 'tap'
import pg from 'pg'
import { bound, eventually, fixture, resendOn503, testPki, TEST_DATABASE_URL } from '../helpers/gateway.ts'
import { childGatewayEnv, spawnGateway, type ChildGateway } from '../helpers/child-gateway.ts'
import { startPushReceiver } from '../helpers/push-receiver.ts'

const COMMUNE = '000.21.30.H41'
const PROVINCE = '000.00.00.H41'

t.test('a push repeated after a crash carries the same key and a higher attempt number', { timeout: 300_000 }, async (t) => {
  const tag = crypto.randomBytes(4).toString('hex')
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `lgsp-${tag}-`))
  const hmac = crypto.randomBytes(24).toString('base64url')
  const env = {
    ...childGatewayEnv(tag, dataDir),
    PUSH_HMAC_KEY: hmac,
    OUTBOUND_ALLOW_PRIVATE: '127.0.0.1',
    RETRY_BASE_MS: '200',
    SIGNATURE_POLICY: 'optional',
    TRUST_DIR: (await testPki()).dir,
    GATEWAY_KEY_FILE: '',
    GATEWAY_CERT_FILE: '',
  }
  const recv = await startPushReceiver(hmac)
  let gw: ChildGateway | null = null
  t.teardown(async () => {
    await gw?.kill('SIGKILL')
    await recv.close()
    const c = new pg.Client({ connectionString: TEST_DATABASE_URL })
    await c.connect()
    await c.query(`drop schema if exists t_${tag} cascade`)
    await c.end()
    fs.rmSync(dataDir, { recursive: true, force: true })
  })

  gw = await spawnGateway(env)
  const creds = JSON.parse(fs.readFileSync(path.join(dataDir, 'demo-credentials.json'), 'utf8')) as Record<string, string>
  const call = (url: string, key: string, method: string, p: string, body?: string, type = 'application/xml') =>
    fetch(url + p, { method, body, headers: { authorization: `Bearer ${key}`, ...(body ? { 'content-type': type } : {}) } })
  const put = await call(
    gw.url,
    creds.operator!,
    'PUT',
    `/v1/agencies/${PROVINCE}`,
    JSON.stringify({ name: 'UBND tỉnh Nghệ An', tier: 'province', endpoint: `http:${recv.url}` }),
    'application/json',
  )
  t.ok(put.status < 300, `the province's system takes pushes (${put.status})`)

  // the first push arrives; the gateway dies before it hears the 2xx
  const first = gw
  recv.onRequest = async () => {
    recv.onRequest = null
    await first.kill('SIGKILL')
    return true
  }
  const sent = await resendOn503(() => call(first.url, creds[COMMUNE]!, 'POST', '/v1/documents', fixture('demo/commune-to-province.edxml').toString('utf8')))
  t.equal(sent.status, 202)
  const { id } = (await sent.json()) as { id: string }
  t.not(await Promise.race([first.exited, bound(60_000)]), 'timeout', 'the gateway was killed at the first push')
  t.equal(recv.requests.length, 1, 'the first push reached the receiver')

  gw = await spawnGateway(env) // seeds the demo again: only what is missing, so the operator's endpoint stays
  const agency = (await (await call(gw.url, creds.operator!, 'GET', `/v1/agencies/${PROVINCE}`)).json()) as { endpoint: { kind: string; url?: string } }
  t.same(agency.endpoint, { kind: 'http', url: recv.url }, 'a demo restart keeps the endpoint the operator set')
  await eventually(
    async () => {
      const v = (await (await call(gw!.url, creds[COMMUNE]!, 'GET', `/v1/documents/${id}`)).json()) as { recipients: { organId: string; status: string }[] }
      return ['01', 'DELIVERED'].includes(v.recipients.find((r) => r.organId === PROVINCE)?.status ?? '')
    },
    90_000,
    'the restarted gateway delivers and records it',
  )

  const view = (await (await call(gw.url, creds[COMMUNE]!, 'GET', `/v1/documents/${id}`)).json()) as {
    recipients: { organId: string; timeline: { status: string; detail?: unknown }[] }[]
  }
  const forKey = recv.requests.filter((r) => r.key === `${id}:${PROVINCE}`)
  if (forKey.length < 2) t.comment(JSON.stringify(view.recipients.find((r) => r.organId === PROVINCE)?.timeline), JSON.stringify(recv.requests.map((r) => [r.key, r.attempt])))
  t.ok(forKey.length >= 2, `the push was repeated after the crash (${forKey.length} requests)`)
  t.ok(
    forKey.every((r) => r.signatureOk && r.digestOk),
    'every request is signed and its digest matches',
  )
  t.ok(
    forKey.every((r, i) => i === 0 || r.attempt > forKey[i - 1]!.attempt),
    `attempt numbers only grow: ${forKey.map((r) => r.attempt).join(', ')}`,
  )
  t.equal(forKey[0]!.attempt, 1, 'the first push is attempt 1')
  t.equal(recv.processed.size, 1, 'the receiver processed the delivery once')
  t.ok(recv.processed.get(`${id}:${PROVINCE}`)!.equals(fixture('demo/commune-to-province.edxml')), 'the exact bytes')
})
