/**
 * Standard Webhooks signing (https://www.standardwebhooks.com, spec §"Signature scheme"): the secret is
 * `whsec_` + base64 of 32 random bytes; the signature is `v1,` + base64(HMAC-SHA256(key, id.timestamp.body))
 * where key is the base64-decoded secret. Several signatures are space-separated: during a rotation's grace
 * period both the new and the previous secret sign, so a subscriber updating its secret loses nothing.
 */
import crypto from 'node:crypto'

export const SECRET_PREFIX = 'whsec_'

export const newSecret = () => `${SECRET_PREFIX}${crypto.randomBytes(32).toString('base64')}`

export function signature(secret: string, msgId: string, timestampSec: number, body: string): string {
  const key = Buffer.from(secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret, 'base64')
  return `v1,${crypto.createHmac('sha256', key).update(`${msgId}.${timestampSec}.${body}`).digest('base64')}`
}

export const signatures = (secrets: string[], msgId: string, timestampSec: number, body: string) => secrets.map((s) => signature(s, msgId, timestampSec, body)).join(' ')

/** The webhook-id of one event for one subscription: stable, so every retry and replay carries the same one. */
export const messageId = (subscriptionId: string, eventKey: string) =>
  `msg_${crypto.createHash('sha256').update(`${subscriptionId}\n${eventKey}`).digest('base64url').slice(0, 32)}`
