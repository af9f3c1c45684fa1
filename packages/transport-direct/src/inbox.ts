/**
 * The receiving side of store-and-forward (specs/transport-direct/SPEC.md §7.3): every
 * message a contact's channel delivered, kept in a `Store` until the application deletes it,
 * and the ids already received from each contact, so that a retransmission (the
 * acknowledgement was lost, or the node was killed before sending it) is acknowledged again
 * and never kept twice. The message and the mark that it was received are written in one
 * batch, before the acknowledgement leaves: whatever moment the node is killed at, a message
 * is either kept once or not acknowledged.
 *
 * It is an `Inbox` of `@hush/interface`, in creation-time order (expiry − ttl) like every
 * inbox; an item's id is its 36-byte position, sent ‖ hash, which is also the cursor form.
 *
 * Keys:
 *   `direct/in/<sent, 8 hex>/<hash, 64 hex>` → RLP [peer, [parent, …], envelope, received]
 *   `direct/seen/<peer>/<hash, 64 hex>`      → last received, ms
 */
import { bloomFilterMatch, topicToBloom } from '@hush/bloom';
import { decodeEnvelope, type Envelope, encodeEnvelope, envelopeHash } from '@hush/envelope';
import {
  type AbortOptions,
  type Inbox,
  InboxError,
  type InboxItem,
  type InboxPage,
  type InboxQuery,
  type PeerId,
  type Store,
  type StoreOperation,
  throwIfAborted,
} from '@hush/interface';
import { encodeBytes, encodeList, encodeUint, RlpStream } from '@hush/rlp';
import type { DirectMessage } from './frames.js';
import { fromHex, hex } from './hex.js';

const IN = 'direct/in/';
const SEEN = 'direct/seen/';
const POSITION_LENGTH = 36;
const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();
/** Keys one page reads at most, kept or skipped. */
const MAX_SCAN = 100_000;

/** A message kept in the inbox. */
export interface ReceivedMessage extends InboxItem<Envelope> {
  /** The contact it came from (empty for a local deposit). */
  readonly peer: PeerId | '';
  readonly hash: Uint8Array;
  readonly parents: readonly Uint8Array[];
  /** When it was received, ms. */
  readonly received: number;
}

function sentOf(envelope: Envelope): number {
  return (envelope.expiry - envelope.ttl) >>> 0;
}

function keyAt(sent: number, hashHex: string): string {
  return `${IN}${sent.toString(16).padStart(8, '0')}/${hashHex}`;
}

function positionOfKey(key: string): Uint8Array {
  const position = new Uint8Array(POSITION_LENGTH);
  new DataView(position.buffer).setUint32(
    0,
    Number.parseInt(key.slice(IN.length, IN.length + 8), 16),
  );
  position.set(fromHex(key.slice(IN.length + 9)), 4);
  return position;
}

function positionOf(sent: number, hash: Uint8Array): Uint8Array {
  const position = new Uint8Array(POSITION_LENGTH);
  new DataView(position.buffer).setUint32(0, sent);
  position.set(hash, 4);
  return position;
}

function keyOfPosition(position: Uint8Array): string {
  const sent = new DataView(position.buffer, position.byteOffset, 4).getUint32(0);
  return keyAt(sent, hex(position.subarray(4)));
}

function encodeRecord(
  peer: string,
  parents: readonly Uint8Array[],
  encoded: Uint8Array,
  received: number,
): Uint8Array {
  return encodeList([
    encodeBytes(utf8.encode(peer)),
    encodeList(parents.map((parent) => encodeBytes(parent))),
    encodeBytes(encoded),
    encodeUint(received),
  ]);
}

function decodeRecord(key: string, bytes: Uint8Array): ReceivedMessage {
  const s = new RlpStream(bytes);
  s.list();
  const peer = fromUtf8.decode(s.view()) as PeerId | '';
  const parents: Uint8Array[] = [];
  s.list();
  while (!s.atListEnd()) parents.push(s.string());
  s.leave();
  const envelope = decodeEnvelope(s.view());
  const received = s.uintNumber();
  const id = positionOfKey(key);
  return { id, envelope, peer, parents, received, hash: id.slice(4) };
}

/** What the inbox may hold. */
export interface DirectInboxLimits {
  /** Messages kept at most (default 1,000,000); past it a contact's messages are not acknowledged. */
  readonly maxItems: number;
  /** How long a received id is remembered after it was last received, ms (default 30 days). */
  readonly seenRetentionMs: number;
}

