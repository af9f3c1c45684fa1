/**
 * The mailserver archive: every envelope the node accepts, in the store under
 * `archive/<sent, 8 hex digits>/<hash>`, so that history is read in creation-time order and a
 * page ends with a cursor (the key after which the next page starts). Pruned by retention.
 */
import { bloomFilterMatch, topicToBloom } from '@hush/bloom';
import { decodeEnvelope, type Envelope, envelopeSent } from '@hush/envelope';
import type { Store } from '../store/store.js';

const PREFIX = 'archive/';
const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const timeKey = (seconds: number) => `${PREFIX}${(seconds >>> 0).toString(16).padStart(8, '0')}/`;

/** One page of history. */
export interface ArchivePage {
  readonly envelopes: Envelope[];
  /** The hash of the last envelope of the page (zeros when empty). */
  readonly lastHash: Uint8Array;
  /** Where the next page starts; empty when there is none. */
  readonly cursor: Uint8Array;
}

export class Archive {
  private readonly store: Store;

  constructor(store: Store) {
    this.store = store;
  }

  /** Stores an envelope; resolves once the store has it. */
  async add(envelope: Envelope, encoded: Uint8Array, hash: Uint8Array): Promise<void> {
    await this.store.put(`${timeKey(envelopeSent(envelope))}${hex(hash)}`, encoded);
  }

  /** Whether the archive holds the envelope with this hash (sent at `sent`). */
  async has(sent: number, hash: Uint8Array): Promise<boolean> {
    return (await this.store.get(`${timeKey(sent)}${hex(hash)}`)) !== undefined;
  }

  /**
   * Envelopes created in [lower, upper] whose topic the bloom admits, oldest first, at most
   * `limit`, starting after `cursor`.
   */
  async query(
    lower: number,
    upper: number,
    bloom: Uint8Array,
    limit: number,
    cursor: Uint8Array,
  ): Promise<ArchivePage> {
    // A cursor is only a position: one outside [lower, upper] (or outside the archive, from
    // a hostile peer) is clamped so that no other part of the store is ever read.
    const after = `${new TextDecoder().decode(cursor)}\u0000`;
    const first = timeKey(lower);
    const start = cursor.length > 0 && after > first ? after : first;
    const end = upper >= 0xffffffff ? `${PREFIX}~` : timeKey(upper + 1);
    const envelopes: Envelope[] = [];
    let lastKey = '';
    let lastHash: Uint8Array = new Uint8Array(32);
    let more = false;
    for await (const [key, encoded] of this.store.range({ gte: start, lt: end })) {
      let envelope: Envelope;
      try {
        envelope = decodeEnvelope(encoded);
      } catch {
        continue; // a damaged record is skipped, not served
      }
      if (!bloomFilterMatch(bloom, topicToBloom(envelope.topic))) continue;
      if (envelopes.length >= limit) {
        more = true;
        break;
      }
      envelopes.push(envelope);
      lastKey = key;
      lastHash = Uint8Array.from(Buffer.from(key.slice(key.lastIndexOf('/') + 1), 'hex'));
    }
    return {
      envelopes,
      lastHash,
      cursor: more ? new TextEncoder().encode(lastKey) : new Uint8Array(0),
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
