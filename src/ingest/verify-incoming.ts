/**
 * Step 4 of the one path (ARCHITECTURE.md), the same for document and status packages on every surface:
 * the signature on the bytes as received, under the deployment policy, the trust store and the binding of
 * the signer to the package's From. XML-DSig for edXML; for the JSON form a flattened JWS (RFC 7515
 * §7.2.2, x5c chain) whose payload is the JSON form. A status is signed evidence like a document
 * (QCVN 102:2016 §2: the status package has the same edXMLHeader and Signature as an edoc).
 */
import { GatewayError, isGatewayError } from '../errors.ts'
import type { Principal } from '../store/clients-repo.ts'
import type { Runtime } from '../runtime.ts'
import type { Verdict } from '../signing/verify-edxml.ts'
import type { Incoming } from './incoming.ts'
import type { ElidedSource } from '../signing/elided-digest.ts'

export async function verifyIncoming(rt: Runtime, incoming: Incoming, bytes: Buffer, from: string, elided?: ElidedSource): Promise<Verdict> {
  if (incoming.format === 'xml') return rt.signing.verifyPackage(bytes, from, elided)
  if (incoming.jws) return rt.signing.verifyJsonPackage(incoming.jws, from)
  if (rt.signing.policy.required)
    throw new GatewayError('SIGNATURE_REQUIRED', 'send the JSON form as a flattened JWS (x5c chain) whose payload is the package; this deployment requires signatures')
  return { signed: false, verifiedAt: new Date().toISOString() }
}

/**
 * A status handed on by a peer gateway (a federation peer or a VXP relay system, role 'gateway') may be
 * one the gateway itself wrote — the 01 "đã đến" it emits when a delivery arrives is not signed by any
 * agency. The hop is authenticated by the link (its pre-shared key, or the VXP system's HMAC-signed headers),
 * as on /v1/federation/receipts, so an unsigned package is taken as relayed; a signed one is verified in
 * full, as from anyone.
 */
export async function verifyStatusFrom(rt: Runtime, who: Principal, incoming: Incoming, bytes: Buffer, from: string): Promise<Verdict> {
  try {
    return await verifyIncoming(rt, incoming, bytes, from)
  } catch (e) {
    if (who.role === 'gateway' && isGatewayError(e) && e.code === 'SIGNATURE_REQUIRED') return { signed: false, verifiedAt: new Date().toISOString() }
    throw e
  }
}

/** The verdict without its verification time: what a replayed answer repeats byte for byte. */
export type SignatureSummary = Omit<Verdict, 'verifiedAt'>

export function signatureSummary(v: Verdict): SignatureSummary {
  const { verifiedAt: _, ...rest } = v
  return rest
}
