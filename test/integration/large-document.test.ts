/**
 * Real packages carry attachments of tens of MB (Base64 in one text node). A 12 MB attachment crosses the
 * gateway: accepted, delivered byte-identical, and downloadable decoded — while the payload stays out of
 * Kafka (claim-check: records carry the hash).
 */
import t from 'tap'
import crypto from 'node:crypto'
import { eventually, fixture, startGateway } from '../helpers/gateway.ts'
import { Kafka, logLevel } from 'kafkajs'

const COMMUNE = '000.21.30.H41'
const PROVINCE = '000.00.00.H41'

t.test('a package with a 12 MB attachment crosses the gateway; Kafka records stay small', async (t) => {
  const gw = await startGateway(t)
  const file = crypto.randomBytes(12 * 1024 * 1024)
  const doc = await gw.sign(
    COMMUNE,
    Buffer.from(
      fixture('demo/commune-to-province.edxml')
        .toString('utf8')
        .replace(
          '<edXML:edXMLManifest version="1.0"/>',
          `<edXML:edXMLManifest version="1.0">
        <edXML:Reference>
          <edXML:ContentId>cid:1</edXML:ContentId>
          <edXML:ContentType>application/pdf</edXML:ContentType>
          <edXML:Description>Báo cáo thiệt hại</edXML:Description>
          <edXML:AttachmentName>bao-cao-thiet-hai.pdf</edXML:AttachmentName>
        </edXML:Reference>
      </edXML:edXMLManifest>`,
        )
        .replace(
          '</edXML>',
          `  <AttachmentEncoded>
    <Attachment>
      <ContentId>cid:1</ContentId>
      <AttachmentName>bao-cao-thiet-hai.pdf</AttachmentName>
      <Description>Báo cáo thiệt hại</Description>
      <ContentType>application/pdf</ContentType>
      <edXML:ContentTransferEncoded xmlns:edXML="http://www.mic.gov.vn/TBT/QCVN_102_2016">${file.toString('base64')}</edXML:ContentTransferEncoded>
    </Attachment>
  </AttachmentEncoded>
</edXML>`,
        ),
      'utf8',
    ),
  )
  t.ok(doc.length > 16 * 1024 * 1024, `the package is ${(doc.length / 1048576).toFixed(1)} MiB`)

  const res = await gw.call(COMMUNE, 'POST', '/v1/documents', doc)
  t.equal(res.status, 202, 'accepted')
  const item = await eventually(async () => ((await (await gw.call(PROVINCE, 'GET', '/v1/inbox')).json()) as { items: { id: string }[] }).items[0], 60_000, 'delivery')
  const got = Buffer.from(await (await gw.call(PROVINCE, 'GET', `/v1/inbox/${item.id}`)).arrayBuffer())
  t.ok(got.equals(doc), 'delivered byte-identical')
  const att = await gw.call(PROVINCE, 'GET', `/v1/inbox/${item.id}/attachments/cid:1`)
  t.equal(att.status, 200)
  t.ok(Buffer.from(await att.arrayBuffer()).equals(file), 'the attachment downloads decoded, identical')

  // every record on every topic is small: the payload lives in the blob store
  const kafka = new Kafka({ clientId: 'size-check', brokers: process.env.KAFKA_BROKERS!.split(','), logLevel: logLevel.NOTHING })
  const consumer = kafka.consumer({ groupId: `size-check-${crypto.randomUUID()}` })
  await consumer.connect()
  await consumer.subscribe({ topics: [gw.rt.topics.documents, gw.rt.topics.deliver.province], fromBeginning: true })
  const sizes: number[] = []
  await consumer.run({
    eachMessage: async ({ message }) => {
      sizes.push(message.value?.length ?? 0)
    },
  })
  await eventually(async () => sizes.length >= 2, 30_000, 'records read back')
  await consumer.disconnect()
  t.ok(Math.max(...sizes) < 4096, `largest record ${Math.max(...sizes)} bytes`)
})
