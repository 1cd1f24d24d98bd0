/** OpenAPI / response schemas of what the 2025 reorganisation adds to answers (src/routing/succession.ts). */

export const redirectionSchema = {
  type: 'object',
  description: "present when the package named a closed agency: it is delivered to that agency's successor (organId), the signed bytes unchanged",
  properties: {
    addressedTo: { type: 'string', description: 'the closed code the package names' },
    chain: { type: 'array', items: { type: 'string' }, description: 'every code followed, addressed one first (A → B → C)' },
    closedOn: { type: 'string', format: 'date', description: 'effective date of the closure' },
  },
} as const

export const senderClosedSchema = {
  type: 'object',
  description: 'the From is a closed agency, accepted inside the grace period (CLOSED_SENDER_GRACE_DAYS); after graceUntil it is refused SENDER_CLOSED',
  properties: {
    closedOn: { type: 'string', format: 'date' },
    graceUntil: { type: 'string', format: 'date-time' },
    successors: { type: 'array', items: { type: 'string' } },
  },
} as const
