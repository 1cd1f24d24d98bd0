/**
 * A real webhook subscriber for tests: a node:http server that verifies every delivery with the independent
 * `standardwebhooks` package (the reference implementation of the spec), records it, and can be told to fail
 * a share of requests or to be down (its port closed: connection refused) for a while.
 */
import http from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { Webhook } from 'standardwebhooks'

export interface Received {
  webhookId: string
  timestamp: string
  body: string
  payload: { type: string; timestamp: string; data: Record<string, unknown> & { eventKey: string } } | null
  /** which of the known secrets verified the signature (null = none) */
  verifiedWith: string | null
  /** the HTTP status this subscriber answered */
  answered: number
}

export interface Subscriber {
  url: string
  received: Received[]
  /** secrets to verify with; the first that verifies is recorded */
  secrets: string[]
  /** share of requests answered 500 (0 … 1) */
  failRate: number
  /** status to answer instead of 2xx/500, e.g. 302 with a Location */
  forceStatus: number | null
  down(): Promise<void>
  up(): Promise<void>
  close(): Promise<void>
}

export async function startSubscriber(opts: { failRate?: number; random?: () => number } = {}): Promise<Subscriber> {
  const random = opts.random ?? Math.random
  const sockets = new Set<Socket>()
  const sub: Subscriber = {
    url: '',
    received: [],
    secrets: [],
    failRate: opts.failRate ?? 0,
    forceStatus: null,
    async down() {
      await new Promise<void>((res) => {
        server.close(() => res())
        for (const s of sockets) s.destroy()
      })
    },
    async up() {
      await new Promise<void>((res) => server.listen(port, '127.0.0.1', () => res()))
    },
    async close() {
      if (server.listening) await sub.down()
    },
  }
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8')
      const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)]))
      let verifiedWith: string | null = null
      for (const s of sub.secrets) {
        try {
          new Webhook(s).verify(body, headers)
          verifiedWith = s
          break
        } catch {
          /* next secret */
        }
      }
      let payload: Received['payload'] = null
      try {
        payload = JSON.parse(body)
      } catch {
        /* recorded as null */
      }
      const answered = sub.forceStatus ?? (verifiedWith === null ? 401 : random() < sub.failRate ? 500 : 204)
      sub.received.push({ webhookId: headers['webhook-id'] ?? '', timestamp: headers['webhook-timestamp'] ?? '', body, payload, verifiedWith, answered })
      if (answered >= 300 && answered < 400) res.setHeader('location', 'http://169.254.169.254/latest/meta-data/')
      res.statusCode = answered
      res.end()
    })
  })
  server.on('connection', (s) => {
    sockets.add(s)
    s.on('close', () => sockets.delete(s))
  })
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', () => res()))
  const port = (server.address() as AddressInfo).port
  sub.url = `http://127.0.0.1:${port}/hook`
  return sub
}

/** Deliveries this subscriber accepted (2xx), by webhook-id. */
export function accepted(sub: Subscriber): Map<string, Received[]> {
  const m = new Map<string, Received[]>()
  for (const r of sub.received) if (r.answered < 300) m.set(r.webhookId, [...(m.get(r.webhookId) ?? []), r])
  return m
}
