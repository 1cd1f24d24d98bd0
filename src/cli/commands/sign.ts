/**
 * `lgsp sign <file> --agency <OrganId> [--dir .data/pki]`
 * `lgsp sign <file> --key k.pem --cert c.pem [--chain int.pem …]`
 * Writes the signed edXML package to stdout (enveloped XML-DSig, see src/signing/sign-edxml.ts).
 */
import { readFile, readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { isGatewayError } from '../../errors.ts'
import { signEdxml } from '../../signing/sign-edxml.ts'

export const summary = 'sign an edXML package: `sign <file> --agency <OrganId> [--dir]` or `--key k.pem --cert c.pem [--chain int.pem]`'

export async function run(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      agency: { type: 'string' },
      dir: { type: 'string', default: '.data/pki' },
      key: { type: 'string' },
      cert: { type: 'string' },
      chain: { type: 'string', multiple: true },
    },
  })
  const file = positionals[0]
  if (!file || (!values.agency && !(values.key && values.cert))) {
    process.stderr.write('usage: lgsp sign <file> --agency <OrganId> [--dir .data/pki] | --key k.pem --cert c.pem [--chain int.pem]\n')
    return 2
  }
  try {
    let key: string
    const chain: string[] = []
    if (values.agency) {
      const base = join(values.dir!, 'agencies', values.agency)
      key = await readFile(`${base}.key`, 'utf8')
      chain.push(await readFile(`${base}.pem`, 'utf8'))
      const intDir = join(values.dir!, 'intermediates')
      for (const f of (await readdir(intDir).catch(() => [] as string[])).filter((f) => f.endsWith('.pem')).sort()) chain.push(await readFile(join(intDir, f), 'utf8'))
    } else {
      key = await readFile(values.key!, 'utf8')
      chain.push(await readFile(values.cert!, 'utf8'))
      for (const c of values.chain ?? []) chain.push(await readFile(c, 'utf8'))
    }
    process.stdout.write(signEdxml(await readFile(file), key, chain))
    return 0
  } catch (e) {
    process.stderr.write(`lgsp sign: ${isGatewayError(e) ? `${e.code}: ` : ''}${(e as Error).message}\n`)
    return 1
  }
}
