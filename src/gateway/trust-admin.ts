/**
 * Operator API over the trust store: list what is trusted, add or remove root and
 * intermediate CAs, agency certificates and CRLs at runtime. Every change is also written to TRUST_DIR
 * (the same layout the gateway loads at start-up), so it survives a restart, appended to the trust journal
 * so every replica applies it (src/signing/trust-journal.ts), and recorded in the message log as an
 * operator action.
 */
import fs from 'node:fs'
import path from 'node:path'
import type { FastifyInstance } from 'fastify'
import { GatewayError } from '../errors.ts'
import type { Runtime } from '../runtime.ts'
import { certsFromPem, fingerprintHex, subjectOf } from '../signing/certs.ts'
import { logOperatorAction } from '../store/message-log-repo.ts'
import { appendTrustChange } from '../store/trust-journal-repo.ts'
import { principalOf } from './auth.ts'

const KINDS = ['roots', 'intermediates', 'agencies'] as const
type Kind = (typeof KINDS)[number]

const entrySchema = {
  type: 'object',
  properties: { fingerprint256: { type: 'string' }, subject: { type: 'string' }, issuer: { type: 'string' }, notAfter: { type: 'string' }, organId: { type: ['string', 'null'] } },
} as const

export async function trustAdminRoutes(app: FastifyInstance, rt: Runtime) {
  // PEM travels as text; a CRL may also come as DER
  app.addContentTypeParser(['application/x-pem-file', 'text/plain', 'application/pkix-crl', 'application/pkix-cert'], { parseAs: 'buffer' }, (_r, body, done) => done(null, body))
  const trust = rt.signing.trust
  const dir = rt.config.trustDir
  const audit = (actor: string, action: string, detail: unknown) => logOperatorAction(rt.db, { actor, action, detail })
  const list = (m: Map<string, { cert: import('node:crypto').X509Certificate; fingerprint: string; organId?: string }>) =>
    [...m.values()].map((e) => ({
      fingerprint256: e.fingerprint,
      subject: subjectOf(e.cert),
      issuer: e.cert.issuer.replace(/\n/g, ', '),
      notAfter: new Date(e.cert.validTo).toISOString(),
      organId: e.organId ?? null,
    }))

  app.get(
    '/v1/ops/trust',
    {
      config: { auth: 'operator' },
      schema: {
        tags: ['ops'],
        summary: 'What this gateway trusts: CAs, agency certificates, CRLs',
        security: [{ apiKey: [] }],
        response: {
          200: {
            type: 'object',
            properties: {
              roots: { type: 'array', items: entrySchema },
              intermediates: { type: 'array', items: entrySchema },
              agencies: { type: 'array', items: entrySchema },
              crls: { type: 'array', items: { type: 'object', additionalProperties: true } },
              policy: { type: 'object', additionalProperties: true },
            },
          },
        },
      },
    },
    async () => ({ roots: list(trust.roots), intermediates: list(trust.intermediates), agencies: list(trust.agencies), crls: trust.crlStatus(), policy: rt.signing.policy }),
  )

  app.post<{ Params: { kind: Kind }; Querystring: { organId?: string } }>(
    '/v1/ops/trust/:kind',
    {
      config: { auth: 'operator' },
      schema: {
        tags: ['ops'],
        summary: 'Trust a CA (roots, intermediates) or an agency certificate (agencies; ?organId= binds it)',
        consumes: ['application/x-pem-file', 'text/plain'],
        security: [{ apiKey: [] }],
        params: { type: 'object', properties: { kind: { type: 'string', enum: [...KINDS] } }, required: ['kind'] },
        querystring: { type: 'object', properties: { organId: { type: 'string', pattern: '^\\d{3}\\.\\d{2}\\.\\d{2}\\.[A-Z][0-9A-Z]{2}$' } } },
        response: { 201: { type: 'object', properties: { added: { type: 'array', items: entrySchema } } } },
      },
    },
    async (req, reply) => {
      const who = principalOf(req)
      const certs = pemCerts(req.body)
      const added = certs.map((c) => {
        const fp = req.params.kind === 'roots' ? trust.addRoot(c) : req.params.kind === 'intermediates' ? trust.addIntermediate(c) : trust.addAgencyCert(c, req.query.organId)
        // one PEM bundle per OrganId (the loader binds every certificate in <OrganId>.pem to that agency),
        // so a second certificate for the same agency is added beside the first, not over it
        const file = path.join(dir, req.params.kind, `${req.query.organId ?? fp}.pem`)
        writeBundle(file, [...readBundle(file).filter((x) => fingerprintHex(x) !== fp), c])
        return { fingerprint256: fp, subject: subjectOf(c), issuer: c.issuer.replace(/\n/g, ', '), notAfter: new Date(c.validTo).toISOString(), organId: req.query.organId ?? null }
      })
      for (const c of certs)
        await appendTrustChange(rt.db, { action: 'add', kind: req.params.kind, fingerprint: fingerprintHex(c), organId: req.query.organId ?? null, der: c.raw })
      await audit(who.name, `trust.add.${req.params.kind}`, { added })
      await rt.announceTrustChange()
      return reply.code(201).send({ added })
    },
  )

  app.delete<{ Params: { kind: Kind; fingerprint: string } }>(
    '/v1/ops/trust/:kind/:fingerprint',
    {
      config: { auth: 'operator' },
      schema: {
        tags: ['ops'],
        summary: 'Stop trusting a CA or an agency certificate (by SHA-256 fingerprint)',
        security: [{ apiKey: [] }],
        params: { type: 'object', properties: { kind: { type: 'string', enum: [...KINDS] }, fingerprint: { type: 'string' } }, required: ['kind', 'fingerprint'] },
      },
    },
    async (req, reply) => {
      const who = principalOf(req)
      const fp = req.params.fingerprint.replace(/:/g, '').toLowerCase()
      const removed = req.params.kind === 'roots' ? trust.removeRoot(fp) : req.params.kind === 'intermediates' ? trust.removeIntermediate(fp) : trust.removeAgencyCert(fp)
      if (!removed) throw new GatewayError('NOT_FOUND', `no ${req.params.kind} certificate ${fp}`)
      removeFiles(path.join(dir, req.params.kind), fp)
      await appendTrustChange(rt.db, { action: 'remove', kind: req.params.kind, fingerprint: fp, organId: null, der: null })
      await audit(who.name, `trust.remove.${req.params.kind}`, { fingerprint256: fp })
      await rt.announceTrustChange()
      return reply.code(204).send()
    },
  )

  app.post(
    '/v1/ops/trust/crls',
    {
      config: { auth: 'operator' },
      schema: {
        tags: ['ops'],
        summary: 'Load a CRL (PEM or DER), signed by a trusted CA',
        consumes: ['application/x-pem-file', 'application/pkix-crl'],
        security: [{ apiKey: [] }],
      },
    },
    async (req, reply) => {
      const who = principalOf(req)
      if (!Buffer.isBuffer(req.body)) throw new GatewayError('UNSUPPORTED_MEDIA_TYPE', 'send the CRL as application/x-pem-file or application/pkix-crl')
      const source = trust.addCrl(req.body)
      const file = path.join(dir, 'crl', `${source.replace(/[^A-Za-z0-9._-]/g, '_')}.crl`)
      fs.mkdirSync(path.dirname(file), { recursive: true })
      fs.writeFileSync(file, req.body)
      await appendTrustChange(rt.db, { action: 'crl', kind: 'crls', fingerprint: null, organId: null, der: req.body })
      await audit(who.name, 'trust.add.crl', { source })
      await rt.announceTrustChange()
      return reply.code(201).send({ source, crls: trust.crlStatus() })
    },
  )
}

