/**
 * Ingest and the pool (specs/whisper-v6 SPEC §6.1–§6.2): every envelope, received or posted,
 * is hashed, its PoW computed, judged by the admission rules with the settings of the moment,
 * pooled when new, queued for the ready peers that want it, and delivered to subscriptions.
 * Expired entries are swept on the expiration cycle.
 */
import { topicToBloom } from '@hush/bloom';
import { decodeEnvelope, type Envelope, encodeEnvelope, envelopeHashAndPow } from '@hush/envelope';
import type { Clock, Logger } from '@hush/interface';
import { admit } from './admission.js';
import { type EngineMetrics, FROM_LOCAL, FROM_PEER, POOL_FULL } from './engine-metrics.js';
import { GossipError } from './errors.js';
import type { PeerSession } from './peer-session.js';
import { EnvelopePool, KnownBy, type PoolEntry } from './pool.js';
import type { NodeSettings } from './settings.js';
import {
  type AcceptedEnvelope,
  QueueSubscription,
  type SubscribeOptions,
  type Subscription,
} from './subscription.js';

/** What became of one envelope. */
export type IngestResult =
  /** `cached`: the pool holds it; `fresh`: it was new. */
  { hash: Uint8Array; cached: boolean; fresh: boolean } | { error: GossipError };

/** What the intake needs of the engine. */
export interface IntakeContext {
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: EngineMetrics;
  readonly settings: NodeSettings;
  readonly maxPoolBytes: number;
  /** The attached peers. */
  sessions(): Iterable<PeerSession>;
  /** Whether anyone listens to accepted envelopes (so none is built for no one). */
  listening(): boolean;
  /** Tells the listeners of one accepted envelope. */
  emit(accepted: AcceptedEnvelope): void;
}

/** The pool and what feeds it. */
export class EnvelopeIntake {
  readonly pool = new EnvelopePool();
  private readonly subscriptions = new Set<QueueSubscription>();
  private readonly topicBlooms = new Map<number, Uint8Array>();
  private readonly context: IntakeContext;

  constructor(context: IntakeContext) {
    this.context = context;
  }

  /** Blooms by topic: most envelopes share a few topics; the cache is bounded. */
  private bloomOf(topic: Uint8Array): Uint8Array {
    const key = ((topic[0]! << 24) | (topic[1]! << 16) | (topic[2]! << 8) | topic[3]!) >>> 0;
    const cached = this.topicBlooms.get(key);
    if (cached) return cached;
    if (this.topicBlooms.size >= 4096) this.topicBlooms.clear();
    const bloom = topicToBloom(topic);
    this.topicBlooms.set(key, bloom);
    return bloom;
  }

  /**
   * Admits one envelope from `from` (undefined: posted locally); `encodedInPacket` is its
   * encoding as received, reused for hashing and pooling.
   */
  ingest(
    envelope: Envelope,
    from: PeerSession | undefined,
    p2p: boolean,
    encodedInPacket?: Uint8Array,
  ): IngestResult {
    const { metrics, settings, clock } = this.context;
    metrics.received.inc(1, from ? FROM_PEER : FROM_LOCAL);
    const facts = envelopeHashAndPow(envelope, 0, encodedInPacket);
    const bloom = this.bloomOf(envelope.topic);
    const now = clock.now();
    const verdict = admit(envelope, facts.pow, settings.at(now), Math.floor(now / 1000), bloom);
    if (verdict.verdict === 'reject') {
      metrics.dropped.inc(1, { reason: verdict.code });
      return { error: new GossipError(verdict.code, verdict.message) };
    }
    if (verdict.verdict === 'drop') {
      metrics.dropped.inc(1, { reason: verdict.reason });
      if (from) return { hash: facts.hash, cached: false, fresh: false };
      return { error: new GossipError('expired', 'expired envelope not added') };
    }
    const existing = this.pool.get(facts.hash);
    if (existing) {
      metrics.duplicate.inc();
      if (from) existing.knownBy.add(from.index);
      return { hash: facts.hash, cached: true, fresh: false };
    }
    const encoded = encodedInPacket ?? encodeEnvelope(envelope);
    if (this.pool.totalBytes + encoded.length > this.context.maxPoolBytes) {
      metrics.dropped.inc(1, POOL_FULL);
      this.context.logger.warn(
        { pool: this.pool.totalBytes },
        'envelope pool full, envelope dropped',
      );
      if (!from) return { error: new GossipError('pool-full', 'envelope pool is full') };
      return { hash: facts.hash, cached: false, fresh: false };
    }
    const entry: PoolEntry = {
      hash: facts.hash,
      encoded,
      expiry: envelope.expiry,
      pow: verdict.pow,
      bloom,
      knownBy: new KnownBy(),
      local: !from,
      removed: false,
    };
    if (from) entry.knownBy.add(from.index);
    this.pool.add(entry);
    metrics.accepted.inc();
    metrics.poolEnvelopes.set(this.pool.size);
    // Light clients send their own posts but relay nothing they receive. A peer whose PoW
    // requirement or bloom refuses the envelope is not given it to consider: when either
    // changes, the peer reconsiders the whole pool anyway (resync).
    if (!settings.lightClient || !from) {
      for (const session of this.context.sessions())
        if (session.ready && session !== from && session.wants(entry)) session.pending.add(entry);
    }
    if (this.subscriptions.size > 0 || this.context.listening())
      this.deliver({
        envelope,
        hash: facts.hash,
        pow: verdict.pow,
        p2p,
        p2pMessage: false,
        from: from?.info.id,
      });
    return { hash: facts.hash, cached: true, fresh: true };
  }

  /** A pooled envelope (decoded anew from its encoding) and the PoW it was admitted with. */
  lookup(hash: Uint8Array): { envelope: Envelope; pow: number } | undefined {
    const entry = this.pool.get(hash);
    return entry && { envelope: decodeEnvelope(entry.encoded), pow: entry.pow };
  }

  /** The pooled envelopes (decoded anew from their encodings). */
  envelopes(): Envelope[] {
    return [...this.pool.values()].map((e) => decodeEnvelope(e.encoded));
  }

  /** Hands an accepted envelope to subscriptions and listeners. */
  deliver(accepted: AcceptedEnvelope): void {
    for (const subscription of this.subscriptions)
      if (subscription.wants(accepted)) subscription.push(accepted);
    this.context.emit(accepted);
  }

  subscribe(options: SubscribeOptions): Subscription {
    const subscription = new QueueSubscription(options, () =>
      this.subscriptions.delete(subscription),
    );
    this.subscriptions.add(subscription);
    return subscription;
  }

  /** Sweeps what expired by `nowSeconds` out of the pool and the peers' queues. */
  expire(nowSeconds: number): void {
    const removed = this.pool.sweep(nowSeconds);
    if (removed === 0) return;
    this.context.metrics.poolEnvelopes.set(this.pool.size);
    for (const session of this.context.sessions()) {
      for (const entry of session.pending) if (entry.removed) session.pending.delete(entry);
    }
  }

  /** Ends every subscription and empties the pool. */
  close(): void {
    for (const subscription of [...this.subscriptions]) subscription.close();
    this.pool.clear();
  }
}
