/**
 * Message filters as geth keeps them (specs/whisper-v6 SPEC §5.7; shh_newMessageFilter,
 * shh_subscribe "messages"): each holds a key and criteria; every envelope a receiver
 * delivers is opened for the filters whose topic it carries, and delivered messages wait in a
 * bounded queue for polling or are pushed to a listener.
 */
import { type CryptoBackend, defaultBackend, randomBytes } from '@hush/crypto';
import { type Envelope, envelopePow } from '@hush/envelope';
import type { EnvelopeReceiver, EnvelopeSource, ReceivedEnvelope } from '@hush/interface';
import { deliverToFilter, type MessageFilter, type ReceivedMessage } from '@hush/message';
import { ClientError } from './errors.js';
import { toHex } from './hex.js';

/**
 * An envelope to deliver: what any receiver hands over, with its PoW when the receiver
 * already computed it (the gossip engine does; otherwise it is computed here, once).
 */
export interface DeliveredEnvelope extends ReceivedEnvelope<Envelope> {
  readonly pow?: number;
}

/**
 * Sources whose envelopes are peer-to-peer in geth's sense (not flooded, possibly old): only
 * filters that allow p2p (`allowP2P`) receive them. A direct channel's envelopes are not among
 * them: they are live messages from an authenticated contact, and reach every filter they
 * match as gossip does (specs/transport-direct §4.3), so an application need not know which
 * path a message took.
 */
const P2P_SOURCES: ReadonlySet<EnvelopeSource> = new Set(['p2p', 'history', 'inbox']);

/** Whether envelopes from `source` count as peer-to-peer for filters (geth's isP2P). */
export function isP2PSource(source: EnvelopeSource): boolean {
  return P2P_SOURCES.has(source);
}

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
   * Filters and subscriptions one owner (a WebSocket connection, or an HTTP client's
   * address) may hold at once (default 250, a quarter of the default total), so that one
   * owner cannot take every slot.
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

/**
 * The filters of one client (or one node's RPC clients), indexed by topic.
 *
 * @example
 * ```ts
 * const registry = new FilterRegistry();
 * const id = registry.add({ symKey, topics: [topic] }, Date.now());
 * const detach = registry.attach(receiver);
 * registry.retrieve(id, Date.now()); // messages delivered since the last poll
 * ```
 */
export class FilterRegistry {
  private readonly filters = new Map<string, Entry>();
  private readonly byTopic = new Map<number, Set<Entry>>();
  private readonly anyTopic = new Set<Entry>();
  private readonly backend: CryptoBackend;
  private readonly limits: Required<FilterLimits>;
  private readonly perOwner = new Map<string, number>();

  constructor(backend: CryptoBackend = defaultBackend, limits: FilterLimits = {}) {
    this.backend = backend;
    this.limits = {
      maxFilters: limits.maxFilters ?? 1000,
      maxPerClient: limits.maxPerClient ?? 250,
      maxQueued: limits.maxQueued ?? 1000,
      idleMs: limits.idleMs ?? 300_000,
      maxSeen: limits.maxSeen ?? 4096,
    };
  }

  /** Filters held. */
  get size(): number {
    return this.filters.size;
  }

  /**
   * Adds a filter for `owner` (the client that asks); `now` (ms) starts its idle time.
   *
   * @returns its id (32 random bytes as hex, as geth's)
   * @throws ClientError 'full' when the registry is full, 'quota' when the owner holds its
   *   quota
   */
  add(spec: MessageFilter, now: number, owner = 'local'): string {
    if (this.filters.size >= this.limits.maxFilters)
      throw new ClientError('full', `too many filters (${this.limits.maxFilters})`);
    const held = this.perOwner.get(owner) ?? 0;
    if (held >= this.limits.maxPerClient)
      throw new ClientError(
        'quota',
        `this client holds ${held} filters and subscriptions, the most one client may (${this.limits.maxPerClient})`,
      );
    this.perOwner.set(owner, held + 1);
    const id = toHex(randomBytes(32));
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

  /** Removes a filter; false for an unknown id. */
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

  /** Removes every filter. */
  clear(): void {
    for (const id of [...this.filters.keys()]) this.remove(id);
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

  /** Removes polling filters nobody has polled for `idleMs`. */
  sweep(now: number): void {
    for (const [id, entry] of this.filters) {
      if (!entry.listener && now - entry.lastPolled > this.limits.idleMs) this.remove(id);
    }
  }

  /**
   * Opens an envelope for every filter that may want it; a filter that already received this
   * envelope (same hash) does not receive it again. Envelopes from a p2p source
   * ({@link isP2PSource}) reach only filters that allow p2p.
   */
  deliver(received: DeliveredEnvelope): void {
    const { envelope } = received;
    const candidates = new Set(this.anyTopic);
    for (const entry of this.byTopic.get(topicKey(envelope.topic)) ?? []) candidates.add(entry);
    if (candidates.size === 0) return;
    const hash = toHex(received.hash);
    const p2p = isP2PSource(received.source);
    let facts: { hash: Uint8Array; pow: number } | undefined;
    for (const entry of candidates) {
      if (entry.seen.has(hash)) continue;
      facts ??= { hash: received.hash, pow: received.pow ?? envelopePow(envelope) };
      let message: ReceivedMessage;
      try {
        message = deliverToFilter(envelope, entry.spec, { backend: this.backend, facts, p2p });
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

  /**
   * Delivers every envelope `receiver` hands over from now on.
   *
   * @returns the detachment
   */
  attach(receiver: EnvelopeReceiver<Envelope>): () => void {
    return receiver.onEnvelope((received) => this.deliver(received));
  }
}
