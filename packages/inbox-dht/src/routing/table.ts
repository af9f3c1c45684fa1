/**
 * The routing table (SPEC §2.2): 256 k-buckets by log distance from this node, each holding
 * at most k contacts ordered least recently seen first, with a small cache of replacements.
 * A new contact for a full bucket does not displace anyone: the least recently seen entry is
 * pinged, and only if it fails to answer is it evicted and the newest replacement put in its
 * place (Kademlia's rule: long-lived nodes are kept, and flooding the table with fresh
 * identities cannot flush it). At most 2 contacts of one public /24 group per bucket and 10
 * in the table (devp2p's limits) keep one network from filling it. Contacts enter the table
 * only from authenticated exchanges (SPEC §2.2): what another node reports goes to lookups,
 * not here.
 */
import type { Clock } from '@hush/interface';
import type { Contact } from './contact.js';
import { compareDistance, ID_BITS, idEquals, idHex, logDistance, type NodeId } from './id.js';

/** Kademlia's k: contacts per bucket, and the size of a lookup's answer. */
export const K = 20;

/** What `seen` did with a contact. */
export type SeenOutcome =
  /** Put in a bucket that had room. */
  | 'added'
  /** Already there: moved to the most recently seen end, endpoints updated. */
  | 'updated'
  /** The bucket is full: kept as a replacement while its oldest entry is pinged. */
  | 'pending'
  /** Not kept: this node itself, or over a /24 group limit. */
  | 'refused';

/** How the routing table is set up. */
export interface RoutingTableOptions {
  /** This node's id. */
  readonly self: NodeId;
  readonly clock: Clock;
  /**
   * Checks that a contact still answers (a PING with a timeout); resolves true when it did.
   * Called for the least recently seen entry of a full bucket, one at a time per bucket.
   */
  readonly ping: (contact: Contact) => Promise<boolean>;
  /** Contacts per bucket (default 20). */
  readonly k?: number;
  /** Replacements kept per bucket (default 10). */
  readonly replacements?: number;
  /** Failed requests in a row after which an entry is dropped (default 3). */
  readonly maxFailures?: number;
  /**
   * The group a contact counts against (default: the /24 of its first public IPv4 endpoint;
   * undefined, no limit, for loopback, private and non-IPv4 endpoints).
   */
  readonly groupOf?: (contact: Contact) => string | undefined;
  /** Contacts of one group per bucket (default 2). */
  readonly bucketGroupLimit?: number;
  /** Contacts of one group in the table (default 10). */
  readonly tableGroupLimit?: number;
  /** Told when a contact enters or leaves the table. */
  readonly onChange?: (change: 'added' | 'removed', contact: Contact) => void;
}

interface Entry {
  contact: Contact;
  lastSeen: number;
  failures: number;
  group: string | undefined;
}

interface Bucket {
  /** Least recently seen first. */
  readonly entries: Entry[];
  /** Newest last. */
  readonly replacements: Contact[];
  pinging: boolean;
}

