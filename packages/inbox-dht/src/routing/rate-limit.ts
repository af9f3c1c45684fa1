/**
 * Per-peer request limits on the serving side (SPEC §2.5): a token bucket per peer id,
 * refilled by the clock. The map of buckets is bounded: past `maxPeers` the peer heard from
 * least recently is forgotten (a forgotten peer starts again with a full bucket, which a
 * flood of fresh identities could use; each identity still pays a Noise handshake).
 */
import type { Clock, PeerId } from '@hush/interface';

/** How fast one peer may ask. */
export interface RateLimitOptions {
  /** Requests per second on average (default 10). */
  readonly perSecond?: number;
  /** Requests allowed at once (default 40). */
  readonly burst?: number;
  /** Peers tracked at most (default 4096). */
  readonly maxPeers?: number;
}

interface TokenBucket {
  tokens: number;
  at: number;
}

/** Token buckets, one per peer. */
export class PeerRateLimiter {
  private readonly clock: Clock;
  readonly perSecond: number;
  readonly burst: number;
  private readonly maxPeers: number;
  private readonly buckets = new Map<PeerId, TokenBucket>();

  /** @throws RangeError for a rate, burst or bound that is not positive */
  constructor(clock: Clock, options: RateLimitOptions = {}) {
    this.clock = clock;
    this.perSecond = options.perSecond ?? 10;
    this.burst = options.burst ?? 40;
    this.maxPeers = options.maxPeers ?? 4096;
    if (!(this.perSecond > 0) || !(this.burst >= 1) || !(this.maxPeers >= 1))
      throw new RangeError('rate limits: perSecond > 0, burst ≥ 1, maxPeers ≥ 1');
  }

  /** Takes `cost` tokens from `peer`'s bucket; false (and nothing taken) when it lacks them. */
  take(peer: PeerId, cost = 1): boolean {
    const now = this.clock.now();
    let bucket = this.buckets.get(peer);
    if (bucket) {
      this.buckets.delete(peer);
      bucket.tokens = Math.min(
        this.burst,
        bucket.tokens + (Math.max(0, now - bucket.at) * this.perSecond) / 1000,
      );
      bucket.at = now;
    } else {
      bucket = { tokens: this.burst, at: now };
      if (this.buckets.size >= this.maxPeers) {
        const oldest = this.buckets.keys().next().value;
        if (oldest !== undefined) this.buckets.delete(oldest);
      }
    }
    this.buckets.set(peer, bucket);
    if (bucket.tokens < cost) return false;
    bucket.tokens -= cost;
    return true;
  }

  /** Peers tracked now. */
  get tracked(): number {
    return this.buckets.size;
  }
}