/** The default inbox limits. */
export const DEFAULT_INBOX_LIMITS: DirectInboxLimits = {
  maxItems: 1_000_000,
  seenRetentionMs: 30 * 24 * 3600 * 1000,
};

/** The messages contacts delivered, until the application deletes them. */
export class DirectInbox implements Inbox<Envelope> {
  private readonly store: Store;
  private readonly limits: DirectInboxLimits;
  private items: number;
  /** Every `<peer>/<hash>` received within the retention: the store's seen marks, in memory. */
  private readonly seen: Set<string>;
  private chain: Promise<unknown> = Promise.resolve();

  private constructor(store: Store, limits: DirectInboxLimits, items: number, seen: Set<string>) {
    this.store = store;
    this.limits = limits;
    this.items = items;
    this.seen = seen;
  }

  /**
   * Opens the inbox in `store`, counting what it holds and forgetting received ids past the
   * retention.
   *
   * @throws what the store throws
   */
  static async open(
    store: Store,
    options: { limits?: Partial<DirectInboxLimits>; now: number },
  ): Promise<DirectInbox> {
    const limits = { ...DEFAULT_INBOX_LIMITS, ...options.limits };
    let items = 0;
    for await (const _ of store.range({ gte: IN, lt: `${IN}\uffff` })) items++;
    const expired: StoreOperation[] = [];
    const seen = new Set<string>();
    const oldest = options.now - limits.seenRetentionMs;
    for await (const [key, value] of store.range({ gte: SEEN, lt: `${SEEN}\uffff` })) {
      let time = 0;
      try {
        time = new RlpStream(value).uintNumber();
      } catch {}
      if (time < oldest) expired.push({ type: 'del', key });
      else seen.add(key.slice(SEEN.length));
    }
    if (expired.length) await store.batch(expired);
    return new DirectInbox(store, limits, items, seen);
  }

  /** How many messages the inbox holds. */
  get size(): number {
    return this.items;
  }

  private serial<T>(task: () => Promise<T>): Promise<T> {
    const next = this.chain.then(task, task);
    this.chain = next.catch(() => undefined);
    return next;
  }

  /**
   * Takes the messages of one frame from `peer`: those not received before are kept, each
   * with the mark that it was received, in one batch. Returns the new ones (to hand to
   * subscribers) and the ids to acknowledge: every message kept now or before, none that
   * did not fit (the contact sends it again later).
   *
   * @throws what the store throws (nothing is then acknowledged)
   */
  receive(
    peer: PeerId,
    messages: readonly DirectMessage[],
    now: number,
  ): Promise<{ fresh: ReceivedMessage[]; acks: Uint8Array[]; refused: number }> {
    return this.serial(async () => {
      const fresh: ReceivedMessage[] = [];
      const acks: Uint8Array[] = [];
      const operations: StoreOperation[] = [];
      const time = encodeUint(now);
      const marked = new Set<string>();
      let refused = 0;
      for (const message of messages) {
        const hashHex = hex(message.id);
        const mark = `${peer}/${hashHex}`;
        // A retransmission refreshes its mark, so the mark outlives the sender's retries.
        operations.push({ type: 'put', key: `${SEEN}${mark}`, value: time });
        if (this.seen.has(mark) || marked.has(mark)) {
          acks.push(message.id);
          continue;
        }
        if (this.items + fresh.length >= this.limits.maxItems) {
          operations.pop();
          refused++;
          continue;
        }
        marked.add(mark);
        const key = keyAt(sentOf(message.envelope), hashHex);
        operations.push({
          type: 'put',
          key,
          value: encodeRecord(peer, message.parents, message.encoded, now),
        });
        const id = positionOf(sentOf(message.envelope), message.id);
        fresh.push({
          id,
          envelope: message.envelope,
          peer,
          parents: message.parents,
          received: now,
          hash: message.id,
        });
        acks.push(message.id);
      }
      if (operations.length) await this.store.batch(operations);
      for (const mark of marked) this.seen.add(mark);
      this.items += fresh.length;
      return { fresh, acks, refused };
    });
  }

