/**
 * A small benchmark harness: runs a function in batches for a fixed time, repeats, and
 * reports the median rate beside a reference figure. The rates are printed, never asserted.
 */

/** A reference figure to print beside a measurement. */
export interface Reference {
  /** Operations per second of the reference implementation. */
  readonly rate: number;
  /** Who measured what, e.g. "geth v1.8.27, 1 core". */
  readonly label: string;
}

/** One benchmark's result. */
export interface Measurement {
  readonly name: string;
  /** Median operations per second. */
  readonly rate: number;
  readonly unit: string;
  readonly reference?: Reference;
}

export interface MeasureOptions {
  /** Operations one call of `fn` performs (default 1). */
  readonly opsPerCall?: number;
  /** Milliseconds per run (default 1000). */
  readonly runMs?: number;
  /** Runs whose median is taken (default 3). */
  readonly runs?: number;
  readonly unit?: string;
  readonly reference?: Reference;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/**
 * Measures `fn` (sync or async): a warm-up run, then `runs` timed runs; prints and returns
 * the median rate.
 */
export async function measure(
  name: string,
  fn: () => unknown,
  options: MeasureOptions = {},
): Promise<Measurement> {
  const { opsPerCall = 1, runMs = 1000, runs = 3, unit = 'ops/s' } = options;
  const once = async (ms: number) => {
    let calls = 0;
    const start = performance.now();
    let elapsed = 0;
    while (elapsed < ms) {
      const result = fn();
      if (result instanceof Promise) await result;
      calls++;
      elapsed = performance.now() - start;
    }
    return (calls * opsPerCall * 1000) / elapsed;
  };
  await once(Math.min(runMs, 300));
  const rates: number[] = [];
  for (let i = 0; i < runs; i++) rates.push(await once(runMs));
  const result: Measurement = {
    name,
    rate: median(rates),
    unit,
    ...(options.reference ? { reference: options.reference } : {}),
  };
  report(result);
  return result;
}

function formatRate(rate: number): string {
  if (rate >= 1e6) return `${(rate / 1e6).toFixed(3)} M`;
  if (rate >= 1e3) return `${(rate / 1e3).toFixed(1)} k`;
  return rate.toFixed(1);
}

/** Prints one result line: name, rate, reference and ratio. */
export function report(m: Measurement): void {
  const ref = m.reference
    ? `  reference ${formatRate(m.reference.rate)}${m.unit} (${m.reference.label})  ratio ${(m.rate / m.reference.rate).toFixed(2)}×`
    : '';
  console.log(`  ${m.name.padEnd(58)} ${formatRate(m.rate).padStart(10)}${m.unit}${ref}`);
}

/** Prints a section heading. */
export function section(title: string): void {
  console.log(`\n${title}`);
}
