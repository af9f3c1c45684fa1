/**
 * What the DHT inbox's `Inbox` implementations (specs/inbox-dht/SPEC.md §6) share: how a
 * holder's refusal reads to an `Inbox` caller, the item id of an envelope, and how an `Inbox`
 * query becomes the query of a signed fetch.
 */
import type { Envelope } from '@hush/envelope';
import { InboxError, type InboxErrorCode, type InboxQuery, StoreError } from '@hush/interface';
import { DhtError, type DhtErrorCode } from './errors.js';
import { envelopeItemId } from './inbox-wire.js';
import {
  type FetchQuery,
  ITEM_ID_LENGTH,
  MAX_FETCH_LIMIT,
  MAX_REQUEST_TOPICS,
} from './requests.js';

/** The InboxError code of each DhtError code. */
export const INBOX_CODES: Readonly<Record<DhtErrorCode, InboxErrorCode>> = {
  full: 'full',
  quota: 'full',
  refused: 'refused',
  malformed: 'refused',
  stale: 'refused',
  'bad-signature': 'refused',
  'bad-address': 'refused',
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

/**
 * The query of a signed fetch (§6.1) for an `Inbox` query: checked as the `Inbox` contract
 * says, from and to clamped to uint32, the limit to 1,000, a bloom only when no topics.
 *
 * @throws InboxError 'bad-cursor' for a cursor neither empty nor 36 bytes
 * @throws RangeError if `limit` is not a positive integer, `bloom` is not 64 bytes or there
 *   are more than 64 topics
 */
export function fetchQueryOf(query: InboxQuery): FetchQuery {
  if (!Number.isInteger(query.limit) || query.limit < 1)
    throw new RangeError(`limit must be a positive integer, not ${query.limit}`);
  if (query.bloom && query.bloom.length !== 64) throw new RangeError('bloom must be 64 bytes');
  const cursor = query.cursor ?? new Uint8Array(0);
  if (cursor.length !== 0 && cursor.length !== ITEM_ID_LENGTH)
    throw new InboxError('bad-cursor', `cursor must be empty or ${ITEM_ID_LENGTH} bytes`);
  const topics = query.topics ?? [];
  if (topics.length > MAX_REQUEST_TOPICS)
    throw new RangeError(`at most ${MAX_REQUEST_TOPICS} topics`);
  const clamp = (n: number) => Math.min(0xffffffff, Math.max(0, Math.floor(n)));
  return {
    from: clamp(query.from ?? 0),
    to: clamp(query.to ?? 0xffffffff),
    topics,
    bloom: topics.length ? new Uint8Array(0) : (query.bloom ?? new Uint8Array(0)),
    limit: Math.min(query.limit, MAX_FETCH_LIMIT),
    cursor,
  };
}
