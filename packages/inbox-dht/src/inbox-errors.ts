/**
 * What the DHT inbox's `Inbox` implementations (specs/inbox-dht/SPEC.md §6) share: how a
 * holder's refusal reads to an `Inbox` caller, and the item id of an envelope.
 */
import type { Envelope } from '@hush/envelope';
import { InboxError, type InboxErrorCode, StoreError } from '@hush/interface';
import { DhtError, type DhtErrorCode } from './errors.js';
import { envelopeItemId } from './inbox-wire.js';

/** The InboxError code of each DhtError code. */
export const INBOX_CODES: Readonly<Record<DhtErrorCode, InboxErrorCode>> = {
  full: 'full',
  quota: 'full',
  refused: 'refused',
  malformed: 'refused',
  stale: 'refused',
  'bad-signature': 'refused',
  closed: 'closed',
};

/** The InboxError a holder's or store's failure is to an `Inbox` caller; others unchanged. */
export function toInboxError(error: unknown): unknown {
  if (error instanceof DhtError)
    return new InboxError(INBOX_CODES[error.code] ?? 'refused', error.message, { cause: error });
  if (error instanceof StoreError && error.code === 'closed')
    return new InboxError('closed', error.message, { cause: error });
  return error;
}

/** The item id of an envelope (sent ‖ hash), undefined for a malformed one. */
export function itemIdOf(envelope: Envelope): Uint8Array | undefined {
  try {
    return envelopeItemId(envelope);
  } catch {
    return undefined;
  }
}
