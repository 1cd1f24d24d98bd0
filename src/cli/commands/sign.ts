/**
 * `lgsp sign <file> --agency <OrganId> [--dir <trust dir>] [--force]`
 * `lgsp sign <file> --key k.pem --cert c.pem [--chain int.pem …]`
 * Writes the signed edXML package to stdout (enveloped XML-DSig, see src/signing/sign-edxml.ts).
 * With --agency the key is that agency's demo key; the gateway binds the signer to the package's From
 * (QCVN 102:2016 has the sender sign its own package), so signing for another agency is refused unless
 * --force (then loudly warned: the gateway will answer SIGNER_NOT_SENDER).
 */
import { existsSync } from 'node:fs'
import { readFile, readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { isGatewayError } from '../../errors.ts'
import { signEdxml } from '../../signing/sign-edxml.ts'
import { edxmlHeader, parseXmlStrict } from '../../signing/xml.ts'
import { usageError } from '../args.ts'
import { cliTrustDir, shown } from '../data-dir.ts'

export const summary = 'sign an edXML package: `sign <file> --agency <OrganId> [--dir]` or `--key k.pem --cert c.pem [--chain int.pem]`'

export const usage = `usage: lgsp sign <file> --agency <OrganId> [--dir <trust dir>] [--force]
       lgsp sign <file> --key k.pem --cert c.pem [--chain int.pem …]
  Signs the package (enveloped XML-DSig) and writes it to stdout.
  --agency  sign with that agency's demo key from <trust dir>/agencies (default ${shown(cliTrustDir())}:
            TRUST_DIR, or DATA_DIR/pki); it must be the package's From unless --force
  --force   sign even when --agency is not the From (the gateway will refuse it: SIGNER_NOT_SENDER)
`

export async function run(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      agency: { type: 'string' },
      dir: { type: 'string', default: cliTrustDir() },
      key: { type: 'string' },
      cert: { type: 'string' },
      chain: { type: 'string', multiple: true },
      force: { type: 'boolean', default: false },
    },
  })
  const file = positionals[0]
  if (!file || (!values.agency && !(values.key && values.cert))) {
    process.stderr.write(usageError('sign', !file ? 'name the package to sign' : 'give --agency <OrganId>, or --key and --cert'))
    return 2
  }
  try {
    const bytes = await readFile(file)
    let key: string
    const chain: string[] = []
    if (values.agency) {
      // the From the gateway's signature check reads (src/signing/xml.ts), without the schema: signing comes first
      const from = edxmlHeader(parseXmlStrict(bytes).doc).fromOrganId ?? '(none)'
      if (from !== values.agency) {
        if (!values.force) {
          process.stderr.write(
            `lgsp sign: the package's From is ${from}, not ${values.agency}; the gateway only accepts a package signed by its sender. Sign with --agency ${from}, or add --force to sign anyway.\n`,
          )
          return 1
        }
        process.stderr.write(`lgsp sign: WARNING signing a package from ${from} with the key of ${values.agency} (--force); the gateway will refuse it with SIGNER_NOT_SENDER\n`)
      }
      const agencies = join(values.dir!, 'agencies')
      const base = join(agencies, values.agency)
      if (!existsSync(`${base}.key`)) {
        const known = (await readdir(agencies).catch(() => [] as string[]))
          .filter((f) => f.endsWith('.key'))
          .map((f) => f.slice(0, -4))
          .sort()
        process.stderr.write(
          known.length
            ? `lgsp sign: no demo key for ${values.agency} in ${agencies}; agencies with a key: ${known.join(', ')}. Add one with \`lgsp pki init --agency "${values.agency}=<name>"\`.\n`
            : `lgsp sign: no demo PKI in ${values.dir}; run \`npm start\` once (it creates the demo PKI) or \`lgsp pki init\`.\n`,
        )
        return 1
      }
      key = await readFile(`${base}.key`, 'utf8')
      chain.push(await readFile(`${base}.pem`, 'utf8'))
      const intDir = join(values.dir!, 'intermediates')
      for (const f of (await readdir(intDir).catch(() => [] as string[])).filter((f) => f.endsWith('.pem')).sort()) chain.push(await readFile(join(intDir, f), 'utf8'))
    } else {
      key = await readFile(values.key!, 'utf8')
      chain.push(await readFile(values.cert!, 'utf8'))
      for (const c of values.chain ?? []) chain.push(await readFile(c, 'utf8'))
    }
    process.stdout.write(signEdxml(bytes, key, chain))
    return 0
  } catch (e) {
    const err = e as NodeJS.ErrnoException
    const msg = err.code === 'ENOENT' ? `cannot read ${err.path ?? 'a file'}: no such file` : err.message
    process.stderr.write(`lgsp sign: ${isGatewayError(e) ? `${e.code}: ` : ''}${msg}\n`)
    return 1
  }
}
