/**
 * The page's metrics: an implementation of `@hush/interface`'s `Metrics` that keeps every
 * series in memory, so the live panel can read what the gossip engine counts (envelopes
 * received, accepted, duplicate, dropped by reason; peer errors by code; the pool size) in
 * the same tab, without a Prometheus registry. It also keeps the last PoW timings the app
 * records, which no engine metric carries: sealing happens in the app, before a post.
 *
 * Browser-safe (no Node built-ins) and small: it is on the first screen, since the page passes
 * it to `createGossipNode` at start, while the panel that draws it is loaded later.
 */
import {
  type Counter,
  type Gauge,
  type Labels,
  type MetricDefinition,
  type Metrics,
  MetricsError,
} from '@hush/interface';

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

/** One series of a metric: its label values and its value. */
export interface SeriesValue {
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

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

interface Registered {
  readonly kind: 'counter' | 'gauge';
  readonly labelNames: readonly string[];
  /** Series by the JSON of their label values, in `labelNames` order. */
  readonly series: Map<string, number>;
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
export class PageMetrics implements Metrics {
  private readonly registered = new Map<string, Registered>();
  private readonly pow: PowTime[] = [];
  private readonly powKept: number;

  /** @throws RangeError when `powTimesKept` is not a positive integer */
  constructor(options: PageMetricsOptions = {}) {
    const kept = options.powTimesKept ?? 500;
    if (!Number.isInteger(kept) || kept < 1)
      throw new RangeError(`powTimesKept: a positive integer, not ${kept}`);
    this.powKept = kept;
  }

  private register(kind: 'counter' | 'gauge', definition: MetricDefinition<string>): Registered {
    const labelNames = definition.labelNames ?? [];
    const existing = this.registered.get(definition.name);
    if (existing) {
      // The same metric registered again (a second engine on the same page) shares the series;
      // a different kind or other labels would make them unreadable.
      if (existing.kind !== kind || existing.labelNames.join() !== labelNames.join())
        throw new MetricsError(
          'conflict',
          `${definition.name} is already registered as a ${existing.kind} with labels [${existing.labelNames.join(', ')}]`,
        );
      return existing;
    }
    const registered: Registered = { kind, labelNames: [...labelNames], series: new Map() };
    this.registered.set(definition.name, registered);
    return registered;
  }

  /**
   * Registers a counter, or returns the one already registered under that name.
   *
   * @throws MetricsError 'conflict' when the name is registered as a gauge or with other labels
   */
  counter<Label extends string = never>(definition: MetricDefinition<Label>): Counter<Label> {
    const { name } = definition;
    const { labelNames, series } = this.register('counter', definition);
    return {
      inc(value = 1, labels?: Labels<Label>) {
        if (!(value >= 0)) throw new RangeError(`value: a counter cannot go down (${value})`);
        const key = seriesKey(name, labelNames, labels);
        series.set(key, (series.get(key) ?? 0) + value);
      },
    };
  }

  /**
   * Registers a gauge, or returns the one already registered under that name.
   *
   * @throws MetricsError 'conflict' when the name is registered as a counter or with other
   *   labels
   */
  gauge<Label extends string = never>(definition: MetricDefinition<Label>): Gauge<Label> {
    const { name } = definition;
    const { labelNames, series } = this.register('gauge', definition);
    return {
      set(value, labels?: Labels<Label>) {
        series.set(seriesKey(name, labelNames, labels), value);
      },
    };
  }

  /**
   * The value of one series (0 when registered but never changed). Strict, for tests and
   * code that knows the metric exists: a misspelt name is an error, not a zero.
   *
   * @throws MetricsError 'unknown-metric' when no metric of that name was registered
   * @throws RangeError for a label the metric does not have
   */
  value(name: string, labels: Readonly<Record<string, string>> = {}): number {
    const registered = this.registered.get(name);
    if (!registered) throw new MetricsError('unknown-metric', `no metric named ${name}`);
    return registered.series.get(seriesKey(name, registered.labelNames, labels)) ?? 0;
  }

  /**
   * The sum of every series of a metric; 0 when it is not registered (yet). Lenient, because
   * the panel may open before the node that registers the metrics is made.
   */
  total(name: string): number {
    let sum = 0;
    for (const value of this.registered.get(name)?.series.values() ?? []) sum += value;
    return sum;
  }

  /** Every series of a metric with its labels; none when it is not registered (yet). */
  series(name: string): SeriesValue[] {
    const registered = this.registered.get(name);
    if (!registered) return [];
    return [...registered.series].map(([key, value]) => {
      const values = JSON.parse(key) as string[];
      const labels: Record<string, string> = {};
      registered.labelNames.forEach((label, i) => {
        if (values[i]) labels[label] = values[i];
      });
      return { labels, value };
    });
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

  /** The names registered so far. */
  names(): string[] {
    return [...this.registered.keys()];
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
function seriesKey(name: string, labelNames: readonly string[], labels: object = {}): string {
  for (const label of Object.keys(labels))
    if (!labelNames.includes(label))
      throw new RangeError(`labels: ${label} is not a label of ${name}`);
  return JSON.stringify(labelNames.map((label) => (labels as Record<string, string>)[label] ?? ''));
}
