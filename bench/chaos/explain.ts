/**
 * What a chaos run knows about a lost leg, printed when there is one (the run's own files are deleted at
 * its end, and a loss must be explainable from the output alone): the sender's side (which replica
 * answered 202, after how many requests, when), the ledger (the document row, its timeline, legs, inbox
 * rows, retry rows), the records that carry its id on the documents and delivery topics, and the
 * gateways' log lines that name it.
 */
import fs from 'node:fs'
import type pg from 'pg'
import { Kafka, logLevel } from 'kafkajs'
import type { AcceptedDoc } from './traffic.ts'

const MAX_DOCS = 3
const MAX_LOG_LINES = 40

export async function explainLost(o: { db: pg.Pool; lost: AcceptedDoc[]; logFile: string; brokers: string[]; topicPrefix: string; log: (line: string) => void }): Promise<void> {
  const docs = o.lost.slice(0, MAX_DOCS)
  const records = await recordsNaming(
    o.brokers,
    o.topicPrefix,
    docs.map((d) => d.uuid),
  ).catch((e: Error) => new Map<string, string[]>([['*', [`could not read the topics: ${e.message}`]]]))
  const logLines = fs.existsSync(o.logFile) ? fs.readFileSync(o.logFile, 'utf8').split('\n') : []
  for (const d of docs) {
    const say = (what: string, v: unknown) => o.log(`lost ${d.uuid}: ${what} ${typeof v === 'string' ? v : JSON.stringify(v)}`)
    say('sender', { from: d.from, documentId: d.documentId, to: d.to, answeredBy: d.answeredBy, requests: d.requests, atS: d.atMs / 1000 })
    const rows = async (sql: string) => (await o.db.query(sql, [d.uuid]).catch((e: Error) => ({ rows: [{ error: e.message }] }))).rows
    say('documents', await rows('select id, state, created_at, accepted_at, claimed_until from documents where id = $1'))
    say('timeline', await rows('select recipient, status, at from delivery_events where document_uuid = $1 order by at'))
    say('legs', await rows('select * from deliveries where document_uuid = $1'))
    say('inbox', await rows('select recipient, delivered_at, acked_at from inbox where document_uuid = $1'))
    say('retries', await rows('select recipient, attempts, due_at, last_error from delivery_retries where document_uuid = $1'))
    say('records', records.get(d.uuid) ?? records.get('*') ?? [])
    const lines = logLines.filter((l) => l.includes(d.uuid))
    say(`log lines (${lines.length}, first ${MAX_LOG_LINES})`, '')
    for (const l of lines.slice(0, MAX_LOG_LINES)) o.log(`  ${l.slice(0, 600)}`)
  }
}

/** Every record on `documents` and `deliver.*` whose value names one of the ids: "topic[partition]@offset". */
async function recordsNaming(brokers: string[], prefix: string, ids: string[]): Promise<Map<string, string[]>> {
  const kafka = new Kafka({ clientId: 'chaos-explain', brokers, logLevel: logLevel.NOTHING })
  const admin = kafka.admin()
  await admin.connect()
  const topics = (await admin.listTopics()).filter((t) => t === `${prefix}documents` || t.startsWith(`${prefix}deliver.`) || t === `${prefix}forward`)
  let left = 0
  const ends = new Map<string, bigint>()
  for (const topic of topics) {
    for (const p of await admin.fetchTopicOffsets(topic)) {
      if (BigInt(p.high) > BigInt(p.low)) {
        ends.set(`${topic}:${p.partition}`, BigInt(p.high) - 1n)
        left++
      }
    }
  }
  await admin.disconnect()
  const found = new Map<string, string[]>(ids.map((id) => [id, []]))
  if (!left) return found
  const consumer = kafka.consumer({ groupId: `chaos-explain-${Date.now()}` })
  await consumer.connect()
  try {
    await consumer.subscribe({ topics, fromBeginning: true })
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 30_000)
      void consumer.run({
        eachMessage: async ({ topic, partition, message }) => {
          const value = message.value?.toString() ?? ''
          for (const id of ids) if (value.includes(id)) found.get(id)!.push(`${topic.slice(prefix.length)}[${partition}]@${message.offset}`)
          if (ends.get(`${topic}:${partition}`) === BigInt(message.offset) && --left === 0) {
            clearTimeout(timer)
            resolve()
          }
        },
      })
    })
  } finally {
    await consumer.disconnect()
  }
  return found
}
