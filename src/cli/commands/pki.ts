/**
 * `lgsp pki init [--dir .data/pki] [--agency "<OrganId>=<name>" …] [--agencies-file f.tsv]`
 *   Creates the demo PKI (root CA, issuing CA, one certificate per agency, gateway certificate, CRLs).
 *   Idempotent: existing keys and certificates are kept; new agencies are added.
 * `lgsp pki status [--dir .data/pki]` — what the trust store loads from that directory.
 */
import { readFile } from 'node:fs/promises'
import { parseArgs } from 'node:util'
import { usageError } from '../args.ts'
import { cliTrustDir, shown } from '../data-dir.ts'
import { DEMO_AGENCIES, pkiInit, type DemoAgency } from '../../signing/pki.ts'
import { TrustStore } from '../../signing/trust.ts'
import { subjectOf } from '../../signing/certs.ts'

export const summary = 'demo PKI: `pki init [--dir] [--agency id=name…]`, `pki status [--dir]`'

export const usage = `usage: lgsp pki init [--dir <trust dir>] [--agency "<OrganId>=<name>" …] [--agencies-file f]
       lgsp pki status [--dir <trust dir>]
  init creates (or completes) the demo PKI: root CA, issuing CA, one certificate per agency, the gateway's
  certificate and CRLs; existing keys are kept. status shows what the trust store loads.
  The trust directory defaults to ${shown(cliTrustDir())} (TRUST_DIR, or DATA_DIR/pki).
`

function parseAgency(s: string): DemoAgency {
  const i = s.search(/[=\t]/)
  if (i < 0) throw new Error(`--agency expects "<OrganId>=<name>", got "${s}"`)
  return { organId: s.slice(0, i).trim(), name: s.slice(i + 1).trim() }
}

export async function run(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { dir: { type: 'string', default: cliTrustDir() }, agency: { type: 'string', multiple: true }, 'agencies-file': { type: 'string' } },
  })
  const sub = positionals[0]
  if (sub === 'init') {
    let agencies: DemoAgency[] | undefined = values.agency?.map(parseAgency)
    if (values['agencies-file']) {
      const lines = (await readFile(values['agencies-file'], 'utf8'))
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => l && !l.startsWith('#'))
      agencies = [...(agencies ?? []), ...lines.map(parseAgency)]
    }
    const r = await pkiInit(values.dir!, { agencies: agencies ?? DEMO_AGENCIES })
    process.stdout.write(
      `${JSON.stringify({ dir: r.dir, created: r.created.length, root: r.root, intermediate: r.intermediate, gateway: r.gateway.cert, agencies: r.agencies.map((a) => a.organId), crls: r.crls }, null, 2)}\n`,
    )
    return 0
  }
  if (sub === 'status') {
    const ts = await TrustStore.fromDirectory(values.dir!)
    const list = (m: Map<string, { cert: import('node:crypto').X509Certificate; fingerprint: string }>) =>
      [...m.values()].map((e) => ({ subject: subjectOf(e.cert), fingerprint256: e.fingerprint, validTo: e.cert.validTo }))
    process.stdout.write(
      `${JSON.stringify({ roots: list(ts.roots), intermediates: list(ts.intermediates), agencies: [...ts.agencies.values()].map((a) => ({ organId: a.organId, subject: subjectOf(a.cert), fingerprint256: a.fingerprint })), crls: ts.crlStatus() }, null, 2)}\n`,
    )
    return 0
  }
  process.stderr.write(usageError('pki', sub ? `unknown subcommand "${sub}"` : 'name a subcommand: init or status'))
  return 2
}
