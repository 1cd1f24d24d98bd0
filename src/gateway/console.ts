/**
 * The operator console at /console: a few static files from console/ in the repo (plain HTML,
 * CSS and JS, no build, no CDN), read once at start-up and served from memory. The page itself is public;
 * everything it shows comes from the ops API with the operator key the user types in (kept in
 * sessionStorage, sent as a Bearer header). A strict CSP keeps the page to its own files and API.
 */
import fs from 'node:fs'
import path from 'node:path'
import type { FastifyInstance, FastifyReply } from 'fastify'
import { GatewayError } from '../errors.ts'
import type { Runtime } from '../runtime.ts'

export const CONSOLE_DIR = path.resolve(import.meta.dirname, '../../console')

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
}

const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'"

function load(): Map<string, { type: string; body: Buffer }> {
  const files = new Map<string, { type: string; body: Buffer }>()
  for (const name of fs.readdirSync(CONSOLE_DIR)) {
    const type = TYPES[path.extname(name)]
    if (type && fs.statSync(path.join(CONSOLE_DIR, name)).isFile()) files.set(name, { type, body: fs.readFileSync(path.join(CONSOLE_DIR, name)) })
  }
  return files
}

export async function consoleRoutes(app: FastifyInstance, _rt: Runtime) {
  const files = load()
  const send = (reply: FastifyReply, name: string) => {
    const f = files.get(name)
    if (!f) throw new GatewayError('NOT_FOUND', `no console file ${name}`)
    return reply
      .type(f.type)
      .header('cache-control', 'no-cache')
      .header('content-security-policy', CSP)
      .header('x-content-type-options', 'nosniff')
      .header('referrer-policy', 'no-referrer')
      .send(f.body)
  }
  const hide = { schema: { hide: true }, config: { auth: 'none' as const } }
  app.get('/console', hide, async (_req, reply) => reply.redirect('/console/'))
  app.get('/console/', hide, async (_req, reply) => send(reply, 'index.html'))
  // a closed list: names read from the directory at start-up, so no path can reach outside it
  app.get<{ Params: { file: string } }>('/console/:file', hide, async (req, reply) => send(reply, req.params.file))
}
