/**
 * Runs one gateway: runtime (DB, Kafka, blobs), Kafka workers and the HTTP server, in that order, and
 * closes them in reverse on SIGINT/SIGTERM. `--demo` seeds the demo directory and keys first.
 */
import { loadConfig } from './config/config.ts'
import { createRuntime } from './runtime.ts'
import { buildApp } from './gateway/app.ts'
import { startWorkers } from './lifecycle/workers.ts'
import { seedDemo } from './demo/seed.ts'
import { pkiInit } from './signing/pki.ts'
import { LockHeldError, acquireLock } from './lifecycle/data-dir-lock.ts'

export async function run(argv: string[]) {
  const config = loadConfig()
  // before anything touches DATA_DIR: one gateway per data directory (src/lifecycle/data-dir-lock.ts)
  const lock = acquireLock(config.dataDir)
  process.on('exit', () => lock.release())
  // the demo PKI (root, issuing CA, one certificate per demo agency, the gateway's) is created before the
  // trust store is loaded, so `npx lgsp sign doc.xml --agency <OrganId>` works at once
  if (argv.includes('--demo')) await pkiInit(config.trustDir)
  const rt = await createRuntime(config)
  if (lock.reclaimed)
    rt.log.warn(
      { stalePid: lock.reclaimed.pid, startedAt: lock.reclaimed.startedAt, dataDir: config.dataDir },
      'the previous gateway on this data directory did not stop cleanly (its process is gone); lock reclaimed',
    )
  const demo = argv.includes('--demo') ? await seedDemo(rt, { reorganisation: true }) : null
  const app = await buildApp(rt)
  // HTTP first: a POST is durable once Kafka holds it, whether or not the workers have joined their
  // groups yet, and a restart after a crash may wait out the old members' sessions (logged by the bus)
  await app.listen({ host: config.host, port: config.port })
  const port = (app.server.address() as { port: number }).port
  lock.update({ port })
  const base = `http://${config.host}:${port}`
  rt.log.info({ url: base, node: process.version, pid: process.pid }, 'HTTP listening; starting the Kafka workers')

  let closing = false
  let workers: { stop(): Promise<void> } | null = null
  const shutdown = async (sig: string) => {
    if (closing) return
    closing = true
    rt.log.info({ sig }, 'shutting down')
    // bounded: with the broker gone, leaving the groups and flushing can otherwise take a minute
    setTimeout(() => {
      rt.log.error({ ms: config.shutdownTimeoutMs }, 'shutdown took too long; exiting anyway')
      process.exit(1)
    }, config.shutdownTimeoutMs).unref()
    await app.close()
    await workers?.stop()
    await rt.close()
    process.exit(0)
  }
  process.on('SIGINT', () => void shutdown('SIGINT'))
  process.on('SIGTERM', () => void shutdown('SIGTERM'))
  process.on('SIGHUP', () => void shutdown('SIGHUP')) // the terminal closed

  workers = await startWorkers(rt)
  rt.log.info({ url: base, db: rt.db.engine, kafka: config.kafkaBrokers, node: process.version }, 'gateway ready')
  if (demo) printDemo(base, demo, config.dataDir) // last, so the lines to try are what the terminal shows
}

function printDemo(base: string, creds: Record<string, string>, dataDir: string) {
  const commune = creds['000.21.30.H41']
  const province = creds['000.00.00.H41']
  process.stdout.write(`
Liên thông gateway is serving on ${base}  (API docs: ${base}/docs; Node ${process.version})
Demo API keys: ${dataDir}/demo-credentials.json

Try it — the commune UBND xã Quỳnh Thạch signs a document with its demo certificate and sends it to
UBND tỉnh Nghệ An and Văn phòng Chính phủ (signatures are required):
  npx lgsp sign test/fixtures/demo/commune-to-province.edxml --agency 000.21.30.H41 > /tmp/signed.edxml
  curl -s -X POST ${base}/v1/documents -H 'Authorization: Bearer ${commune}' \\
       -H 'Content-Type: application/xml' --data-binary @/tmp/signed.edxml
The province pulls it (delivery takes a moment: an empty list right after the POST means try again),
fetches the exact bytes, and acknowledges (status 01 goes back to the sender):
  curl -s ${base}/v1/inbox -H 'Authorization: Bearer ${province}'
  curl -s ${base}/v1/inbox/<id> -H 'Authorization: Bearer ${province}'
  curl -s -X POST ${base}/v1/inbox/<id>/ack -H 'Authorization: Bearer ${province}'
The sender reads each recipient's timeline:
  curl -s ${base}/v1/documents/<document id> -H 'Authorization: Bearer ${commune}'
A QLVB built on the VNPT SDK (VXP) connects unchanged with service.endpoint=${base}/vxp and the systemid/secret
of its agency under "vxp" in ${dataDir}/demo-credentials.json (docs/vxp.md).
The directory also holds one demo merger (docs/reorganisation.md): 000.00.00.H97 and district 000.00.32.H41
are closed into UBND tỉnh Nghệ An; a document addressed to them reaches the province, and says so:
  curl -s ${base}/v1/agencies?status=closed -H 'Authorization: Bearer ${commune}'

`)
}

run(process.argv.slice(2)).catch((e) => {
  if (e instanceof LockHeldError) {
    process.stderr.write(`gateway not started: ${e.message}\n`)
    process.exit(3)
  }
  process.stderr.write(`gateway failed to start: ${e instanceof Error ? e.stack : String(e)}\n`)
  process.exit(1)
})
