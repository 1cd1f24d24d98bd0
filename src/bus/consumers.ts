/**
 * The one catalogue of what this gateway consumes: each consumer group's name (after the deployment's
 * TOPIC_PREFIX), the topics it reads, how their records are decoded (src/bus/records.ts), and what it is
 * for. Workers start from it (src/bus/consume.ts), the metrics and `lgsp doctor` read it, so a group
 * is named in exactly one place.
 */
import { TIERS, type Tier } from '../routing/types.ts'
import { deadLetterRecord, deliveryRecord, documentRecord, receiptRecord } from './records.ts'
import type { DeadLetterRecord, DeliveryRecord, DocumentRecord, ReceiptRecord, Topics } from './topics.ts'

export interface ConsumerSpec<T> {
  /** the group name after TOPIC_PREFIX */
  name: string
  topics(t: Topics): string[]
  decode(topic: string, value: unknown, t: Topics): T
  /** one line for operators */
  role: string
}

/** What the webhook outbox reads: accepted documents and receipts, told apart by their topic. */
export type GatewayEventRecord = { kind: 'document'; record: DocumentRecord } | { kind: 'receipt'; record: ReceiptRecord }

const deliverySpec = (tier: Tier): ConsumerSpec<DeliveryRecord> => ({
  name: `deliver-${tier}`,
  topics: (t) => [t.deliver[tier]],
  decode: (_topic, v) => deliveryRecord(v),
  role: `delivers ${tier} recipients' records through their adapter (inbox, push, SOAP push)`,
})

export const CONSUMERS = {
  router: {
    name: 'router',
    topics: (t) => [t.documents],
    decode: (_topic, v) => documentRecord(v),
    role: "plans each accepted document's route and writes its deliveries and forwards",
  } satisfies ConsumerSpec<DocumentRecord>,
  deliver: Object.fromEntries(TIERS.map((tier) => [tier, deliverySpec(tier)])) as Record<Tier, ConsumerSpec<DeliveryRecord>>,
  forward: {
    name: 'forward',
    topics: (t) => [t.forward],
    decode: (_topic, v) => deliveryRecord(v),
    role: "forwards documents for other gateways' recipients to their gateway",
  } satisfies ConsumerSpec<DeliveryRecord>,
  receipts: {
    name: 'receipts',
    topics: (t) => [t.receipts],
    decode: (_topic, v) => receiptRecord(v),
    role: 'projects statuses and delivery events onto timelines and the status inbox',
  } satisfies ConsumerSpec<ReceiptRecord>,
  webhooks: {
    name: 'webhooks',
    topics: (t) => [t.documents, t.receipts],
    decode: (topic, v, t): GatewayEventRecord => (topic === t.documents ? { kind: 'document', record: documentRecord(v) } : { kind: 'receipt', record: receiptRecord(v) }),
    role: 'turns accepted documents and receipts into webhook deliveries (outbox)',
  } satisfies ConsumerSpec<GatewayEventRecord>,
  statusReturn: {
    name: 'status-return',
    topics: (t) => [t.receipts],
    decode: (_topic, v) => receiptRecord(v),
    role: 'returns statuses of federated documents to the gateway they came from, and recalls down',
  } satisfies ConsumerSpec<ReceiptRecord>,
  deadLetters: {
    name: 'ops-dlq',
    topics: (t) => [t.dlq],
    decode: (_topic, v) => deadLetterRecord(v),
    role: "mirrors the delivery dead-letter topic into the operators' table",
  } satisfies ConsumerSpec<DeadLetterRecord>,
}

/** Every consumer of the catalogue, flat. */
export function allConsumers(): ConsumerSpec<unknown>[] {
  const c = CONSUMERS
  return [c.router, ...TIERS.map((t) => c.deliver[t]), c.forward, c.receipts, c.webhooks, c.statusReturn, c.deadLetters]
}

export const groupOf = (prefix: string, spec: Pick<ConsumerSpec<unknown>, 'name'>) => `${prefix}${spec.name}`
