/**
 * The mailserver archive (specs/mailserver §3, §4): every envelope the node accepts, in a
 * `Store` under `archive/<sent, 8 hex>/<hash, 64 hex>/<topic, 8 hex>` (creation time, hash
 * and topic, the order of Status's mailserver database keys), so that history is read in
 * creation-time order, envelopes whose topic a query refuses are skipped without being read,
 * and a page ends with a 36-byte cursor (sent ‖ hash of the last envelope read). Pruned by
 * retention. It is an `Inbox` of `@hush/interface`: an item's id is its 36-byte sent ‖ hash,
 * the cursor format.
 */
import { bloomFilterMatch, topicToBloom } from '@hush/bloom';
import { decodeEnvelope, type Envelope, encodeEnvelope, envelopeSent } from '@hush/envelope';
import {
  type AbortOptions,
  type Inbox,
  InboxError,
  type InboxPage,
  type InboxQuery,
  type Store,
  throwIfAborted,
} from '@hush/interface';
import { keccak256 } from '@hush/keccak';
import { fromHex, toHex } from './hex.js';
import { CURSOR_LENGTH } from './request.js';

const PREFIX = 'archive/';
const timeKey = (seconds: number) => `${PREFIX}${(seconds >>> 0).toString(16).padStart(8, '0')}/`;
const keyOf = (envelope: Envelope, hash: Uint8Array) =>
  `${timeKey(envelopeSent(envelope))}${toHex(hash)}/${toHex(envelope.topic)}`;
/** Keys one page may read, served or skipped, at most. */
const MAX_SCAN = 100_000;
/** Bytes of envelopes one page holds at most (past this, the page ends). */
const MAX_PAGE_BYTES = 8 * 1024 * 1024;
/** Where a key's hash starts, and every key's length. */
const HASH_AT = PREFIX.length + 9;
const KEY_LENGTH = HASH_AT + 64 + 1 + 8;
/** Keys deleted per store batch. */
const DELETE_BATCH = 1000;

/** The 36-byte sent ‖ hash of an archive key (an item id, or a cursor). */
function positionOf(key: string): Uint8Array {
  const position = new Uint8Array(CURSOR_LENGTH);
  new DataView(position.buffer).setUint32(
    0,
    Number.parseInt(key.slice(PREFIX.length, PREFIX.length + 8), 16),
  );
  position.set(fromHex(key.slice(HASH_AT, HASH_AT + 64)), 4);
  return position;
}

/** The key prefix of the envelope at a 36-byte position: `archive/<sent>/<hash>`. */
function keyPrefixOf(position: Uint8Array): string {
  const sent = new DataView(position.buffer, position.byteOffset, 4).getUint32(0);
  return `${timeKey(sent)}${toHex(position.subarray(4, CURSOR_LENGTH))}`;
}

/** One page of history. */
export interface ArchivePage {
  /** Oldest first. */
  readonly envelopes: Envelope[];
  /** Their canonical encodings, as stored (for sizing batches without encoding again). */
  readonly encoded: Uint8Array[];
  /** Each envelope's 36-byte id, sent ‖ hash (what {@link Archive.delete} takes). */
  readonly ids: Uint8Array[];
  /** The hash of the last envelope of the page (zeros when empty). */
  readonly lastHash: Uint8Array;
  /** Where the next page starts (36 bytes); empty when there is none. */
  readonly cursor: Uint8Array;
}

/**
 * Which topics a query wants: exact topics when given and non-empty, else those the bloom
 * admits, else every topic.
 */
export interface TopicSelection {
  readonly bloom?: Uint8Array;
  readonly topics?: readonly Uint8Array[];
}

/**
 * The archive over a store. Its cursors are positions, not tokens: any 36-byte cursor is
 * served from (one before the range is clamped to it, and no key outside the archive is ever
 * read whatever a peer sends); any other non-empty cursor is refused.
 *
 * @example
 * ```ts
 * const archive = new Archive(store);
 * await archive.deposit(envelope);
 * const page = await archive.fetch({ from: 0, topics: [topic], limit: 100 });
 * await archive.delete(page.items.map((item) => item.id));
 * ```
 */
