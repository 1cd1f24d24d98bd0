/**
 * `lgsp verify-receipt <file|-> [--dir .data/pki] [--gateway-cert <pem>]`
 * Checks gateway-signed receipts offline: a receipt JSON, an array of them, or a whole 202 answer /
 * document view (every `receipt` found in it is checked). The gateway certificate is pinned
 * (default <dir>/gateway/gateway.pem), so a receipt signed by any other key in the trust store fails.
 * Exit 0 when every receipt verifies, 1 otherwise.
 */
import fs from 'node:fs'
import { X509Certificate } from 'node:crypto'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { usageError } from '../args.ts'
import { cliTrustDir, shown } from '../data-dir.ts'
import { isGatewayError } from '../../errors.ts'
import { TrustStore } from '../../signing/trust.ts'
import { verifyReceipt, type SignedReceipt } from '../../signing/jws.ts'
import { fingerprintHex } from '../../signing/certs.ts'
import { retype } from '../../schemas/retype.ts'

export const summary = 'check gateway-signed receipts: `verify-receipt <file|-> [--dir] [--gateway-cert pem]`'

export const usage = `usage: lgsp verify-receipt <file|-> [--dir <trust dir>] [--gateway-cert <pem>]
  Checks every gateway-signed receipt in a receipt, an array of them, or a whole 202 answer, against the
  gateway certificate (default <dir>/gateway/gateway.pem; dir defaults to ${shown(cliTrustDir())}).
  Exit 0 when every receipt verifies, 1 otherwise.
`

/** Every object with a string `signature` and a `sha256`, anywhere in the JSON. */
function receiptsIn(v: unknown, out: SignedReceipt[] = []): SignedReceipt[] {
  if (Array.isArray(v)) v.forEach((x) => receiptsIn(x, out))
  else if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>
    if (typeof o.signature === 'string' && typeof o.sha256 === 'string' && typeof o.status === 'string') out.push(retype<SignedReceipt>(o))
    else Object.values(o).forEach((x) => receiptsIn(x, out))
  }
  return out
}

export async function run(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { dir: { type: 'string', default: cliTrustDir() }, 'gateway-cert': { type: 'string' } },
  })
  const file = positionals[0]
  if (!file) {
    process.stderr.write(usageError('verify-receipt', 'name the receipt file, or - for stdin'))
    return 2
  }
  const trust = await TrustStore.fromDirectory(values.dir!)
  try {
    const receipts = receiptsIn(JSON.parse(fs.readFileSync(file === '-' ? 0 : file, 'utf8')))
    if (receipts.length === 0) throw new Error('no receipt found in the input')
    const certFile = values['gateway-cert'] ?? join(values.dir!, 'gateway/gateway.pem')
    const pinned = fs.existsSync(certFile) ? [fingerprintHex(new X509Certificate(fs.readFileSync(certFile)))] : undefined
    let bad = 0
    for (const r of receipts) {
      try {
        const v = await verifyReceipt(r, trust, { gatewayFingerprints: pinned })
        process.stdout.write(`${JSON.stringify({ ok: true, recipient: r.recipient, status: r.status, time: r.time, signer: v.signer?.subject })}\n`)
      } catch (e) {
        bad++
        process.stdout.write(
          `${JSON.stringify({ ok: false, recipient: r.recipient, status: r.status, code: isGatewayError(e) ? e.code : 'ERROR', detail: (e as Error).message })}\n`,
        )
      }
    }
    return bad ? 1 : 0
  } catch (e) {
    process.stderr.write(`lgsp verify-receipt: ${(e as Error).message}\n`)
    return 1
  } finally {
    trust.close()
  }
}