  /**
   * Keeps an envelope that did not come over a channel (the `Inbox` deposit). One already
   * kept changes nothing.
   *
   * @throws InboxError 'full' past the item limit; what the store throws
   */
  deposit(envelope: Envelope, options: AbortOptions = {}): Promise<void> {
    throwIfAborted(options);
    const encoded = encodeEnvelope(envelope);
    const key = keyAt(sentOf(envelope), hex(envelopeHash(envelope)));
    return this.serial(async () => {
      if ((await this.store.get(key)) !== undefined) return;
      if (this.items >= this.limits.maxItems)
        throw new InboxError('full', `the inbox holds ${this.items} messages`);
      await this.store.put(key, encodeRecord('', [], encoded, 0));
      this.items++;
    });
  }

  /**
   * One page, oldest first (by creation time, then hash), from `query.cursor` on.
   *
   * @throws InboxError 'bad-cursor' if the cursor is neither empty nor 36 bytes
   * @throws RangeError if `limit` is not a positive integer or `bloom` is not 64 bytes
   * @throws what the store throws
   */
  async fetch(query: InboxQuery, options: AbortOptions = {}): Promise<InboxPage<Envelope>> {
    const page = await this.page(query, options);
    return { items: page.items, cursor: page.cursor };
  }

  /**
   * `fetch` with everything kept of each message: the contact, its parents, when it came.
   *
   * @throws as `fetch`
   */
  async page(
    query: InboxQuery,
    options: AbortOptions = {},
  ): Promise<{ items: ReceivedMessage[]; cursor: Uint8Array }> {
    throwIfAborted(options);
    if (!Number.isInteger(query.limit) || query.limit < 1)
      throw new RangeError(`limit must be a positive integer, not ${query.limit}`);
    if (query.bloom && query.bloom.length !== 64) throw new RangeError('bloom must be 64 bytes');
    const cursor = query.cursor ?? new Uint8Array(0);
    if (cursor.length !== 0 && cursor.length !== POSITION_LENGTH)
      throw new InboxError('bad-cursor', `cursor must be empty or ${POSITION_LENGTH} bytes`);
    const from = query.from ?? 0;
    const to = query.to ?? 0xffffffff;
    if (to < from) return { items: [], cursor: new Uint8Array(0) };
    let gte = keyAt(from, '');
    if (cursor.length) {
      // Every key has the same length, so the cursor's key followed by anything sorts after
      // it and before every greater key.
      const after = `${keyOfPosition(cursor)}\u0000`;
      if (after > gte) gte = after;
    }
    const lt = to >= 0xffffffff ? `${IN}\uffff` : keyAt(to + 1, '');
    const wants = topicTest(query);
    const items: ReceivedMessage[] = [];
    let scanned = 0;
    let last: string | undefined;
    let more = false;
    for await (const [key, value] of this.store.range({ gte, lt })) {
      if (items.length === query.limit || scanned === MAX_SCAN) {
        more = true;
        break;
      }
      scanned++;
      last = key;
      let message: ReceivedMessage;
      try {
        message = decodeRecord(key, value);
      } catch {
        continue;
      }
      if (wants(message.envelope.topic)) items.push(message);
    }
    return { items, cursor: more && last ? positionOfKey(last) : new Uint8Array(0) };
  }

  /**
   * Deletes messages by their ids (36 bytes, as pages give them); returns how many were
   * held. Other ids count nothing. Their received marks stay, so a retransmission is still
   * recognised.
   *
   * @throws what the store throws
   */
  delete(ids: readonly Uint8Array[], options: AbortOptions = {}): Promise<number> {
    throwIfAborted(options);
    return this.serial(async () => {
      const keys = new Set<string>();
      for (const id of ids) {
        if (!(id instanceof Uint8Array) || id.length !== POSITION_LENGTH) continue;
        const key = keyOfPosition(id);
        if ((await this.store.get(key)) !== undefined) keys.add(key);
      }
      if (keys.size) await this.store.batch([...keys].map((key) => ({ type: 'del', key })));
      this.items -= keys.size;
      return keys.size;
    });
  }
}

function topicTest(query: InboxQuery): (topic: Uint8Array) => boolean {
  if (query.topics && query.topics.length > 0) {
    const wanted = new Set(query.topics.map(hex));
    return (topic) => wanted.has(hex(topic));
  }
  const bloom = query.bloom;
  if (!bloom) return () => true;
  return (topic) => bloomFilterMatch(bloom, topicToBloom(topic));
}
