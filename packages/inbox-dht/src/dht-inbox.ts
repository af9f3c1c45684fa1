/**
 * The network `Inbox` of one inbox key (specs/inbox-dht/SPEC.md §6.8): a {@link DhtNode}
 * acting for the owner of the key at one location. A deposit goes to the location's r
 * closest holders and succeeds when one of them holds it; a fetch is one signed FETCH per
 * holder, the pages merged; a delete counts the distinct items removed, not the sum over
 * holders. A deposit the holders refuse because the owner deleted it is answered by a signed
 * RESTORE, then a second deposit, as {@link HolderInbox} does at one holder.
 */
import type { Envelope } from '@hush/envelope';
import {
  type AbortOptions,
  type Inbox,
  InboxError,
  type InboxErrorCode,
  type InboxPage,
  type InboxQuery,
  throwIfAborted,
} from '@hush/interface';
import type { DhtNode, ReplicaOutcome } from './dht-node.js';
import type { DhtErrorCode } from './errors.js';
import { fetchQueryOf, INBOX_CODES, itemIdOf, toInboxError } from './inbox-errors.js';
import { type InboxKeyPair, LOCATION_LENGTH, toHex } from './location.js';
import { ITEM_ID_LENGTH, MAX_REQUEST_IDS } from './requests.js';
import type { Contact } from './routing/contact.js';

/** Options of a `DhtInbox`. */
export interface DhtInboxOptions {
  /** The node that acts on the network. */
  readonly node: DhtNode;
  /** The inbox key pair (its public key is the descriptor's at `location`). */
  readonly key: InboxKeyPair;
  /** 32 bytes: the location of the inbox in the epoch this inbox serves. */
  readonly location: Uint8Array;
  /**
   * The location's holders when the caller already looked them up (a drain's fetch did):
   * deletes go to them without a lookup of their own.
   */
  readonly holders?: readonly Contact[];
}

/** A holder's refusal code as the `Inbox` caller's (as `HolderInbox` maps them, SPEC §6.6). */
/**
 * The InboxError of an operation no holder accepted: the code most holders refused with
 * ('refused' on a tie), or 'closed' when none answered.
 */
function outcomeError(what: string, outcome: ReplicaOutcome): InboxError {
  const votes = new Map<InboxErrorCode, number>();
  for (const [code, n] of Object.entries(outcome.refused) as [DhtErrorCode, number][])
    votes.set(INBOX_CODES[code], (votes.get(INBOX_CODES[code]) ?? 0) + n);
  let best: InboxErrorCode = 'closed';
  let most = 0;
  for (const [code, n] of votes)
    if (n > most || (n === most && code === 'refused')) [best, most] = [code, n];
  const refused = JSON.stringify(outcome.refused);
  return new InboxError(
    best,
    `${what}: no holder of ${outcome.holders.length} accepted (refused ${refused}, failed ${outcome.failed})`,
  );
}

/** One inbox location on the DHT, seen by the owner of the inbox key. */
export class DhtInbox implements Inbox<Envelope> {
  private readonly node: DhtNode;
  private readonly key: InboxKeyPair;
  private readonly location: Uint8Array;
  private readonly knownHolders: readonly Contact[] | undefined;

  /** @throws RangeError if the location is not 32 bytes */
  constructor(options: DhtInboxOptions) {
    if (options.location.length !== LOCATION_LENGTH)
      throw new RangeError(`a location is ${LOCATION_LENGTH} bytes`);
    this.node = options.node;
    this.key = options.key;
    this.location = options.location.slice();
    this.knownHolders = options.holders;
  }

  /**
   * Deposits at the location's holders: done when at least one holds it. Where holders
   * refused it ('refused': the owner deleted it, among other rules), a signed restore is
   * sent and, if it lifted a tombstone, the envelope deposited again.
   *
   * @throws InboxError 'full', 'refused' or 'closed' when no holder holds it
   */
  async deposit(envelope: Envelope, options: AbortOptions = {}): Promise<void> {
    throwIfAborted(options);
    try {
      let outcome = await this.node.deposit(this.location, envelope);
      const id = itemIdOf(envelope);
      if ((outcome.refused.refused ?? 0) > 0 && id) {
        const restored = await this.node.restore(this.key.secretKey, this.location, [id]);
        if (restored.restored > 0) {
          const again = await this.node.deposit(this.location, envelope);
          if (again.accepted > 0 || outcome.accepted === 0) outcome = again;
        }
      }
      if (outcome.accepted === 0) throw outcomeError('deposit', outcome);
    } catch (error) {
      throw toInboxError(error);
    }
  }

  /**
   * One page by a signed fetch to every holder, the pages merged (SPEC §6.7).
   *
   * @throws InboxError 'bad-cursor' for a cursor neither empty nor 36 bytes; 'closed' (or
   *   the holders' refusal) when no holder served it
   * @throws RangeError if `limit` is not a positive integer, `bloom` is not 64 bytes or there
   *   are more than 64 topics
   */
  async fetch(query: InboxQuery, options: AbortOptions = {}): Promise<InboxPage<Envelope>> {
    throwIfAborted(options);
    const fetchQuery = fetchQueryOf(query);
    try {
      const outcome = await this.node.fetch(this.key.secretKey, this.location, fetchQuery);
      if (outcome.accepted === 0) throw outcomeError('fetch', outcome);
      return outcome.page;
    } catch (error) {
      throw toInboxError(error);
    }
  }

  /**
   * Deletes at every holder; returns how many distinct items were removed (an item held by
   * several holders counts once): one signed delete per 256 ids, all to the holders of one
   * lookup, each holder answering the ids it removed. Ids not 36 bytes count nothing.
   *
   * @throws InboxError 'closed' (or the holders' refusal) when no holder served a delete
   */
  async delete(ids: readonly Uint8Array[], options: AbortOptions = {}): Promise<number> {
    throwIfAborted(options);
    const distinct = new Map<string, Uint8Array>();
    for (const id of ids)
      if (id instanceof Uint8Array && id.length === ITEM_ID_LENGTH) distinct.set(toHex(id), id);
    if (distinct.size === 0) return 0;
    const all = [...distinct.values()];
    try {
      const holders = this.knownHolders ?? (await this.node.holders(this.location));
      const removed = new Set<string>();
      for (let at = 0; at < all.length; at += MAX_REQUEST_IDS) {
        // Checked before each signed delete goes out: an abort during the lookup or an earlier
        // batch deletes nothing more.
        throwIfAborted(options);
        const outcome = await this.node.delete(
          this.key.secretKey,
          this.location,
          all.slice(at, at + MAX_REQUEST_IDS),
          { holders },
        );
        if (outcome.accepted === 0) throw outcomeError('delete', outcome);
        for (const id of outcome.removed) removed.add(toHex(id));
      }
      return removed.size;
    } catch (error) {
      throw toInboxError(error);
    }
  }
}
