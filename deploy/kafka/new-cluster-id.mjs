// Prints a new Kafka cluster id: 16 random bytes, base64url (what `kafka-storage random-uuid` prints,
// without starting a JVM for it). Never one that starts with '-', as Kafka's own Uuid.randomUuid() also
// refuses: kafka-storage's argument parser would take it for an option ("argument --cluster-id/-t:
// expected one argument"). Used by start.sh and cluster.sh.
import { randomBytes } from 'node:crypto'

let id
do id = randomBytes(16).toString('base64url')
while (id.startsWith('-'))
process.stdout.write(id)
