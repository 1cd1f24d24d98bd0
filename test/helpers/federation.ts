/** Helpers for the federation and delivery suites: documents to any recipients, free ports, reading a topic, peer keys. */
import crypto from 'node:crypto'
import { freePort } from './free-port.ts'
import { Kafka, logLevel } from 'kafkajs'
import { fixture, startGateway, type TestGateway } from './gateway.ts'

/** The demo edXML package with another From, To list and DocumentId number (schema-valid, unsigned). */
export function edoc(from: string, to: string[], no: number): Buffer {
  const base = fixture('demo/commune-to-province.edxml').toString('utf8')
  const first = base.indexOf('<edXML:To>')
  const last = base.lastIndexOf('</edXML:To>') + '</edXML:To>'.length
  const tos = to
    .map(
      (o) => `<edXML:To>
          <edXML:OrganId>${o}</edXML:OrganId>
          <edXML:OrganizationInCharge>Cơ quan ${o}</edXML:OrganizationInCharge>
          <edXML:OrganName>Cơ quan ${o}</edXML:OrganName>
          <edXML:OrganAdd>Việt Nam</edXML:OrganAdd>
          <edXML:Email/>
          <edXML:Telephone/>
          <edXML:Fax/>
          <edXML:Website/>
        </edXML:To>`,
    )
    .join('\n        ')
  const xml = base.slice(0, first) + tos + base.slice(last)
  return Buffer.from(
    xml
      .replace('<edXML:OrganId>000.21.30.H41</edXML:OrganId>', `<edXML:OrganId>${from}</edXML:OrganId>`)
      .replace('<edXML:DocumentId>000.21.30.H41,2026/11/23,125/UBND-VP</edXML:DocumentId>', `<edXML:DocumentId>${from},2026/11/23,${no}/UBND-VP</edXML:DocumentId>`),
    'utf8',
  )
}

export { freePort }

export const linkKey = () => `lgsp_link_${crypto.randomBytes(18).toString('base64url')}`

/** A record as the tests read it back: key, decoded value, headers, where it sits. */
export type TopicRecord<T> = { key: string; value: T; headers: Record<string, unknown>; partition: number; offset: string }

/** Every record of `topics` (from the beginning), waiting at most `ms` until at least `n` have arrived. */
export async function readTopic<T>(topics: string | string[], n: number, ms = 20_000): Promise<TopicRecord<T>[]> {
  const kafka = new Kafka({ clientId: 'test-reader', brokers: process.env.KAFKA_BROKERS!.split(','), logLevel: logLevel.NOTHING })
  const consumer = kafka.consumer({ groupId: `test-reader-${crypto.randomBytes(4).toString('hex')}` })
  const out: TopicRecord<T>[] = []
  await consumer.connect()
  try {
    await consumer.subscribe({ topics: typeof topics === 'string' ? [topics] : topics, fromBeginning: true })
    let done!: () => void
    const enough = new Promise<void>((r) => {
      done = r
    })
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        out.push({ key: message.key?.toString() ?? '', value: JSON.parse(message.value!.toString()) as T, headers: { ...message.headers }, partition, offset: message.offset })
        if (out.length >= n) done()
      },
    })
    // the bound on the wait must not outlive it: a pending timer would keep the test file running for `ms`
    let timer: NodeJS.Timeout | undefined
    await Promise.race([enough, new Promise((r) => (timer = setTimeout(r, ms)))])
    clearTimeout(timer)
    return out
  } finally {
    await consumer.disconnect()
  }
}

export async function startFederation(t: Parameters<typeof startGateway>[0], provinces: string[], overrides: Parameters<typeof startGateway>[1] = {}) {
  const ports = await Promise.all([freePort(), ...provinces.map(() => freePort())])
  const url = (p: number) => `http://127.0.0.1:${p}`
  const centralUrl = url(ports[0]!)
  const keys = provinces.map(() => linkKey())
  const central = await startGateway(t, {
    ...overrides,
    port: ports[0]!,
    gatewayId: 'central',
    jurisdiction: ['*.G*'],
    peers: provinces.map((p, i) => ({ url: url(ports[i + 1]!), key: keys[i]!, jurisdiction: [`*.${p}`] })),
  })
  const gws: Record<string, TestGateway> = {}
  for (const [i, p] of provinces.entries()) {
    gws[p] = await startGateway(t, {
      ...overrides,
      port: ports[i + 1]!,
      gatewayId: p.toLowerCase(),
      jurisdiction: [`*.${p}`],
      parentGatewayUrl: centralUrl,
      peers: [{ url: centralUrl, key: keys[i]!, jurisdiction: ['*'] }],
    })
  }
  return { central, gws, urlOf: (p: string) => gws[p]!.url }
}
