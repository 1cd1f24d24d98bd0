/**
 * A reference receiver for HTTP push, written from the contract in docs/push-receivers.md and checked
 * independently of the gateway's code: it verifies the HMAC signature and the Digest itself, keeps each
 * Idempotency-Key once (a repeat is answered 2xx and not processed again), and records every request's
 * X-Lgsp-Attempt so a test can assert that a repeat always says it is one (a higher attempt number).
 */
import crypto from 'node:crypto'
import http from 'node:http'

export interface PushRequest {
  key: string
  attempt: number
  signatureOk: boolean
  digestOk: boolean
  bytes: Buffer
}

export interface PushReceiver {
  url: string
  requests: PushRequest[]
  /** keys processed (once each) */
  processed: Map<string, Buffer>
  /** runs before the answer of each request; return false to answer nothing (drop the connection) */
  onRequest: ((r: PushRequest) => boolean | Promise<boolean>) | null
  close(): Promise<void>
}

export async function startPushReceiver(hmacKey: string): Promise<PushReceiver> {
  const requests: PushRequest[] = []
  const processed = new Map<string, Buffer>()
  const recv: PushReceiver = { url: '', requests, processed, onRequest: null, close: async () => {} }
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', async () => {
      const bytes = Buffer.concat(chunks)
      const h = (n: string) => String(req.headers[n] ?? '')
      const key = h('idempotency-key')
      const sha = crypto.createHash('sha256').update(bytes).digest()
      const expected = `v1=${crypto
        .createHmac('sha256', hmacKey)
        .update(`${key}.${h('x-lgsp-timestamp')}.${sha.toString('hex')}`)
        .digest('base64')}`
      const r: PushRequest = {
        key,
        attempt: Number(h('x-lgsp-attempt')),
        bytes,
        signatureOk: h('x-lgsp-signature').length === expected.length && crypto.timingSafeEqual(Buffer.from(h('x-lgsp-signature')), Buffer.from(expected)),
        digestOk: h('digest') === `sha-256=${sha.toString('base64')}`,
      }
      requests.push(r)
      if (recv.onRequest && !(await recv.onRequest(r))) {
        req.socket.destroy()
        return
      }
      if (!r.signatureOk || !r.digestOk) {
        res.writeHead(401).end()
        return
      }
      if (!processed.has(key)) processed.set(key, bytes) // exactly-once effect: a repeat is acknowledged, not re-processed
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok')
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  recv.url = `http://127.0.0.1:${(server.address() as { port: number }).port}/lienthong`
  recv.close = () =>
    new Promise((r) => {
      server.closeAllConnections()
      server.close(() => r())
    })
  return recv
}
