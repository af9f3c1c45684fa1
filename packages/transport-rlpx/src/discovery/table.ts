/**
 * The Kademlia routing table of discovery v4 (specs/rlpx SPEC §10.3, go-ethereum v1.8.27
 * `p2p/discover/table.go`): node ids are keccak256 of the 64-byte public key; a node goes in
 * the bucket of its log distance to us (17 buckets, the nearest holding every distance up to
 * 239); buckets hold 16 live entries, most recently proven first, and 10 replacements; at
 * most 2 addresses of one /24 per bucket and 10 per table, LAN addresses exempt.
 *
 * Unlike geth's table, which also holds nodes merely seen (and then only answers with those
 * it has revalidated), this one holds only nodes that have answered a ping: the service
 * calls {@link RoutingTable.addVerified} on a pong, so every entry is live.
 */
import { isLan, subnet24 } from './ip.js';

/** geth's bucketSize: live entries per bucket, and the size of a lookup's result. */
export const BUCKET_SIZE = 16;
/** geth's maxReplacements. */
export const MAX_REPLACEMENTS = 10;
/** geth's nBuckets: 256 / 15. */
export const BUCKET_COUNT = 17;
/** geth's bucketMinDistance: every log distance up to this goes in the first bucket. */
const BUCKET_MIN_DISTANCE = 256 - BUCKET_COUNT;
/** geth's bucketIPLimit and tableIPLimit, over /24 subnets. */
const BUCKET_IP_LIMIT = 2;
const TABLE_IP_LIMIT = 10;

/** A node of the table. */
export interface TableNode {
  /** keccak256 of the 64-byte public key. */
  readonly id: Uint8Array;
  /** The public key, 65 bytes uncompressed. */
  readonly publicKey: Uint8Array;
  /** The IP, 4 or 16 bytes. */
  readonly ip: Uint8Array;
  readonly udp: number;
  readonly tcp: number;
}

/** log2 of the XOR of two ids (geth's `enode.LogDist`): 0 for equal ids, 256 at most. */
export function logDistance(a: Uint8Array, b: Uint8Array): number {
  let leadingZeros = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]! ^ b[i]!;
    if (x === 0) leadingZeros += 8;
    else {
      leadingZeros += Math.clz32(x) - 24;
      break;
    }
  }
  return a.length * 8 - leadingZeros;
}

/** Which of `a` and `b` is nearer `target` (geth's `enode.DistCmp`): -1, 0 or 1. */
export function compareDistance(target: Uint8Array, a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < target.length; i++) {
    const da = a[i]! ^ target[i]!;
    const db = b[i]! ^ target[i]!;
    if (da !== db) return da > db ? 1 : -1;
  }
  return 0;
}

