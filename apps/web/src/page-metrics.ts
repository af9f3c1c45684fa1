/**
 * The page's metrics: `@hush/interface`'s `MemoryMetrics`, which keeps every series in
 * memory, with the readers the live panel needs, so the live panel can read what the gossip engine counts (envelopes
 * received, accepted, duplicate, dropped by reason; peer errors by code; the pool size) in
 * the same tab, without a Prometheus registry. It also keeps the last PoW timings the app
 * records, which no engine metric carries: sealing happens in the app, before a post.
 *
 * Browser-safe (no Node built-ins) and small: it is on the first screen, since the page passes
 * it to `createGossipNode` at start, while the panel that draws it is loaded later.
 */
import { MemoryMetrics } from '@hush/interface';

/**
 * The names of the gossip engine's metrics (`@hush/transport-gossip`, engine-metrics.ts) that
 * the panel reads. Kept here, once, so a test can check the engine still registers each one:
 * a renamed metric would otherwise leave a chart flat at zero without a word.
 */
export const GOSSIP_METRICS = {
  /** Counter, label `source` ('peer' | 'local'): every envelope seen. */
  received: 'hush_envelopes_received_total',
  /** Counter: envelopes new to the pool. */
  accepted: 'hush_envelopes_accepted_total',
  /** Counter: envelopes the pool already held. */
  duplicate: 'hush_envelopes_duplicate_total',
  /** Counter, label `reason`: envelopes refused or dropped. */
  dropped: 'hush_envelopes_dropped_total',
  /** Counter, label `code`: peers dropped for a protocol error. */
  peerErrors: 'hush_peer_errors_total',
  /** Gauge: envelopes in the pool. */
  pool: 'hush_pool_envelopes',
} as const;

/**
 * The drop reasons the engine reports, in the order the panel lists them: the admission
 * rules' codes (specs/whisper-v6 SPEC §6.1) and a full pool. A reason not listed here still
 * counts; the panel adds it after these.
 */
export const DROP_REASONS = [
  'expired',
  'low-pow',
  'too-large',
  'future',
  'very-old',
  'bloom-mismatch',
  'pool-full',
] as const;

/** The time one message's PoW took, recorded by the app after sealing it. */
export interface PowTime {
  /** When sealing finished, ms since the epoch. */
  readonly at: number;
  /** How long it took, ms. */
  readonly ms: number;
}

/** Settings of {@link PageMetrics}. */
export interface PageMetricsOptions {
  /** PoW timings kept at most, the newest (default 500). */
  readonly powTimesKept?: number;
}

/**
 * Metrics kept in the page's memory, readable by the live panel.
 *
 * @example
 * ```ts
 * const metrics = new PageMetrics();
 * const node = createGossipNode({ key, transport, metrics });
 * metrics.total(GOSSIP_METRICS.accepted); // envelopes accepted so far
 * metrics.recordPow(performance.now() - started); // after sealing a message
 * ```
 */
export class PageMetrics extends MemoryMetrics {
  private readonly pow: PowTime[] = [];
  private readonly powKept: number;

  /** @throws RangeError when `powTimesKept` is not a positive integer */
  constructor(options: PageMetricsOptions = {}) {
    super();
    const kept = options.powTimesKept ?? 500;
    if (!Number.isInteger(kept) || kept < 1)
      throw new RangeError(`powTimesKept: a positive integer, not ${kept}`);
    this.powKept = kept;
  }

  /**
   * The sum of every series of a metric; 0 when it is not registered (yet). Lenient, because
   * the panel may open before the node that registers the metrics is made.
   */
  total(name: string): number {
    let sum = 0;
    for (const { value } of this.series(name)) sum += value;
    return sum;
  }

  /**
   * The values of a metric by one of its labels (series without that label under ''); empty
   * when the metric is not registered (yet).
   */
  byLabel(name: string, label: string): Map<string, number> {
    const out = new Map<string, number>();
    for (const { labels, value } of this.series(name)) {
      const key = labels[label] ?? '';
      out.set(key, (out.get(key) ?? 0) + value);
    }
    return out;
  }

  /**
   * Records how long one message's PoW took; the oldest timing goes past `powTimesKept`.
   *
   * @throws RangeError when `ms` is negative or not finite
   */
  recordPow(ms: number, at: number = Date.now()): void {
    if (!Number.isFinite(ms) || ms < 0)
      throw new RangeError(`ms: a finite non-negative duration, not ${ms}`);
    this.pow.push({ at, ms });
    // Trimmed in batches, so recording stays O(1) amortised however many are kept.
    if (this.pow.length >= 2 * this.powKept) this.pow.splice(0, this.pow.length - this.powKept);
  }

  /** The PoW timings kept, oldest first (at most `powTimesKept`). */
  powTimes(): readonly PowTime[] {
    return this.pow.length > this.powKept ? this.pow.slice(-this.powKept) : this.pow;
  }
}

/** The key of one series: its label values in declaration order. */