const IPV4 =
  /^(?:[a-z][a-z0-9+.-]*:\/\/)?(?:[^@/]*@)?(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?=[:/?#]|$)/i;

/**
 * The /24 group of the first public IPv4 endpoint of a contact ("a.b.c"), or undefined when
 * it has none (loopback, private, link-local and non-IPv4 endpoints are not limited).
 */
export function ipv4Group(contact: Contact): string | undefined {
  for (const endpoint of contact.endpoints) {
    const match = IPV4.exec(endpoint);
    if (!match) continue;
    const [a, b, c, d] = match.slice(1).map(Number) as [number, number, number, number];
    if (a > 255 || b > 255 || c > 255 || d > 255) continue;
    const lan =
      a === 10 ||
      a === 127 ||
      a === 0 ||
      (a === 172 && b >= 16 && b < 32) ||
      (a === 192 && b === 168) ||
      (a === 169 && b === 254) ||
      (a === 100 && b >= 64 && b < 128);
    if (!lan) return `${a}.${b}.${c}`;
  }
  return undefined;
}

/** A Kademlia routing table. Memory: at most 256 × (k + replacements) contacts. */
export class RoutingTable {
  readonly self: NodeId;
  readonly k: number;
  private readonly clock: Clock;
  private readonly ping: (contact: Contact) => Promise<boolean>;
  private readonly replacementLimit: number;
  private readonly maxFailures: number;
  private readonly groupOf: (contact: Contact) => string | undefined;
  private readonly bucketGroupLimit: number;
  private readonly tableGroupLimit: number;
  private readonly onChange: RoutingTableOptions['onChange'];
  /** Index = log distance (1–256); 0 unused (this node). */
  private readonly buckets: (Bucket | undefined)[] = new Array(ID_BITS + 1);
  private readonly groups = new Map<string, number>();
  private readonly lastLookup = new Array<number>(ID_BITS + 1).fill(0);
  private count = 0;
  private evictions = 0;

  /** @throws RangeError when `self` is not 32 bytes or a limit is not a positive integer */
  constructor(options: RoutingTableOptions) {
    if (!(options.self instanceof Uint8Array) || options.self.length !== 32)
      throw new RangeError('self: a 32-byte id');
    this.self = options.self;
    this.clock = options.clock;
    this.ping = options.ping;
    this.k = positive(options.k ?? K, 'k');
    this.replacementLimit = positive(options.replacements ?? 10, 'replacements');
    this.maxFailures = positive(options.maxFailures ?? 3, 'maxFailures');
    this.groupOf = options.groupOf ?? ipv4Group;
    this.bucketGroupLimit = positive(options.bucketGroupLimit ?? 2, 'bucketGroupLimit');
    this.tableGroupLimit = positive(options.tableGroupLimit ?? 10, 'tableGroupLimit');
    this.onChange = options.onChange;
    const now = this.clock.now();
    this.lastLookup.fill(now);
  }

  /** Contacts in the table. */
  get size(): number {
    return this.count;
  }

  /** Entries evicted because they failed a ping or too many requests. */
  get evicted(): number {
    return this.evictions;
  }

  private bucket(distance: number): Bucket {
    let bucket = this.buckets[distance];
    if (!bucket) {
      bucket = { entries: [], replacements: [], pinging: false };
      this.buckets[distance] = bucket;
    }
    return bucket;
  }

  private find(id: NodeId): { bucket: Bucket; index: number } | undefined {
    const bucket = this.buckets[logDistance(this.self, id)];
    if (!bucket) return undefined;
    const index = bucket.entries.findIndex((entry) => idEquals(entry.contact.id, id));
    return index < 0 ? undefined : { bucket, index };
  }

  /** Whether the table holds the node with this id. */
  has(id: NodeId): boolean {
    return this.find(id) !== undefined;
  }

  /** The contact with this id, if the table holds it. */
  get(id: NodeId): Contact | undefined {
    const found = this.find(id);
    return found ? found.bucket.entries[found.index]?.contact : undefined;
  }

  /**
   * Records that `contact` was heard from over an authenticated exchange (it answered, or it
   * asked): Kademlia's update rule.
   */
  seen(contact: Contact): SeenOutcome {
    const distance = logDistance(this.self, contact.id);
    if (distance === 0) return 'refused';
    const bucket = this.bucket(distance);
    const index = bucket.entries.findIndex((entry) => idEquals(entry.contact.id, contact.id));
    const now = this.clock.now();
    if (index >= 0) {
      const entry = bucket.entries[index]!;
      bucket.entries.splice(index, 1);
      entry.contact = contact;
      entry.lastSeen = now;
      entry.failures = 0;
      bucket.entries.push(entry);
      return 'updated';
    }
    const group = this.groupOf(contact);
    if (group !== undefined) {
      if ((this.groups.get(group) ?? 0) >= this.tableGroupLimit) return 'refused';
      let inBucket = 0;
      for (const entry of bucket.entries) if (entry.group === group) inBucket++;
      if (inBucket >= this.bucketGroupLimit) return 'refused';
    }
    if (bucket.entries.length < this.k) {
      this.insert(bucket, contact, group, now);
      return 'added';
    }
    const known = bucket.replacements.findIndex((c) => idEquals(c.id, contact.id));
    if (known >= 0) bucket.replacements.splice(known, 1);
    bucket.replacements.push(contact);
    if (bucket.replacements.length > this.replacementLimit) bucket.replacements.shift();
    if (!bucket.pinging) this.pingOldest(bucket);
    return 'pending';
  }

  private insert(bucket: Bucket, contact: Contact, group: string | undefined, now: number): void {
    bucket.entries.push({ contact, lastSeen: now, failures: 0, group });
    if (group !== undefined) this.groups.set(group, (this.groups.get(group) ?? 0) + 1);
    this.count++;
    this.onChange?.('added', contact);
  }

  private removeAt(bucket: Bucket, index: number): void {
    const [entry] = bucket.entries.splice(index, 1);
    if (!entry) return;
    if (entry.group !== undefined) {
      const left = (this.groups.get(entry.group) ?? 1) - 1;
      if (left > 0) this.groups.set(entry.group, left);
      else this.groups.delete(entry.group);
    }
    this.count--;
    this.onChange?.('removed', entry.contact);
  }

  /** Fills a free place of `bucket` with its newest acceptable replacement. */
  private promote(bucket: Bucket): void {
    while (bucket.entries.length < this.k && bucket.replacements.length > 0) {
      const contact = bucket.replacements.pop()!;
      const group = this.groupOf(contact);
      if (group !== undefined) {
        if ((this.groups.get(group) ?? 0) >= this.tableGroupLimit) continue;
        if (bucket.entries.filter((e) => e.group === group).length >= this.bucketGroupLimit)
          continue;
      }
      this.insert(bucket, contact, group, this.clock.now());
    }
  }

  private pingOldest(bucket: Bucket): void {
    const oldest = bucket.entries[0];
    if (!oldest) return;
    bucket.pinging = true;
    const settle = (alive: boolean) => {
      bucket.pinging = false;
      const index = bucket.entries.indexOf(oldest);
      if (index >= 0) {
        if (alive) {
          bucket.entries.splice(index, 1);
          oldest.lastSeen = this.clock.now();
          oldest.failures = 0;
          bucket.entries.push(oldest);
        } else {
          this.removeAt(bucket, index);
          this.evictions++;
        }
      }
      this.promote(bucket);
    };
    let answered: Promise<boolean>;
    try {
      answered = this.ping(oldest.contact);
    } catch {
      answered = Promise.resolve(false);
    }
    answered.then(
      (alive) => settle(alive === true),
      () => settle(false),
    );
  }

  /**
   * Records that a request to `id` failed (timed out, or was answered with garbage); after
   * `maxFailures` in a row the entry is dropped and a replacement takes its place.
   */
  failed(id: NodeId): void {
    const bucket = this.buckets[logDistance(this.self, id)];
    if (!bucket) return;
    const replacement = bucket.replacements.findIndex((c) => idEquals(c.id, id));
    if (replacement >= 0) bucket.replacements.splice(replacement, 1);
    const index = bucket.entries.findIndex((entry) => idEquals(entry.contact.id, id));
    if (index < 0) return;
    const entry = bucket.entries[index]!;
    if (++entry.failures >= this.maxFailures) {
      this.removeAt(bucket, index);
      this.evictions++;
      this.promote(bucket);
    }
  }

  /** Drops the node with this id (and it as a replacement). */
  remove(id: NodeId): boolean {
    const bucket = this.buckets[logDistance(this.self, id)];
    if (!bucket) return false;
    const replacement = bucket.replacements.findIndex((c) => idEquals(c.id, id));
    if (replacement >= 0) bucket.replacements.splice(replacement, 1);
    const index = bucket.entries.findIndex((entry) => idEquals(entry.contact.id, id));
    if (index < 0) return false;
    this.removeAt(bucket, index);
    this.promote(bucket);
    return true;
  }

  /**
   * The `n` contacts closest to `target` by XOR distance, closest first.
   *
   * @param exclude - contacts to leave out (the node asking)
   */
  closest(target: NodeId, n: number, exclude?: (contact: Contact) => boolean): Contact[] {
    const all: Contact[] = [];
    for (const bucket of this.buckets)
      if (bucket)
        for (const entry of bucket.entries) if (!exclude?.(entry.contact)) all.push(entry.contact);
    all.sort((a, b) => compareDistance(target, a.id, b.id));
    return all.slice(0, Math.max(0, n));
  }

  /** Every contact, by bucket (nearest bucket first), least recently seen first. */
  contacts(): Contact[] {
    const all: Contact[] = [];
    for (const bucket of this.buckets)
      if (bucket) for (const entry of bucket.entries) all.push(entry.contact);
    return all;
  }

  /** The contacts of the bucket at log distance `distance`, least recently seen first. */
  bucketContacts(distance: number): Contact[] {
    return this.buckets[distance]?.entries.map((entry) => entry.contact) ?? [];
  }

  /** The replacements waiting for the bucket at log distance `distance`, newest last. */
  bucketReplacements(distance: number): Contact[] {
    return [...(this.buckets[distance]?.replacements ?? [])];
  }

  /** Records that a lookup of `target` ran, so its bucket needs no refresh for a while. */
  touched(target: NodeId): void {
    const distance = logDistance(this.self, target);
    if (distance > 0) this.lastLookup[distance] = this.clock.now();
  }

  /**
   * Log distances of the buckets to refresh (SPEC §2.4): those from the nearest non-empty
   * bucket out to 256 in which no lookup ran for `maxAgeMs`. Buckets nearer than any known
   * node are left alone: a self-lookup fills them.
   */
  staleBuckets(maxAgeMs: number): number[] {
    let nearest = 0;
    for (let d = 1; d <= ID_BITS; d++)
      if (this.buckets[d]?.entries.length) {
        nearest = d;
        break;
      }
    if (nearest === 0) return [];
    const now = this.clock.now();
    const stale: number[] = [];
    for (let d = nearest; d <= ID_BITS; d++)
      if (now - this.lastLookup[d]! >= maxAgeMs) stale.push(d);
    return stale;
  }

  /** Contacts per log distance, for stats (only non-empty buckets). */
  stats(): { size: number; buckets: Record<number, number>; evicted: number } {
    const buckets: Record<number, number> = {};
    this.buckets.forEach((bucket, d) => {
      if (bucket?.entries.length) buckets[d] = bucket.entries.length;
    });
    return { size: this.count, buckets, evicted: this.evictions };
  }

  /** Hex ids of every contact (tests, logs). */
  ids(): string[] {
    return this.contacts().map((c) => idHex(c.id));
  }
}

function positive(value: number, name: string): number {
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`${name}: a positive integer`);
  return value;
}
