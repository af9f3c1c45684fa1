/**
 * The mailserver archive: every envelope the node accepts, in the store under
 * `archive/<sent, 8 hex>/<hash, 64 hex>/<topic, 8 hex>` (creation time, hash and topic, the
 * order of Status's mailserver database keys), so that history is read in creation-time
 * order, envelopes whose topic a request refuses are skipped without being read, and a page
 * ends with a 36-byte cursor (sent ‖ hash of its last envelope). Pruned by retention.
 */
import { bloomFilterMatch, topicToBloom } from '@hush/bloom';
import { decodeEnvelope, type Envelope, envelopeSent } from '@hush/envelope';
import type { Store } from '../store/store.js';
import { CURSOR_LENGTH } from './request.js';

const PREFIX = 'archive/';
const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const timeKey = (seconds: number) => `${PREFIX}${(seconds >>> 0).toString(16).padStart(8, '0')}/`;
const keyOf = (envelope: Envelope, hash: Uint8Array) =>
  `${timeKey(envelopeSent(envelope))}${hex(hash)}/${hex(envelope.topic)}`;
/** Keys one page may read, served or skipped, at most. */
const MAX_SCAN = 100_000;
/** Bytes of envelopes one page holds at most (past this, the page ends). */
const MAX_PAGE_BYTES = 8 * 1024 * 1024;
/** Where a key's hash starts, and every key's length. */
const HASH_AT = PREFIX.length + 9;
const KEY_LENGTH = HASH_AT + 64 + 1 + 8;

/** One page of history. */
export interface ArchivePage {
  readonly envelopes: Envelope[];
  /** Their canonical encodings, as stored (for sizing batches without encoding again). */
  readonly encoded: Uint8Array[];
  /** The hash of the last envelope of the page (zeros when empty). */
  readonly lastHash: Uint8Array;
  /** Where the next page starts (36 bytes); empty when there is none. */
  readonly cursor: Uint8Array;
}

/** Which topics a query wants: exact topics when given, else those the bloom admits. */
export interface TopicSelection {
  readonly bloom: Uint8Array;
  readonly topics?: readonly Uint8Array[];
}

export class Archive {
  private readonly store: Store;

  constructor(store: Store) {
    this.store = store;
  }

  /** Stores an envelope; resolves once the store has it. */
  async add(envelope: Envelope, encoded: Uint8Array, hash: Uint8Array): Promise<void> {
    await this.store.put(keyOf(envelope, hash), encoded);
  }

  /** Whether the archive holds this envelope (`hash` is its hash). */
  async has(envelope: Envelope, hash: Uint8Array): Promise<boolean> {
    return (await this.store.get(keyOf(envelope, hash))) !== undefined;
  }

  /**
   * Envelopes created in [lower, upper] whose topic the selection admits, oldest first, at
   * most `limit` (and at most 8 MiB, reading at most 10 × `limit` keys), starting after
   * `cursor`. A page cut short by those bounds still ends with a cursor, possibly with fewer
   * envelopes than asked, even none.
   *
   * @throws RangeError if `cursor` is neither empty nor 36 bytes
   */
  async query(
    lower: number,
    upper: number,
    selection: TopicSelection,
    limit: number,
    cursor: Uint8Array,
  ): Promise<ArchivePage> {
    if (cursor.length !== 0 && cursor.length !== CURSOR_LENGTH)
      throw new RangeError(`cursor must be empty or ${CURSOR_LENGTH} bytes`);
    // A cursor is only a position: one before `lower` is clamped to it, and no key outside
    // the archive is ever read whatever a peer sends.
    const first = timeKey(lower);
    let start = first;
    if (cursor.length > 0) {
      const sent = new DataView(cursor.buffer, cursor.byteOffset, 4).getUint32(0);
      // '0' follows '/': past every key of the cursor's envelope.
      const after = `${timeKey(sent)}${hex(cursor.subarray(4))}0`;
      if (after > first) start = after;
    }
    const end = upper >= 0xffffffff ? `${PREFIX}~` : timeKey(upper + 1);
    const wanted = topicTest(selection);
    // Work per page is bounded however little matches: keys read (served or skipped) and
    // bytes served. A page cut short ends with a cursor at the last key read.
    const scanBudget = Math.min(MAX_SCAN, Math.max(limit, 1) * 10);
    const envelopes: Envelope[] = [];
    const encodings: Uint8Array[] = [];
    let lastServed = '';
    let lastRead = '';
    let scanned = 0;
    let bytes = 0;
    let more = false;
    for await (const [key, encoded] of this.store.range({ gte: start, lt: end })) {
      if (envelopes.length >= limit || scanned >= scanBudget || bytes >= MAX_PAGE_BYTES) {
        more = true;
        break;
      }
      scanned++;
      if (key.length !== KEY_LENGTH) continue;
      lastRead = key;
      if (!wanted(key.slice(KEY_LENGTH - 8))) continue;
      let envelope: Envelope;
      try {
        envelope = decodeEnvelope(encoded);
      } catch {
        continue; // a damaged record is skipped, not served
      }
      envelopes.push(envelope);
      encodings.push(encoded);
      bytes += encoded.length;
      lastServed = key;
    }
    const hashOf = (key: string) =>
      Uint8Array.from(Buffer.from(key.slice(HASH_AT, HASH_AT + 64), 'hex'));
    let next: Uint8Array = new Uint8Array(0);
    if (more && lastRead) {
      next = new Uint8Array(CURSOR_LENGTH);
      new DataView(next.buffer).setUint32(
        0,
        Number.parseInt(lastRead.slice(PREFIX.length, PREFIX.length + 8), 16),
      );
      next.set(hashOf(lastRead), 4);
    }
    return {
      envelopes,
      encoded: encodings,
      lastHash: lastServed ? hashOf(lastServed) : new Uint8Array(32),
      cursor: next,
    };
  }

  /** Deletes envelopes created before `before` (unix seconds); returns how many. */
  async prune(before: number): Promise<number> {
    const doomed: string[] = [];
    for await (const [key] of this.store.range({ gte: PREFIX, lt: timeKey(before) }))
      doomed.push(key);
    for (let i = 0; i < doomed.length; i += 1000) {
      await this.store.batch(
        doomed.slice(i, i + 1000).map((key) => ({ type: 'del' as const, key })),
      );
    }
    return doomed.length;
  }
}

/** A test of a key's topic (8 hex digits) against a selection. */
function topicTest(selection: TopicSelection): (topicHex: string) => boolean {
  if (selection.topics && selection.topics.length > 0) {
    const topics = new Set(selection.topics.map(hex));
    return (topicHex) => topics.has(topicHex);
  }
  return (topicHex) => {
    const topic = Buffer.from(topicHex, 'hex');
    return topic.length === 4 && bloomFilterMatch(selection.bloom, topicToBloom(topic));
  };
}