function pemCerts(body: unknown) {
  if (!Buffer.isBuffer(body)) throw new GatewayError('UNSUPPORTED_MEDIA_TYPE', 'send PEM certificates as application/x-pem-file')
  const certs = certsFromPem(body)
  if (certs.length === 0) throw new GatewayError('BAD_REQUEST', 'no PEM certificate in the body')
  return certs
}

const readBundle = (file: string) => (fs.existsSync(file) ? certsFromPem(fs.readFileSync(file)) : [])

function writeBundle(file: string, certs: import('node:crypto').X509Certificate[]) {
  if (certs.length === 0) return fs.rmSync(file, { force: true })
  fs.mkdirSync(path.dirname(file), { recursive: true })
  fs.writeFileSync(file, certs.map((c) => c.toString()).join(''))
}

/** Takes the certificate `fp` out of every PEM file in `dir`, so a restart does not trust it again. */
function removeFiles(dir: string, fp: string) {
  for (const f of fs.existsSync(dir) ? fs.readdirSync(dir).filter((n) => /\.(pem|crt)$/.test(n)) : []) {
    const file = path.join(dir, f)
    const certs = readBundle(file)
    if (certs.some((c) => fingerprintHex(c) === fp))
      writeBundle(
        file,
        certs.filter((c) => fingerprintHex(c) !== fp),
      )
  }
}
