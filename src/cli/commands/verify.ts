/**
 * `lgsp verify <file> [--dir .data/pki] [--from <OrganId>] [--allow-sha1] [--optional] [--require-crl]`
 * Verifies an edXML package (XML-DSig), a JWS (compact or flattened JSON) or a gateway receipt against
 * the trust directory; agencies are bound to the certificates in <dir>/agencies. Prints the verdict JSON;
 * on refusal prints {"ok":false,"code":…,"detail":…} and exits 1.
 * Without --from the expected sender is the From/OrganId of the package itself, so only the
 * signer ↔ agency binding is checked.
 */
import { readFile } from 'node:fs/promises'
import { parseArgs } from 'node:util'
import { usageError } from '../args.ts'
import { cliTrustDir, shown } from '../data-dir.ts'
import { isGatewayError } from '../../errors.ts'
import { TrustStore, signerAllowedFor } from '../../signing/trust.ts'
import { verifyEdxml } from '../../signing/verify-edxml.ts'
import { defaultFromOf, verifyJws, verifyReceipt, type FlattenedJws, type SignedReceipt } from '../../signing/jws.ts'
import { edxmlHeader, parseXmlStrict } from '../../signing/xml.ts'

export const summary = 'verify a signed package, JWS or receipt: `verify <file> [--dir] [--from OrganId] [--allow-sha1] [--optional]`'

export const usage = `usage: lgsp verify <file> [--dir <trust dir>] [--from <OrganId>] [--allow-sha1] [--optional] [--require-crl]
  Verifies an edXML package (XML-DSig), a JWS or a gateway receipt against the trust directory
  (default ${shown(cliTrustDir())}: TRUST_DIR, or DATA_DIR/pki). Prints the verdict; exit 1 when refused.
`

export async function run(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      dir: { type: 'string', default: cliTrustDir() },
      from: { type: 'string' },
      'allow-sha1': { type: 'boolean', default: false },
      optional: { type: 'boolean', default: false },
      'require-crl': { type: 'boolean', default: false },
    },
  })
  const file = positionals[0]
  if (!file) {
    process.stderr.write(usageError('verify', 'name the file to verify'))
    return 2
  }
  let trust: TrustStore | undefined
  try {
    const bytes = await readFile(file)
    trust = await TrustStore.fromDirectory(values.dir!, { requireCrl: values['require-crl'] })
    const allowed = signerAllowedFor(trust.agencyBinding())
    const text = bytes.toString('utf8').trim()
    let verdict: unknown
    if (text.startsWith('<')) {
      const from = values.from ?? edxmlHeader(parseXmlStrict(bytes).doc).fromOrganId ?? ''
      verdict = await verifyEdxml(bytes, { trust, policy: { required: !values.optional, allowSha1: values['allow-sha1'] }, signerAllowedFor: allowed, from })
    } else if (text.startsWith('{') && 'documentId' in JSON.parse(text)) {
      verdict = await verifyReceipt(JSON.parse(text) as SignedReceipt, trust)
    } else {
      const jws: string | FlattenedJws = text.startsWith('{') ? JSON.parse(text) : text
      const peek = typeof jws === 'string' ? (jws.split('.')[1] ?? '') : jws.payload
      const from = values.from ?? defaultFromOf(JSON.parse(Buffer.from(peek, 'base64url').toString('utf8') || 'null')) ?? ''
      verdict = (await verifyJws(jws, { trust, signerAllowedFor: allowed, from })).verdict
    }
    process.stdout.write(`${JSON.stringify({ ok: true, ...(verdict as object) }, null, 2)}\n`)
    return 0
  } catch (e) {
    const code = isGatewayError(e) ? e.code : 'BAD_REQUEST'
    process.stdout.write(`${JSON.stringify({ ok: false, code, detail: (e as Error).message }, null, 2)}\n`)
    process.stderr.write(`lgsp verify: ${code}: ${(e as Error).message}\n`)
    return 1
  } finally {
    trust?.close()
  }
}
