/** The adapters this gateway can deliver through, by endpoint kind. Checked against the directory at boot. */
import type { DeliveryAdapter } from './adapter.ts'
import { inboxAdapter } from './inbox.ts'

export const ADAPTERS: ReadonlyMap<string, DeliveryAdapter> = new Map([[inboxAdapter.kind, inboxAdapter]])