export class Archive implements Inbox<Envelope> {
  private readonly store: Store;

  constructor(store: Store) {
    this.store = store;
  }

  /**
   * Stores an envelope whose encoding and hash are known; resolves once the store has it.
   *
   * @throws StoreError of the store
   */
  async add(envelope: Envelope, encoded: Uint8Array, hash: Uint8Array): Promise<void> {
    await this.store.put(keyOf(envelope, hash), encoded);
  }

  /**
   * Stores an envelope (the `Inbox` form of {@link add}); depositing it again changes
   * nothing. The archive keeps history, so an expired envelope is kept too.
   *
   * @throws StoreError of the store
   */
  async deposit(envelope: Envelope, options: AbortOptions = {}): Promise<void> {
    throwIfAborted(options);
    const encoded = encodeEnvelope(envelope);
    await this.add(envelope, encoded, keccak256(encoded));
  }

  /**
   * Whether the archive holds this envelope (`hash` is its hash).
   *
   * @throws StoreError of the store
   */
  async has(envelope: Envelope, hash: Uint8Array): Promise<boolean> {
    return (await this.store.get(keyOf(envelope, hash))) !== undefined;
  }

  /**
   * Envelopes created in [lower, upper] whose topic the selection admits, oldest first, at
   * most `limit` (and at most 8 MiB, reading at most 10 × `limit` keys), starting after
   * `cursor`. A full page ends with a cursor only if an envelope the selection admits follows
   * in the range (looked for within the same bounds); a page cut short by those bounds still
   * ends with a cursor, possibly with fewer envelopes than asked, even none.
   *
   * @throws InboxError 'bad-cursor' if `cursor` is neither empty nor 36 bytes
   * @throws StoreError of the store
   */
  async query(
    lower: number,
    upper: number,
    selection: TopicSelection,
    limit: number,
    cursor: Uint8Array,
  ): Promise<ArchivePage> {
    if (cursor.length !== 0 && cursor.length !== CURSOR_LENGTH)
      throw new InboxError('bad-cursor', `cursor must be empty or ${CURSOR_LENGTH} bytes`);
    const first = timeKey(lower);
    let start = first;
    // '0' follows '/': past every key of the cursor's envelope.
    if (cursor.length > 0) {
      const after = `${keyPrefixOf(cursor)}0`;
      if (after > first) start = after;
    }
    const end = upper >= 0xffffffff ? `${PREFIX}~` : timeKey(upper + 1);
    const wanted = topicTest(selection);
    // Work per page is bounded however little matches: keys read (served or skipped) and
    // bytes served. A page cut short ends with a cursor at the last key read.
    const scanBudget = Math.min(MAX_SCAN, Math.max(limit, 1) * 10);
    const envelopes: Envelope[] = [];
    const encodings: Uint8Array[] = [];
    const ids: Uint8Array[] = [];
    let lastRead = '';
    let scanned = 0;
    let bytes = 0;
    let more = false;
    for await (const [key, encoded] of this.store.range({ gte: start, lt: end })) {
      if (scanned >= scanBudget || bytes >= MAX_PAGE_BYTES) {
        more = true;
        break;
      }
      scanned++;
      if (key.length !== KEY_LENGTH) continue;
      const admitted = wanted(key.slice(KEY_LENGTH - 8));
      if (envelopes.length >= limit) {
        // A full page looks ahead, within the same budget, for one more envelope the request
        // admits: only then is there a next page. Other topics' envelopes later in the range
        // do not make the requester ask again for nothing.
        if (admitted) {
          more = true;
          break;
        }
        lastRead = key;
        continue;
      }
      lastRead = key;
      if (!admitted) continue;
      let envelope: Envelope;
      try {
        envelope = decodeEnvelope(encoded);
      } catch {
        continue; // a damaged record is skipped, not served
      }
      envelopes.push(envelope);
      encodings.push(encoded);
      ids.push(positionOf(key));
      bytes += encoded.length;
    }
    const last = ids.at(-1);
    return {
      envelopes,
      encoded: encodings,
      ids,
      lastHash: last ? last.slice(4) : new Uint8Array(32),
      cursor: more && lastRead ? positionOf(lastRead) : new Uint8Array(0),
    };
  }

