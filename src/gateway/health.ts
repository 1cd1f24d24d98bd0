/** Liveness and readiness. /readyz checks Kafka and the database, each with a short timeout. */
import type { FastifyInstance } from 'fastify'
import type { Runtime } from '../runtime.ts'
import { ping } from '../store/db.ts'

const within = <T>(p: Promise<T>, ms: number) => Promise.race([p, new Promise<never>((_, rej) => setTimeout(() => rej(new Error(`timeout after ${ms} ms`)), ms).unref())])

export async function healthRoutes(app: FastifyInstance, rt: Runtime) {
  app.get('/healthz', { schema: { tags: ['health'], summary: 'The process is up' } }, async () => ({ status: 'ok', node: process.version, uptimeS: Math.round(process.uptime()) }))
  app.get('/readyz', { schema: { tags: ['health'], summary: 'Kafka and the database answer' } }, async (_req, reply) => {
    // the bus probe's view first: while it sees Kafka down there is no point in waiting on another request
    const seen = rt.bus.health()
    const [kafka, db] = await Promise.allSettled([
      seen.up ? within(rt.bus.ping(), 3000) : Promise.reject(new Error(`unreachable since ${seen.since}: ${seen.error ?? 'no answer'}`)),
      within(ping(rt.db), 3000),
    ])
    const checks = {
      kafka: kafka.status === 'fulfilled' ? 'ok' : String((kafka as PromiseRejectedResult).reason?.message ?? kafka.reason),
      database: db.status === 'fulfilled' ? 'ok' : String((db as PromiseRejectedResult).reason?.message ?? db.reason),
    }
    const ok = checks.kafka === 'ok' && checks.database === 'ok'
    // the workers are shown, not required: a POST is durable once Kafka holds it, and after a crash the
    // consumer groups may wait out the previous process's sessions (KAFKA_SESSION_TIMEOUT_MS)
    return reply.code(ok ? 200 : 503).send({ status: ok ? 'ready' : 'not ready', checks: { ...checks, workers: rt.lifecycle.workers } })
  })
}
