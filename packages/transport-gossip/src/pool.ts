/**
 * The envelope pool (specs/whisper-v6 SPEC §6.2): accepted envelopes by hash until they
 * expire, each with its encoding (sent as is to every peer) and the set of peers known to have
 * it, so nothing is sent back to a peer that already has it.
 */
import type { Envelope } from '@hush/envelope';

/** A pooled envelope and what the node knows about it. */
export interface PoolEntry {
  readonly envelope: Envelope;
  readonly hash: Uint8Array;
  /** The hash as a map key. */
  readonly key: string;
  /** Canonical RLP, forwarded without re-encoding. */
  readonly encoded: Uint8Array;
  /** PoW at admission (recomputed for envelopes from the future, as geth does). */
  readonly pow: number;
  readonly bloom: Uint8Array;
  /** Indexes of the peers that have it (sent it to us, or were sent it). */
  readonly knownBy: Set<number>;
  removed: boolean;
}

/** Binary string key of a 32-byte hash: cheaper to hash and compare than hex. */
export function hashKey(hash: Uint8Array): string {
  return String.fromCharCode(...hash);
}

/** Accepted envelopes by hash, indexed by expiry for the sweep. */
export class EnvelopePool {
  private readonly entries = new Map<string, PoolEntry>();
  private readonly byExpiry = new Map<number, Set<PoolEntry>>();
  private bytes = 0;

  get size(): number {
    return this.entries.size;
  }

  /** Sum of the encoded sizes. */
  get totalBytes(): number {
    return this.bytes;
  }

  get(key: string): PoolEntry | undefined {
    return this.entries.get(key);
  }

  add(entry: PoolEntry): void {
    this.entries.set(entry.key, entry);
    let bucket = this.byExpiry.get(entry.envelope.expiry);
    if (!bucket) {
      bucket = new Set();
      this.byExpiry.set(entry.envelope.expiry, bucket);
    }
    bucket.add(entry);
    this.bytes += entry.encoded.length;
  }

  values(): IterableIterator<PoolEntry> {
    return this.entries.values();
  }

  /** Removes every envelope whose expiry is before `now` (unix seconds); returns how many. */
  sweep(now: number): number {
    let removed = 0;
    for (const [expiry, bucket] of this.byExpiry) {
      if (expiry >= now) continue;
      for (const entry of bucket) {
        entry.removed = true;
        this.entries.delete(entry.key);
        this.bytes -= entry.encoded.length;
        removed++;
      }
      this.byExpiry.delete(expiry);
    }
    return removed;
  }

  clear(): void {
    for (const entry of this.entries.values()) entry.removed = true;
    this.entries.clear();
    this.byExpiry.clear();
    this.bytes = 0;
  }
}
