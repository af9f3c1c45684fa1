/**
 * The envelope pool (specs/whisper-v6 SPEC §6.2): accepted envelopes by hash until they
 * expire, each with its encoding (sent as is to every peer) and the set of peers known to have
 * it, so nothing is sent back to a peer that already has it.
 *
 * An entry keeps the envelope's encoding, not the decoded envelope: a pool of many envelopes
 * holds a few objects each rather than the envelope's own (object, topic, data, nonce), which
 * every young-generation collection would otherwise copy as the pool fills. Whoever wants the
 * envelope back decodes the encoding.
 */

/** A pooled envelope and what the node knows about it. */
export interface PoolEntry {
  readonly hash: Uint8Array;
  /** Canonical RLP, forwarded without re-encoding. */
  readonly encoded: Uint8Array;
  /** The envelope's expiry (unix seconds): the sweep's key. */
  readonly expiry: number;
  /** PoW at admission (recomputed for envelopes from the future, as geth does). */
  readonly pow: number;
  readonly bloom: Uint8Array;
  /** Indexes of the peers that have it (sent it to us, or were sent it). */
  readonly knownBy: PeerIndexSet;
  /** Posted by this node (not received from a peer). */
  readonly local: boolean;
  removed: boolean;
}

/** A set of peer indexes (a `Set<number>` is one). */
export interface PeerIndexSet {
  has(index: number): boolean;
  add(index: number): unknown;
}

/**
 * The peers that have a pooled envelope. Most envelopes are first known by the one peer that
 * sent them, so the first index is held inline and a Set is made only for a second: the pool
 * holds one of these per envelope, and a Set of one costs several objects more.
 */
export class KnownBy implements PeerIndexSet {
  private first = -1;
  private rest: Set<number> | undefined;

  has(index: number): boolean {
    return index === this.first || this.rest?.has(index) === true;
  }

  add(index: number): this {
    if (this.first === -1) this.first = index;
    else if (index !== this.first) {
      if (this.rest === undefined) this.rest = new Set();
      this.rest.add(index);
    }
    return this;
  }
}

/**
 * 30 bits of a hash, as a map key: small integers hash far faster than strings built from the
 * bytes (or larger numbers). Keys collide now and then; each bucket is checked against the
 * full hash.
 */
function hashKey(hash: Uint8Array): number {
  return ((hash[0]! << 22) | (hash[1]! << 14) | (hash[2]! << 6) | (hash[3]! >> 2)) & 0x3fffffff;
}

function sameHash(a: Uint8Array, b: Uint8Array): boolean {
  for (let i = 31; i >= 0; i--) if (a[i] !== b[i]) return false;
  return true;
}

/** Accepted envelopes by hash, indexed by expiry for the sweep. */
export class EnvelopePool {
  /** By hash key: one entry, or several when keys collide. */
  private readonly entries = new Map<number, PoolEntry | PoolEntry[]>();
  private count = 0;
  /** Entries by expiry second; only the sweep removes them, a bucket at a time. */
  private readonly byExpiry = new Map<number, PoolEntry[]>();
  private bytes = 0;

  get size(): number {
    return this.count;
  }

  /** Sum of the encoded sizes. */
  get totalBytes(): number {
    return this.bytes;
  }

  get(hash: Uint8Array): PoolEntry | undefined {
    const found = this.entries.get(hashKey(hash));
    if (found === undefined) return undefined;
    if (!Array.isArray(found)) return sameHash(found.hash, hash) ? found : undefined;
    return found.find((entry) => sameHash(entry.hash, hash));
  }

  /** Adds an entry whose hash is not pooled yet. */
  add(entry: PoolEntry): void {
    const key = hashKey(entry.hash);
    const found = this.entries.get(key);
    if (found === undefined) this.entries.set(key, entry);
    else if (Array.isArray(found)) found.push(entry);
    else this.entries.set(key, [found, entry]);
    this.count++;
    const bucket = this.byExpiry.get(entry.expiry);
    if (bucket) bucket.push(entry);
    else this.byExpiry.set(entry.expiry, [entry]);
    this.bytes += entry.encoded.length;
  }

  *values(): IterableIterator<PoolEntry> {
    for (const found of this.entries.values()) {
      if (Array.isArray(found)) yield* found;
      else yield found;
    }
  }

  private remove(entry: PoolEntry): void {
    const key = hashKey(entry.hash);
    const found = this.entries.get(key);
    if (found === entry) this.entries.delete(key);
    else if (Array.isArray(found)) {
      const rest = found.filter((e) => e !== entry);
      this.entries.set(key, rest.length === 1 ? rest[0]! : rest);
    }
    this.count--;
  }

  /** Removes every envelope whose expiry is before `now` (unix seconds); returns how many. */
  sweep(now: number): number {
    let removed = 0;
    for (const [expiry, bucket] of this.byExpiry) {
      if (expiry >= now) continue;
      for (const entry of bucket) {
        entry.removed = true;
        this.remove(entry);
        this.bytes -= entry.encoded.length;
        removed++;
      }
      this.byExpiry.delete(expiry);
    }
    return removed;
  }

  clear(): void {
    for (const entry of this.values()) entry.removed = true;
    this.entries.clear();
    this.byExpiry.clear();
    this.bytes = 0;
    this.count = 0;
  }
}
