/**
 * A node:http server on a fixed port that a test can take down and bring back (`stop` closes every
 * connection, so the port refuses at once; `start` listens again on the same port): a receiver that is
 * "down for a while" the way a partner's system is. `answer` gets each request with its whole body.
 */
import http from 'node:http'

export function restartableServer(port: number, answer: (req: http.IncomingMessage, body: Buffer, res: http.ServerResponse) => void) {
  let server: http.Server | null = null
  const start = () =>
    new Promise<void>((resolve) => {
      server = http.createServer((req, res) => {
        const chunks: Buffer[] = []
        req.on('data', (c: Buffer) => chunks.push(c))
        req.on('end', () => answer(req, Buffer.concat(chunks), res))
      })
      server.listen(port, '127.0.0.1', () => resolve())
    })
  const stop = () =>
    new Promise<void>((resolve) => {
      if (!server) return resolve()
      server.close(() => resolve())
      server.closeAllConnections()
      server = null
    })
  return { start, stop, running: () => server !== null }
}
