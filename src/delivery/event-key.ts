/**
 * The key of one event on one recipient's leg of one document: `<document uuid>:<recipient>:<status>`,
 * with a qualifier where the same status may legitimately happen more than once (a status package's
 * hash, a redirection's target, a peer's tag). The ledger's `delivery_events.event_key` is unique on it
 * and receipts carry it, which is what makes every repeat harmless (src/delivery/contract.ts).
 * A leaf module, so the store can build keys without importing the contract that imports the store.
 */
export function eventKey(documentUuid: string, recipient: string, status: string, qualifier?: string): string {
  return qualifier === undefined ? `${documentUuid}:${recipient}:${status}` : `${documentUuid}:${recipient}:${status}:${qualifier}`
}

/** The key of an event of the whole document, not of one leg (the webhook `document.accepted`). */
export function documentEventKey(documentUuid: string, status: string): string {
  return `${documentUuid}:${status}`
}