function sameId(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function sameIp(a: Uint8Array, b: Uint8Array): boolean {
  return sameId(a, b);
}

/** Counts per /24, as geth's `DistinctNetSet`. */
class SubnetCounts {
  private readonly counts = new Map<string, number>();
  private readonly limit: number;
  constructor(limit: number) {
    this.limit = limit;
  }
  add(ip: Uint8Array): boolean {
    const key = subnet24(ip);
    const n = this.counts.get(key) ?? 0;
    if (n >= this.limit) return false;
    this.counts.set(key, n + 1);
    return true;
  }
  remove(ip: Uint8Array): void {
    const key = subnet24(ip);
    const n = this.counts.get(key);
    if (n === undefined) return;
    if (n <= 1) this.counts.delete(key);
    else this.counts.set(key, n - 1);
  }
}

interface Bucket {
  entries: TableNode[];
  replacements: TableNode[];
  readonly ips: SubnetCounts;
}

/** Nodes sorted by distance to a target, at most `max` (geth's `nodesByDistance.push`). */
export function pushByDistance(
  list: TableNode[],
  node: TableNode,
  target: Uint8Array,
  max: number,
): void {
  let at = list.findIndex((n) => compareDistance(target, n.id, node.id) > 0);
  if (at < 0) at = list.length;
  if (at >= max) return;
  list.splice(at, 0, node);
  if (list.length > max) list.length = max;
}

/** The routing table. Not thread-shared: the service owns it. */
export class RoutingTable {
  private readonly buckets: Bucket[];
  private readonly ips = new SubnetCounts(TABLE_IP_LIMIT);

  readonly selfId: Uint8Array;

  /** @param selfId - this node's id (keccak256 of its 64-byte key) */
  constructor(selfId: Uint8Array) {
    this.selfId = selfId;
    this.buckets = Array.from({ length: BUCKET_COUNT }, () => ({
      entries: [],
      replacements: [],
      ips: new SubnetCounts(BUCKET_IP_LIMIT),
    }));
  }

  /** The index of the bucket for `id`. */
  bucketIndex(id: Uint8Array): number {
    const d = logDistance(this.selfId, id);
    return d <= BUCKET_MIN_DISTANCE ? 0 : d - BUCKET_MIN_DISTANCE - 1;
  }

  private addIp(b: Bucket, ip: Uint8Array): boolean {
    if (isLan(ip)) return true;
    if (!this.ips.add(ip)) return false;
    if (!b.ips.add(ip)) {
      this.ips.remove(ip);
      return false;
    }
    return true;
  }

  private removeIp(b: Bucket, ip: Uint8Array): void {
    if (isLan(ip)) return;
    this.ips.remove(ip);
    b.ips.remove(ip);
  }

  /**
   * A node that has just proven its endpoint (geth's `addVerifiedNode`): moved to the front
   * if present (with its new endpoint), else added at the front, or kept as a replacement
   * when the bucket is full.
   *
   * @returns 'added' when it entered the live entries, 'bumped' when it was there already,
   *   'replacement' or 'refused' (ourselves, or over a subnet limit) otherwise
   */
  addVerified(node: TableNode): 'added' | 'bumped' | 'replacement' | 'refused' {
    if (sameId(node.id, this.selfId)) return 'refused';
    const b = this.buckets[this.bucketIndex(node.id)]!;
    const i = b.entries.findIndex((n) => sameId(n.id, node.id));
    if (i >= 0) {
      const old = b.entries[i]!;
      if (!sameIp(old.ip, node.ip)) {
        this.removeIp(b, old.ip);
        if (!this.addIp(b, node.ip)) {
          this.addIp(b, old.ip);
          return 'refused';
        }
      }
      b.entries.splice(i, 1);
      b.entries.unshift(node);
      return 'bumped';
    }
    if (b.entries.length >= BUCKET_SIZE) return this.addReplacement(b, node);
    // A replacement moving up gives back its /24 count first, or its subnet would be counted
    // twice for good (geth v1.8.27 leaks it so).
    const r = b.replacements.findIndex((n) => sameId(n.id, node.id));
    if (r >= 0) this.removeIp(b, b.replacements.splice(r, 1)[0]!.ip);
    if (!this.addIp(b, node.ip)) return 'refused';
    b.entries.unshift(node);
    return 'added';
  }

  private addReplacement(b: Bucket, node: TableNode): 'replacement' | 'refused' {
    if (b.replacements.some((n) => sameId(n.id, node.id))) return 'replacement';
    if (!this.addIp(b, node.ip)) return 'refused';
    b.replacements.unshift(node);
    if (b.replacements.length > MAX_REPLACEMENTS) {
      const removed = b.replacements.pop()!;
      this.removeIp(b, removed.ip);
    }
    return 'replacement';
  }

  /** Whether `id` is a live entry. */
  has(id: Uint8Array): boolean {
    return this.buckets[this.bucketIndex(id)]!.entries.some((n) => sameId(n.id, id));
  }

  /** Removes a node from the live entries (geth's `deleteInBucket`). */
  delete(id: Uint8Array): void {
    const b = this.buckets[this.bucketIndex(id)]!;
    const i = b.entries.findIndex((n) => sameId(n.id, id));
    if (i < 0) return;
    const [removed] = b.entries.splice(i, 1);
    this.removeIp(b, removed!.ip);
  }

  /**
   * A node that failed revalidation (geth's `replace`): if it is still the last entry of its
   * bucket it is swapped for a random replacement, or removed when there is none.
   *
   * @returns the replacement put in, if any (it must be proven live again by its next check)
   */
  replace(node: TableNode, random: (n: number) => number = defaultRandom): TableNode | undefined {
    const b = this.buckets[this.bucketIndex(node.id)]!;
    const last = b.entries[b.entries.length - 1];
    if (!last || !sameId(last.id, node.id)) return undefined;
    if (b.replacements.length === 0) {
      this.delete(node.id);
      return undefined;
    }
    const [r] = b.replacements.splice(random(b.replacements.length), 1);
    b.entries[b.entries.length - 1] = r!;
    this.removeIp(b, last.ip);
    return r;
  }

  /** The last entry of a random non-empty bucket: the next to revalidate (geth's choice). */
  nodeToRevalidate(random: (n: number) => number = defaultRandom): TableNode | undefined {
    const full = this.buckets.filter((b) => b.entries.length > 0);
    if (full.length === 0) return undefined;
    const b = full[random(full.length)]!;
    return b.entries[b.entries.length - 1];
  }

  /** The `max` live entries nearest `target` (geth's `closest`). */
  closest(target: Uint8Array, max = BUCKET_SIZE): TableNode[] {
    const out: TableNode[] = [];
    for (const b of this.buckets) for (const n of b.entries) pushByDistance(out, n, target, max);
    return out;
  }

  /** Every live entry, nearest bucket first. */
  all(): TableNode[] {
    return this.buckets.flatMap((b) => b.entries);
  }

  /** How many live entries there are. */
  get size(): number {
    return this.buckets.reduce((n, b) => n + b.entries.length, 0);
  }
}

function defaultRandom(n: number): number {
  return Math.floor(Math.random() * n);
}