  /**
   * One page (the `Inbox` form of {@link query}): `from` defaults to 0, `to` to no bound,
   * and a query with neither topics nor bloom takes every topic. Each item's id is its
   * envelope's sent ‖ hash.
   *
   * @throws InboxError 'bad-cursor' if the cursor is neither empty nor 36 bytes
   * @throws RangeError if `limit` is not a positive integer, or `bloom` is not 64 bytes
   * @throws StoreError of the store
   */
  async fetch(query: InboxQuery, options: AbortOptions = {}): Promise<InboxPage<Envelope>> {
    throwIfAborted(options);
    if (!Number.isInteger(query.limit) || query.limit < 1)
      throw new RangeError(`limit must be a positive integer, not ${query.limit}`);
    if (query.bloom && query.bloom.length !== 64) throw new RangeError('bloom must be 64 bytes');
    const cursor = query.cursor ?? new Uint8Array(0);
    const lower = query.from ?? 0;
    const upper = query.to ?? 0xffffffff;
    if (upper < lower) {
      if (cursor.length !== 0 && cursor.length !== CURSOR_LENGTH)
        throw new InboxError('bad-cursor', `cursor must be empty or ${CURSOR_LENGTH} bytes`);
      return { items: [], cursor: new Uint8Array(0) };
    }
    const page = await this.query(
      lower,
      upper,
      {
        ...(query.bloom ? { bloom: query.bloom } : {}),
        ...(query.topics ? { topics: query.topics } : {}),
      },
      query.limit,
      cursor,
    );
    return {
      items: page.envelopes.map((envelope, i) => ({ id: page.ids[i]!, envelope })),
      cursor: page.cursor,
    };
  }

  /**
   * Deletes envelopes by their ids (36 bytes, sent ‖ hash, as pages give them); returns how
   * many were there. Ids of another length, and ids of envelopes not held, count nothing.
   *
   * @throws StoreError of the store
   */
  async delete(ids: readonly Uint8Array[], options: AbortOptions = {}): Promise<number> {
    throwIfAborted(options);
    const doomed = new Set<string>();
    for (const id of ids) {
      if (id.length !== CURSOR_LENGTH) continue;
      const prefix = `${keyPrefixOf(id)}/`;
      for await (const [key] of this.store.range({ gte: prefix, lt: `${keyPrefixOf(id)}0` }))
        if (key.length === KEY_LENGTH) doomed.add(key);
    }
    await this.remove([...doomed]);
    return doomed.size;
  }

  /**
   * Deletes envelopes created before `before` (unix seconds); returns how many.
   *
   * @throws StoreError of the store
   */
  async prune(before: number): Promise<number> {
    const doomed: string[] = [];
    for await (const [key] of this.store.range({ gte: PREFIX, lt: timeKey(before) }))
      doomed.push(key);
    await this.remove(doomed);
    return doomed.length;
  }

  private async remove(keys: readonly string[]): Promise<void> {
    for (let i = 0; i < keys.length; i += DELETE_BATCH) {
      await this.store.batch(
        keys.slice(i, i + DELETE_BATCH).map((key) => ({ type: 'del' as const, key })),
      );
    }
  }
}

/** A test of a key's topic (8 hex digits) against a selection. */
function topicTest(selection: TopicSelection): (topicHex: string) => boolean {
  if (selection.topics && selection.topics.length > 0) {
    const topics = new Set(selection.topics.map(toHex));
    return (topicHex) => topics.has(topicHex);
  }
  const bloom = selection.bloom;
  if (!bloom) return () => true;
  return (topicHex) =>
    /^[0-9a-f]{8}$/.test(topicHex) && bloomFilterMatch(bloom, topicToBloom(fromHex(topicHex)));
}
