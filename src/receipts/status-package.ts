/**
 * Reading a stored edXML status package back: as edXML text (a package sent in the JSON form is converted,
 * the bytes of an XML one are returned as stored) and the few fields a summary shows.
 */
import type { Runtime } from '../runtime.ts'
import { asEdxml } from '../ingest/incoming.ts'
import { readEnvelope } from '../schemas/envelope.ts'

export async function statusPackageXml(rt: Runtime, blobKey: string, contentType = 'application/xml'): Promise<string> {
  return asEdxml(await rt.blobs.get(blobKey), contentType).bytes.toString('utf8')
}

export interface StatusSummary {
  from: string
  statusCode: string
  description: string | null
  timestamp: string | null
}

/** null when the package cannot be read back (it was validated on the way in, so this is a store problem). */
export async function statusSummary(rt: Runtime, blobKey: string, contentType = 'application/xml'): Promise<StatusSummary | null> {
  try {
    const env = readEnvelope(Buffer.from(await statusPackageXml(rt, blobKey, contentType), 'utf8'), { maxBytes: rt.config.bodyLimit, maxDepth: rt.config.maxXmlDepth })
    if (env.kind !== 'status') return null
    return { from: env.from, statusCode: env.statusCode, description: env.description ?? null, timestamp: env.timestamp ?? null }
  } catch (e) {
    rt.log.warn({ err: e, blobKey }, 'stored status package unreadable')
    return null
  }
}
