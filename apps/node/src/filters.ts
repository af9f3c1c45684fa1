/**
 * Message filters as geth keeps them (shh_newMessageFilter, shh_subscribe "messages"): each
 * holds a key and criteria; every envelope the node accepts is opened for the filters whose
 * topic it carries, and delivered messages wait in a bounded queue for polling or are pushed
 * to a subscriber.
 */
import type { CryptoBackend } from '@hush/crypto';
import { randomBytes } from '@hush/crypto';
import { deliverToFilter, type MessageFilter, type ReceivedMessage } from '@hush/message';
import type { AcceptedEnvelope } from '@hush/transport-gossip';

interface Entry {
  readonly spec: MessageFilter;
  readonly queue: ReceivedMessage[];
  listener: ((message: ReceivedMessage) => void) | undefined;
  lastPolled: number;
  /** Hashes of recently delivered envelopes, oldest first: a message arrives once. */
  readonly seen: Set<string>;
  /** The topic index keys this filter is filed under. */
  readonly topicKeys: number[];
  /** The client that made it, for its quota. */
  readonly owner: string;
}

/** Limits that bound a filter registry's memory whatever clients do. */
export interface FilterLimits {
  /** Filters at most (default 1000). */
  readonly maxFilters?: number;
  /**
   * Filters and subscriptions one client (a WebSocket connection, or an HTTP client's
   * address) may hold at once (default 250, a quarter of the default total), so that one client cannot
   * take every slot.
   */
  readonly maxPerClient?: number;
  /** Messages a filter holds for polling before the oldest is dropped (default 1000). */
  readonly maxQueued?: number;
  /** A polling filter unpolled this long is removed, as in geth (default 5 min). */
  readonly idleMs?: number;
  /**
   * Envelope hashes a filter remembers so that one message reaching it twice (live by gossip
   * and again in mailserver history) is delivered once (default 4096).
   */
  readonly maxSeen?: number;
}

const topicKey = (topic: Uint8Array) =>
  ((topic[0]! << 24) | (topic[1]! << 16) | (topic[2]! << 8) | topic[3]!) >>> 0;

export class FilterRegistry {
  private readonly filters = new Map<string, Entry>();
  private readonly byTopic = new Map<number, Set<Entry>>();
  private readonly anyTopic = new Set<Entry>();
  private readonly backend: CryptoBackend;
  private readonly limits: Required<FilterLimits>;
  private readonly perOwner = new Map<string, number>();

  constructor(backend: CryptoBackend, limits: FilterLimits = {}) {
    this.backend = backend;
    this.limits = {
      maxFilters: limits.maxFilters ?? 1000,
      maxPerClient: limits.maxPerClient ?? 250,
      maxQueued: limits.maxQueued ?? 1000,
      idleMs: limits.idleMs ?? 300_000,
      maxSeen: limits.maxSeen ?? 4096,
    };
  }

  get size(): number {
    return this.filters.size;
  }

  /**
   * Adds a filter for `owner` (the client that asks).
   *
   * @returns its id (32 random bytes as hex, as geth's)
   * @throws RangeError when the registry is full, or the owner holds its quota
   */
  add(spec: MessageFilter, now: number, owner = 'local'): string {
    if (this.filters.size >= this.limits.maxFilters)
      throw new RangeError(`too many filters (${this.limits.maxFilters})`);
    const held = this.perOwner.get(owner) ?? 0;
    if (held >= this.limits.maxPerClient)
      throw new RangeError(
        `this client holds ${held} filters and subscriptions, the most one client may (${this.limits.maxPerClient})`,
      );
    this.perOwner.set(owner, held + 1);
    const id = Buffer.from(randomBytes(32)).toString('hex');
    const topics = spec.topics ?? [];
    const topicKeys = [...new Set(topics.filter((t) => t.length >= 4).map(topicKey))];
    const entry: Entry = {
      spec,
      queue: [],
      listener: undefined,
      lastPolled: now,
      seen: new Set(),
      topicKeys,
      owner,
    };
    this.filters.set(id, entry);
    if (topics.length === 0) this.anyTopic.add(entry);
    for (const key of topicKeys) {
      let set = this.byTopic.get(key);
      if (!set) {
        set = new Set();
        this.byTopic.set(key, set);
      }
      set.add(entry);
    }
    return id;
  }

  remove(id: string): boolean {
    const entry = this.filters.get(id);
    if (!entry) return false;
    this.filters.delete(id);
    const held = (this.perOwner.get(entry.owner) ?? 1) - 1;
    if (held === 0) this.perOwner.delete(entry.owner);
    else this.perOwner.set(entry.owner, held);
    this.anyTopic.delete(entry);
    for (const key of entry.topicKeys) {
      const set = this.byTopic.get(key);
      set?.delete(entry);
      if (set?.size === 0) this.byTopic.delete(key);
    }
    return true;
  }

  /** Messages delivered since the last poll, or undefined for an unknown id. */
  retrieve(id: string, now: number): ReceivedMessage[] | undefined {
    const entry = this.filters.get(id);
    if (!entry) return undefined;
    entry.lastPolled = now;
    return entry.queue.splice(0);
  }

  /** Pushes this filter's messages to `listener` instead of queueing them. */
  listen(id: string, listener: (message: ReceivedMessage) => void): void {
    const entry = this.filters.get(id);
    if (entry) entry.listener = listener;
  }

  /** Removes polling filters nobody has polled for a while. */
  sweep(now: number): void {
    for (const [id, entry] of this.filters) {
      if (!entry.listener && now - entry.lastPolled > this.limits.idleMs) this.remove(id);
    }
  }

  /**
   * Opens an accepted envelope for every filter that may want it; a filter that already
   * received this envelope (same hash) does not receive it again.
   */
  deliver(accepted: AcceptedEnvelope): void {
    const candidates = new Set(this.anyTopic);
    for (const entry of this.byTopic.get(topicKey(accepted.envelope.topic)) ?? [])
      candidates.add(entry);
    let hash: string | undefined;
    for (const entry of candidates) {
      hash ??= Buffer.from(accepted.hash).toString('hex');
      if (entry.seen.has(hash)) continue;
      let message: ReceivedMessage;
      try {
        message = deliverToFilter(accepted.envelope, entry.spec, {
          backend: this.backend,
          facts: { hash: accepted.hash, pow: accepted.pow },
          p2p: accepted.p2p,
        });
      } catch {
        continue; // not for this filter: wrong key, topic, PoW or signer
      }
      entry.seen.add(hash);
      if (entry.seen.size > this.limits.maxSeen) {
        const oldest = entry.seen.values().next().value;
        if (oldest !== undefined) entry.seen.delete(oldest);
      }
      if (entry.listener) entry.listener(message);
      else {
        entry.queue.push(message);
        if (entry.queue.length > this.limits.maxQueued) entry.queue.shift();
      }
    }
  }
}
