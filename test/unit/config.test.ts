// Configuration is read once, checked against one table, and every problem is reported together.
import t from 'tap'
import path from 'node:path'
import { CONFIG_SPEC, loadConfig } from '../../src/config/config.ts'

t.test('safe defaults with an empty environment', async (t) => {
  const c = loadConfig({})
  t.equal(c.port, 8080)
  t.equal(c.host, '127.0.0.1', 'listens on loopback unless told otherwise')
  t.equal(c.databaseUrl, '', 'embedded PGlite by default')
  t.equal(c.signaturePolicy, 'required', 'signatures are required by default')
  t.equal(c.signatureAllowSha1, false)
  t.equal(c.trustDir, path.resolve('.data/pki'))
  t.equal(c.gatewayKeyFile, path.join(c.trustDir, 'gateway/gateway.key'))
  t.ok(Object.isFrozen(c), 'one frozen object')
})

t.test('every problem is reported at once, naming the variable', async (t) => {
  const err = t.throws(() => loadConfig({ PORT: 'eighty', SIGNATURE_POLICY: 'sometimes', TOPIC_PREFIX: 'bad prefix!', KAFKA_BROKERS: ' , ' })) as Error
  for (const v of ['PORT', 'SIGNATURE_POLICY', 'TOPIC_PREFIX', 'KAFKA_BROKERS']) t.match(err.message, v, `names ${v}`)
})

t.test('every setting is documented', async (t) => {
  for (const [key, spec] of Object.entries(CONFIG_SPEC)) t.ok(spec.doc.length > 10 && /^[A-Z0-9_]+$/.test(spec.env), `${key} (${spec.env})`)
})

t.test('docs/configuration.md lists every variable with its default', async (t) => {
  const { readFileSync } = await import('node:fs')
  const page = readFileSync(path.resolve(import.meta.dirname, '../../docs/configuration.md'), 'utf8')
  for (const spec of Object.values(CONFIG_SPEC)) {
    const row = page.split('\n').find((l) => l.startsWith(`| \`${spec.env}\` |`))
    t.ok(row, `${spec.env} is documented`)
    if (row && spec.def) t.ok(row.includes(`\`${spec.def.replace(/\|/g, '\\|')}\``), `${spec.env} shows its default ${spec.def}`)
  }
})

t.test('OUTBOUND_ALLOW_PRIVATE is a list of hosts: the old true/false form is refused, not read as a host', async (t) => {
  t.throws(() => loadConfig({ OUTBOUND_ALLOW_PRIVATE: 'true' }), /OUTBOUND_ALLOW_PRIVATE="true": is a comma-separated list of hosts/)
  t.same(loadConfig({ OUTBOUND_ALLOW_PRIVATE: '127.0.0.1,localhost' }).outboundAllowPrivate, ['127.0.0.1', 'localhost'])
})
