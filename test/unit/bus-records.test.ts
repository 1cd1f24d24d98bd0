/**
 * Records are decoded where they leave Kafka (src/bus/records.ts) and every consumer is named once in the
 * catalogue (src/bus/consumers.ts): a well-formed record passes through unchanged, a wrong one is refused
 * with what is wrong, and the groups the metrics watch are exactly the catalogue's.
 */
import t from 'tap'
import { BadRecordError, deadLetterRecord, deliveryRecord, documentRecord, receiptRecord } from '../../src/bus/records.ts'
import { CONSUMERS, allConsumers, groupOf } from '../../src/bus/consumers.ts'
import { topicsFor } from '../../src/bus/topics.ts'
import { consumerGroups } from '../../src/ops/metrics.ts'

const doc = {
  id: 'u1',
  from: '000.21.30.H41',
  documentId: 'd',
  to: ['000.00.00.H41'],
  sha256: 'ab',
  size: 10,
  contentType: 'application/xml',
  acceptedAt: '2026-12-04T00:00:00.000Z',
}
const del = { id: 'u1', recipient: '000.00.00.H41', tier: 'province', from: '000.21.30.H41', documentId: 'd', sha256: 'ab' }

t.test('well-formed records pass through unchanged', async (t) => {
  t.same(documentRecord(doc), doc)
  t.same(documentRecord({ ...doc, via: 'http://peer' }), { ...doc, via: 'http://peer' }, 'with its optional field')
  t.same(deliveryRecord({ ...del, gateway: 'g', recipients: ['a', 'b'] }), { ...del, gateway: 'g', recipients: ['a', 'b'] })
  const receipt = { eventKey: 'u1:r:01', id: 'u1', recipient: 'r', status: '01', at: 'x', statusBlob: 'k', signature: { signed: true, verifiedAt: 'y', from: 'f', chain: ['a'] } }
  t.same(receiptRecord(receipt), receipt)
  const dl = {
    record: del,
    origin: { topic: 'x', partition: 1, offset: '7' },
    endpoint: 'http:x',
    attempts: 3,
    firstAttemptAt: 'a',
    failedAt: 'b',
    reason: 'max-attempts',
    lastError: 'e',
  }
  t.same(deadLetterRecord(dl), dl)
})

t.test('a record that is not what its topic carries is refused, saying why', async (t) => {
  const why = (f: () => unknown) => {
    try {
      f()
      return 'passed'
    } catch (e) {
      return e instanceof BadRecordError ? e.message : `other: ${String(e)}`
    }
  }
  t.equal(
    why(() => documentRecord(null)),
    'not a document record: not an object',
  )
  t.equal(
    why(() => documentRecord({ ...doc, size: '10' })),
    'not a document record: size is not a number',
  )
  t.equal(
    why(() => documentRecord({ ...doc, to: '000.00.00.H41' })),
    'not a document record: to is not a list of strings',
  )
  t.equal(
    why(() => deliveryRecord({ ...del, tier: 'hamlet' })),
    'not a delivery record: tier is hamlet, not one of central, province, district, commune',
  )
  t.equal(
    why(() => receiptRecord({ eventKey: 'k', id: 'u', recipient: 'r', at: 'x' })),
    'not a receipt record: status is not a string',
  )
  t.equal(
    why(() => deadLetterRecord({ record: del, origin: {}, endpoint: 'e', attempts: 1, firstAttemptAt: 'a', failedAt: 'b', reason: 'bored' })),
    'not a dead-letter record: topic is not a string',
  )
})

t.test('the catalogue names each group once; the metrics watch exactly those', async (t) => {
  const names = allConsumers().map((c) => c.name)
  t.equal(new Set(names).size, names.length, `${names.length} distinct groups`)
  t.same([...consumerGroups('p.').keys()].sort(), names.map((n) => `p.${n}`).sort())
  const topics = topicsFor('p.')
  t.equal(groupOf('p.', CONSUMERS.deliver.commune), 'p.deliver-commune')
  t.same(CONSUMERS.webhooks.decode(topics.documents, doc, topics), { kind: 'document', record: doc }, 'the outbox tells documents from receipts by topic')
})
