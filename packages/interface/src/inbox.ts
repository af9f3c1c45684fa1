/**
 * Inboxes: envelopes kept for someone until fetched. The mailserver's archive, the DHT inbox
 * and a direct channel's store-and-forward queue implement {@link Inbox} and run
 * `inboxCompliance` of `@hush/interface-compliance`.
 */
import type { AbortOptions } from './abort.js';
import type { WireEnvelope } from './envelopes.js';
import { HushError } from './errors.js';

/** Which envelopes to fetch. */
export interface InboxQuery {
  /** Creation time (expiry − ttl), unix seconds, inclusive lower bound (default 0). */
  readonly from?: number;
  /** Creation time, unix seconds, inclusive upper bound (default: no bound). */
  readonly to?: number;
  /** Only these topics (4 bytes each), when given. */
  readonly topics?: readonly Uint8Array[];
  /** Only topics this 64-byte bloom filter admits, when given and `topics` is not. */
  readonly bloom?: Uint8Array;
  /** At most this many envelopes (the inbox may serve fewer). */
  readonly limit: number;
  /** Where the previous page ended; empty or absent for the first page. */
  readonly cursor?: Uint8Array;
}

/** One envelope of a page, with the id that deletes it. */
export interface InboxItem<E extends WireEnvelope = WireEnvelope> {
  readonly id: Uint8Array;
  readonly envelope: E;
}

/** One page of an inbox. */
export interface InboxPage<E extends WireEnvelope = WireEnvelope> {
  /** Oldest first. */
  readonly items: readonly InboxItem<E>[];
  /** Where the next page starts; empty when there is none. */
  readonly cursor: Uint8Array;
}

/** Why an inbox refused an operation. */
export type InboxErrorCode =
  /** The inbox holds as much as it may; nothing unexpired is evicted to make room. */
  | 'full'
  /** The envelope breaks the inbox's rules (size, TTL, PoW, already expired). */
  | 'refused'
  /** A cursor that this inbox did not give out. */
  | 'bad-cursor'
  | 'closed';

/** An inbox operation refused. */
export class InboxError extends HushError<InboxErrorCode> {
  override readonly name = 'InboxError';
}

/** Keeps envelopes until they are fetched and deleted (or expire). */
export interface Inbox<E extends WireEnvelope = WireEnvelope> {
  /**
   * Keeps one envelope; depositing it again changes nothing.
   *
   * @throws InboxError 'full', 'refused' or 'closed'
   */
  deposit(envelope: E, options?: AbortOptions): Promise<void>;
  /**
   * One page of what the query asks for, oldest first; following the cursors gives every
   * matching envelope exactly once.
   *
   * @throws InboxError 'bad-cursor' or 'closed'
   */
  fetch(query: InboxQuery, options?: AbortOptions): Promise<InboxPage<E>>;
  /**
   * Deletes items by the ids a page gave; returns how many were there.
   *
   * @throws InboxError 'closed'
   */
  delete(ids: readonly Uint8Array[], options?: AbortOptions): Promise<number>;
}
