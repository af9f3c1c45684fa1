/**
 * An `Inbox` of @hush/interface over one holder and one location, for the owner of the inbox
 * key (specs/inbox-dht/SPEC.md §6.6): it signs every fetch, delete and restore itself, so the
 * holder's rules (window, replay, signature) apply to it as to a remote owner. A deposit of
 * an envelope the owner deleted lifts its tombstone first by a signed restore: only the
 * inbox key brings a deleted item back.
 */
import type { Envelope } from '@hush/envelope';
import {
  type AbortOptions,
  type Clock,
  type Inbox,
  type InboxPage,
  type InboxQuery,
  throwIfAborted,
} from '@hush/interface';
import { DhtError } from './errors.js';
import type { Holder } from './holder.js';
import { fetchQueryOf, itemIdOf, toInboxError } from './inbox-errors.js';
import { type InboxKeyPair, LOCATION_LENGTH } from './location.js';
import {
  ITEM_ID_LENGTH,
  MAX_REQUEST_IDS,
  requestNonce,
  signRequest,
  type UnsignedRequest,
} from './requests.js';

/** Options of a `HolderInbox`. */
export interface HolderInboxOptions {
  readonly holder: Holder;
  /** The inbox key pair (its public key is the descriptor's at `location`). */
  readonly key: InboxKeyPair;
  /** 32 bytes: the location of the inbox in the epoch this inbox serves. */
  readonly location: Uint8Array;
  /** The clock requests are timestamped by. */
  readonly clock: Clock;
  /** The peer deposits are counted against (default '', the node itself). */
  readonly peer?: string;
}

/** One inbox location at one holder, seen by the owner of the inbox key. */
export class HolderInbox implements Inbox<Envelope> {
  private readonly holder: Holder;
  private readonly key: InboxKeyPair;
  private readonly location: Uint8Array;
  private readonly clock: Clock;
  private readonly peer: string;

  /** @throws RangeError if the location is not 32 bytes */
  constructor(options: HolderInboxOptions) {
    if (options.location.length !== LOCATION_LENGTH)
      throw new RangeError(`a location is ${LOCATION_LENGTH} bytes`);
    this.holder = options.holder;
    this.key = options.key;
    this.location = options.location.slice();
    this.clock = options.clock;
    this.peer = options.peer ?? '';
  }

  private sign(
    request:
      | { op: 'fetch'; query: Extract<UnsignedRequest, { op: 'fetch' }>['query'] }
      | { op: 'delete' | 'restore'; ids: readonly Uint8Array[] },
  ) {
    const head = { location: this.location, timestamp: this.clock.now(), nonce: requestNonce() };
    return signRequest({ ...head, ...request } as UnsignedRequest, this.key.secretKey);
  }

  /**
   * Deposits at the holder; one the owner deleted is restored first.
   *
   * @throws InboxError 'full', 'refused' or 'closed'
   */
  async deposit(envelope: Envelope, options: AbortOptions = {}): Promise<void> {
    throwIfAborted(options);
    try {
      await this.holder.deposit(this.location, envelope, { peer: this.peer });
    } catch (error) {
      if (!(error instanceof DhtError) || error.code !== 'refused') throw toInboxError(error);
      // Deleted by the owner: lift the tombstone (signed), then deposit again.
      const id = itemIdOf(envelope);
      if (!id || !(await this.holder.tombstoned(this.location, id))) throw toInboxError(error);
      try {
        await this.holder.restore(this.sign({ op: 'restore', ids: [id] }));
        await this.holder.deposit(this.location, envelope, { peer: this.peer });
      } catch (again) {
        throw toInboxError(again);
      }
    }
  }

  /**
   * One page by a signed fetch.
   *
   * @throws InboxError 'bad-cursor' for a cursor neither empty nor 36 bytes, 'closed'
   * @throws RangeError if `limit` is not a positive integer or `bloom` is not 64 bytes
   */
  async fetch(query: InboxQuery, options: AbortOptions = {}): Promise<InboxPage<Envelope>> {
    throwIfAborted(options);
    const request = this.sign({
      op: 'fetch',
      query: fetchQueryOf(query),
    });
    try {
      return await this.holder.fetch(request);
    } catch (error) {
      throw toInboxError(error);
    }
  }

  /**
   * Deletes by signed requests (up to 256 ids each); ids not 36 bytes count nothing.
   *
   * @throws InboxError 'closed'
   */
  async delete(ids: readonly Uint8Array[], options: AbortOptions = {}): Promise<number> {
    throwIfAborted(options);
    const valid = ids.filter((id) => id instanceof Uint8Array && id.length === ITEM_ID_LENGTH);
    let deleted = 0;
    for (let at = 0; at < valid.length; at += MAX_REQUEST_IDS) {
      const chunk = valid.slice(at, at + MAX_REQUEST_IDS);
      try {
        deleted += await this.holder.delete(this.sign({ op: 'delete', ids: chunk }));
      } catch (error) {
        throw toInboxError(error);
      }
    }
    return deleted;
  }
}
