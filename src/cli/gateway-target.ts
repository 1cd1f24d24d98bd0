/**
 * Where CLI commands that change a running gateway send their calls: --url (or LGSP_URL, default
 * http://127.0.0.1:8080) and --key (or LGSP_KEY, default the "operator" key in .data/demo-credentials.json,
 * so a newcomer's `npm start` demo works without flags). Commands go through the API, never the database.
 */
import fs from 'node:fs'
import path from 'node:path'
import { cliDataDir } from './data-dir.ts'

export const TARGET_OPTIONS_HELP =
  "options: --url (LGSP_URL, default http://127.0.0.1:8080)  --key (LGSP_KEY, default the operator key in DATA_DIR/demo-credentials.json, DATA_DIR defaulting to the project's .data)"

function demoOperatorKey(): string | undefined {
  try {
    return (JSON.parse(fs.readFileSync(path.join(cliDataDir(), 'demo-credentials.json'), 'utf8')) as Record<string, string>).operator
  } catch {
    return undefined
  }
}

/** The gateway base URL and API key, or null (after saying why on stderr) when no key can be found. */
export function gatewayTarget(v: { url?: string; key?: string }): { base: string; key: string } | null {
  const base = (v.url ?? process.env.LGSP_URL ?? 'http://127.0.0.1:8080').replace(/\/+$/, '')
  const key = v.key ?? process.env.LGSP_KEY ?? demoOperatorKey()
  if (!key) {
    process.stderr.write(`no API key: pass --key, set LGSP_KEY, or start the demo (npm start) so ${path.join(cliDataDir(), 'demo-credentials.json')} has an "operator" key\n`)
    return null
  }
  return { base, key }
}
