/**
 * The metrics interface libraries report through. A library registers each metric once, with
 * its help text and label names, and keeps the handle; there is no "count by name", so a
 * misspelt metric cannot vanish silently. Applications wire a real registry (the reference
 * node uses prom-client); {@link MemoryMetrics} records values for tests.
 */
import { HushError } from './errors.js';

/** What a metric is: its name, its help text and the labels it may carry. */
export interface MetricDefinition<Label extends string = never> {
  /** Prometheus style: `hush_<subsystem>_<what>[_total]`. */
  readonly name: string;
  readonly help: string;
  readonly labelNames?: readonly Label[];
}

/** Label values of one series; every key must be a declared label name. */
export type Labels<Label extends string> = Readonly<Partial<Record<Label, string>>>;

/** A value that only goes up. */
export interface Counter<Label extends string = never> {
  /** Adds `value` (default 1). @throws RangeError for a label that was not declared */
  inc(value?: number, labels?: Labels<Label>): void;
}

/** A value that goes up and down. */
export interface Gauge<Label extends string = never> {
  /** @throws RangeError for a label that was not declared */
  set(value: number, labels?: Labels<Label>): void;
}

/** Where a library registers its metrics. */
export interface Metrics {
  /**
   * Registers a counter, or returns the one already registered under that name.
   *
   * @throws MetricsError 'conflict' when the name is registered as another kind or with
   *   other labels
   */
  counter<Label extends string = never>(definition: MetricDefinition<Label>): Counter<Label>;
  /**
   * Registers a gauge, or returns the one already registered under that name.
   *
   * @throws MetricsError 'conflict' when the name is registered as another kind or with
   *   other labels
   */
  gauge<Label extends string = never>(definition: MetricDefinition<Label>): Gauge<Label>;
}

/** Why a metrics operation failed. */
export type MetricsErrorCode = 'unknown-metric' | 'conflict';

/** A metric that was never registered, or registered twice differently. */
export class MetricsError extends HushError<MetricsErrorCode> {
  override readonly name = 'MetricsError';
}

const nothing = () => {};

/** Metrics that record nothing (a library's default when the application wires none). */
export const noMetrics: Metrics = {
  counter: () => ({ inc: nothing }),
  gauge: () => ({ set: nothing }),
};

interface Registered {
  readonly kind: 'counter' | 'gauge';
  readonly labelNames: readonly string[];
  readonly series: Map<string, number>;
}

function seriesKey(name: string, labelNames: readonly string[], labels: object = {}): string {
  for (const label of Object.keys(labels))
    if (!labelNames.includes(label))
      throw new RangeError(`labels: ${label} is not a label of ${name}`);
  return JSON.stringify(labelNames.map((label) => (labels as Record<string, string>)[label] ?? ''));
}

/**
 * Metrics kept in memory, for tests and simulations: every registered series can be read
 * back, and reading a metric that was never registered is an error.
 *
 * @example
 * ```ts
 * const metrics = new MemoryMetrics();
 * const engine = new GossipEngine({ metrics, … });
 * metrics.value('hush_envelopes_accepted_total'); // 0 until one is accepted
 * ```
 */
export class MemoryMetrics implements Metrics {
  private readonly registered = new Map<string, Registered>();

  private register(kind: 'counter' | 'gauge', definition: MetricDefinition<string>): Registered {
    const labelNames = definition.labelNames ?? [];
    const existing = this.registered.get(definition.name);
    if (existing) {
      if (existing.kind !== kind || existing.labelNames.join() !== labelNames.join())
        throw new MetricsError(
          'conflict',
          `${definition.name} is already registered as a ${existing.kind} with labels [${existing.labelNames.join(', ')}]`,
        );
      return existing;
    }
    const registered = { kind, labelNames, series: new Map<string, number>() };
    this.registered.set(definition.name, registered);
    return registered;
  }

  counter<Label extends string = never>(definition: MetricDefinition<Label>): Counter<Label> {
    const { labelNames, series } = this.register('counter', definition);
    return {
      inc(value = 1, labels) {
        if (value < 0) throw new RangeError(`value: a counter cannot go down (${value})`);
        const key = seriesKey(definition.name, labelNames, labels);
        series.set(key, (series.get(key) ?? 0) + value);
      },
    };
  }

  gauge<Label extends string = never>(definition: MetricDefinition<Label>): Gauge<Label> {
    const { labelNames, series } = this.register('gauge', definition);
    return {
      set(value, labels) {
        series.set(seriesKey(definition.name, labelNames, labels), value);
      },
    };
  }

  /**
   * The current value of one series (0 when registered but never changed).
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
   * Every series of a metric with its labels (a label left empty is absent), in the order
   * they were first written; none for a metric not registered (yet).
   */
  series(name: string): { labels: Record<string, string>; value: number }[] {
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

  /** The names registered so far. */
  names(): string[] {
    return [...this.registered.keys()];
  }
}
