/**
 * Where the CLI finds what `npm start` wrote, from any folder: DATA_DIR as the gateway reads it, default
 * the project's own .data (not the current folder's), and the trust directory TRUST_DIR, default
 * DATA_DIR/pki — the same defaults as src/config/config.ts when the gateway runs from the project root.
 */
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')

export const cliDataDir = () => path.resolve(process.env.DATA_DIR || path.join(PROJECT_ROOT, '.data'))

export const cliTrustDir = () => path.resolve(process.env.TRUST_DIR || path.join(cliDataDir(), 'pki'))

/** How a default directory reads in usage lines: relative to the current folder when that is shorter. */
export const shown = (dir: string) => {
  const rel = path.relative(process.cwd(), dir)
  return rel && !rel.startsWith('..') && rel.length < dir.length ? rel : dir
}
