/**
 * A small benchmark harness: runs a function in batches for a fixed time, repeats, and
 * reports the median rate beside geth's figure for the same work. The rates are printed,
 * never asserted.
 *
 * geth's figures come from tools/geth-reference, a Go program built against go-ethereum
 * v1.8.27 that times geth's own functions, one case per hot path. With `pnpm bench --geth
 * PATH` (see {@link useGeth}) each referenced measurement runs three rounds of geth's case and
 * three of Hush's, alternately, both on one pinned core, and prints the two medians and their
 * ratio. Without it the reference is the figure recorded in tools/geth-reference/recorded.json,
 * printed with the date and machine it was recorded on.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';

/** The cases of tools/geth-reference (`geth-reference list`; README.md says what each times). */
export type GethCase =
  | 'seal-hashrate'
  | 'keccak256-64'
  | 'decode-single'
  | 'decode-packet-64'
  | 'decode-packet-128'
  | 'open-sym-unsigned'
  | 'open-sym-unsigned-cached'
  | 'open-sym-signed'
  | 'open-asym-right'
  | 'open-asym-wrong'
  | 'ecdh'
  | 'sig-recover'
  // Measured by a bench against a live `geth-reference whisper-node` (compareWithGethProcess).
  | 'rlpx-ingest-8'
  | 'rlpx-ingest-8-small';

/** geth's counterpart of a measurement: a tools/geth-reference case. */
export interface Reference {
  readonly geth: GethCase;
  /** A few words printed beside the figure when the case is not the whole of Hush's work. */
  readonly note?: string;
}

/** The reference of a measurement whose geth counterpart is `name`. */
export function geth(name: GethCase, note?: string): Reference {
  return note === undefined ? { geth: name } : { geth: name, note };
}

/** One benchmark's result. */
export interface Measurement {
  readonly name: string;
  /** Median operations per second. */
  readonly rate: number;
  readonly unit: string;
  readonly reference?: Reference;
  /** Threads (or processes) the Hush figure ran on, when more than one. */
  readonly threads?: number;
}

export interface MeasureOptions {
  /** Operations one call of `fn` performs (default 1). */
  readonly opsPerCall?: number;
  /** Milliseconds per run (default 1000); geth's rounds run as long. */
  readonly runMs?: number;
  /** Runs whose median is taken (default 3; always 3 alternating rounds against live geth). */
  readonly runs?: number;
  readonly unit?: string;
  readonly reference?: Reference;
  /** Threads the Hush figure runs on, when more than one: it is not pinned to one core. */
  readonly threads?: number;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

// ---------------------------------------------------------------------------------------
// geth: live (a harness binary run in this process's rounds) or recorded (recorded.json)

/** One line of `geth-reference <case> <ms>`. */
interface GethRound {
  readonly case: string;
  readonly ops: number;
  readonly seconds: number;
  readonly rate: number;
  readonly unit: string;
  readonly geth: string;
  readonly go: string;
}

interface LiveGeth {
  readonly path: string;
  /** The core both sides run on, or null without taskset. */
  readonly core: number | null;
  /** This process's affinity list before pinning, restored after each comparison. */
  readonly affinity: string | null;
  readonly rounds: Map<
    GethCase,
    {
      rates: number[];
      ms: Set<number>;
      alternated: boolean;
      last: GethRound;
      /** How the rounds ran, for recorded.json, when not `geth-reference <case> <ms>` runs. */
      how?: string;
    }
  >;
}

let live: LiveGeth | undefined;

/** The CPUs this process may run on, as taskset prints them ("0,1", "0-3"), or null. */
function affinityList(): string | null {
  const result = spawnSync('taskset', ['-pc', String(process.pid)], { encoding: 'utf8' });
  if (result.status !== 0) return null;
  return /:\s*(\S+)\s*$/.exec(result.stdout)?.[1] ?? null;
}

function expandList(list: string): number[] {
  return list.split(',').flatMap((part) => {
    const [from, to] = part.split('-').map(Number) as [number, number | undefined];
    return Array.from({ length: (to ?? from) - from + 1 }, (_, i) => from + i);
  });
}

/**
 * Compares with a geth-reference binary in this run. With taskset, the comparisons run on
 * `core` (default: the last core this process may use): for each referenced measurement, every
 * thread of this process is pinned to it (`taskset -a -p`), geth's rounds run under
 * `taskset -c`, and the process's affinity is restored afterwards, so benchmarks without a
 * geth counterpart (worker pools, multi-process ones) keep all their cores. Returns the
 * description of the setting for the run's header.
 */
export function useGeth(path: string, core?: number): string {
  const probe = spawnSync(path, ['list'], { encoding: 'utf8' });
  if (probe.status !== 0) {
    throw new Error(`${path} list failed: ${probe.error?.message ?? probe.stderr}`);
  }
  const affinity = affinityList();
  let chosen: number | null = null;
  if (affinity !== null) {
    const allowed = expandList(affinity);
    chosen = core ?? allowed[allowed.length - 1]!;
    if (!allowed.includes(chosen))
      throw new Error(`core ${chosen} is not in this process's CPUs (${affinity})`);
  }
  live = { path, core: chosen, affinity, rounds: new Map() };
  return chosen === null
    ? `geth: ${path}, run alternately with Hush in this run, 3 rounds each; unpinned (no taskset)`
    : `geth: ${path}, run alternately with Hush in this run, 3 rounds each, both pinned to core ${chosen} (taskset)`;
}

/** Pins every thread of this process to the comparison core (a no-op when already there). */
function pin(): void {
  if (!live || live.core === null || live.affinity === String(live.core)) return;
  spawnSync('taskset', ['-a', '-p', '-c', String(live.core), String(process.pid)], {
    stdio: 'ignore',
  });
}

/** Gives every thread of this process its CPUs back. */
function unpin(): void {
  if (!live || live.affinity === null || live.affinity === String(live.core)) return;
  spawnSync('taskset', ['-a', '-p', '-c', live.affinity, String(process.pid)], {
    stdio: 'ignore',
  });
}

/** One round of a geth case: its rate, run on the pinned core. */
function gethRound(name: GethCase, ms: number, alternated: boolean): number {
  const { path, core } = live!;
  const args = [name, String(Math.max(1, Math.round(ms)))];
  const result =
    core === null
      ? spawnSync(path, args, { encoding: 'utf8' })
      : spawnSync('taskset', ['-c', String(core), path, ...args], { encoding: 'utf8' });
  if (result.status !== 0) {
    throw new Error(
      `geth-reference ${args.join(' ')} failed: ${result.error?.message ?? result.stderr}`,
    );
  }
  const round = JSON.parse(result.stdout.trim().split('\n').pop()!) as GethRound;
  const rounds = live!.rounds.get(name) ?? {
    rates: [],
    ms: new Set<number>(),
    alternated: true,
    last: round,
  };
  rounds.alternated &&= alternated;
  rounds.rates.push(round.rate);
  rounds.ms.add(Number(args[1]));
  rounds.last = round;
  live!.rounds.set(name, rounds);
  return round.rate;
}

/** A figure of recorded.json. */
interface Recorded {
  readonly rate: number;
  readonly unit: string;
  /** YYYY-MM-DD. */
  readonly date: string;
  /** CPU model, as /proc/cpuinfo names it. */
  readonly cpu: string;
  readonly cores: number;
  readonly geth: string;
  readonly go: string;
  readonly how: string;
}

interface RecordedFile {
  readonly about: string;
  readonly cases: Partial<Record<GethCase, Recorded>>;
}

/** tools/geth-reference/recorded.json. */
export const recordedFile = join(
  import.meta.dirname,
  '..',
  '..',
  'geth-reference',
  'recorded.json',
);

let recorded: RecordedFile | undefined;

function recordedFigures(): RecordedFile {
  if (!recorded) {
    try {
      recorded = JSON.parse(readFileSync(recordedFile, 'utf8')) as RecordedFile;
    } catch {
      recorded = { about: '', cases: {} };
    }
  }
  return recorded;
}

/** The run's header line about the references, when no live geth is used. */
export function recordedHeader(): string {
  const all = Object.values(recordedFigures().cases);
  const machines = [...new Set(all.map((r) => `${r.date} on ${r.cpu} (${r.cores} cores)`))];
  return all.length === 0
    ? 'geth: no recorded figures (tools/geth-reference/recorded.json); pass --geth PATH to measure them'
    : `geth: figures recorded ${machines.join('; ')}, not measured in this run; ratios are against them (pass --geth PATH for same-run ratios)`;
}

/**
 * Writes the medians of the geth rounds of this run into recorded.json (cases not run keep
 * their figures). Returns the cases written.
 */
export function recordGethFigures(): string[] {
  if (!live) throw new Error('recording needs --geth PATH');
  const file = recordedFigures();
  const cases: Partial<Record<GethCase, Recorded>> = { ...file.cases };
  const date = new Date().toISOString().slice(0, 10);
  const cpu = cpus()[0]?.model.trim() ?? 'unknown cpu';
  for (const [name, { rates, ms, alternated, last, how }] of live.rounds) {
    const lengths = [...ms].sort((a, b) => a - b).join(', ');
    // A live-process comparison says how its rounds ran; a timed case, its lengths and core.
    const rounds =
      how !== undefined
        ? `median of ${rates.length} rounds, ${how}, in pnpm bench --geth, alternating with Hush's rounds`
        : `median of ${rates.length} rounds of ${lengths} ms, ${live.core === null ? 'unpinned' : `taskset -c ${live.core}`}, in pnpm bench --geth, ${alternated ? "alternating with Hush's rounds" : "run after Hush's figure"}`;
    cases[name] = {
      rate: Math.round(median(rates) * 10) / 10,
      unit: last.unit,
      date,
      cpu,
      cores: cpus().length,
      geth: last.geth,
      go: last.go,
      how: rounds,
    };
  }
  const sorted = Object.fromEntries(Object.entries(cases).sort(([a], [b]) => a.localeCompare(b)));
  const out: RecordedFile = {
    about:
      'go-ethereum v1.8.27 figures timed by tools/geth-reference (README.md says what each case calls), recorded with `pnpm bench --geth PATH --record`. Printed beside Hush figures when pnpm bench runs without --geth.',
    cases: sorted,
  };
  writeFileSync(recordedFile, `${JSON.stringify(out, null, 2)}\n`);
  recorded = out;
  return [...live.rounds.keys()];
}

// ---------------------------------------------------------------------------------------
// measuring and reporting

/** geth's side of a reported line, computed by the caller. */
interface GethFigure {
  readonly rate: number;
  /** What the ratio is against, e.g. "same run, core 1". */
  readonly against: string;
  /** Where the figure comes from, printed after the case name ('' for a same-run median). */
  readonly source: string;
}

function formatRate(rate: number): string {
  if (rate >= 1e6) return `${(rate / 1e6).toFixed(3)} M`;
  if (rate >= 1e3) return `${(rate / 1e3).toFixed(1)} k`;
  return rate.toFixed(1);
}

function line(m: Measurement, figure?: GethFigure): void {
  let ref = '';
  if (m.reference) {
    const note = m.reference.note ? `, ${m.reference.note}` : '';
    const source = figure?.source ? `; ${figure.source}` : '';
    ref = figure
      ? `  geth ${formatRate(figure.rate)}${m.unit} [${m.reference.geth}${note}${source}]  ratio ${(m.rate / figure.rate).toFixed(2)}× ${figure.against}`
      : `  geth [${m.reference.geth}]: no recorded figure (pnpm bench --geth PATH --record)`;
  }
  console.log(`  ${m.name.padEnd(58)} ${formatRate(m.rate).padStart(10)}${m.unit}${ref}`);
}

function threadsNote(threads: number | undefined): string {
  return threads !== undefined && threads > 1 ? `; Hush on ${threads} threads, geth on 1 core` : '';
}

/** geth's recorded figure for a line. */
function recordedFigure(m: Measurement): GethFigure | undefined {
  const r = m.reference ? recordedFigures().cases[m.reference.geth] : undefined;
  if (!r) return undefined;
  return {
    rate: r.rate,
    source: `recorded ${r.date} on ${r.cpu}, ${r.cores} cores`,
    against: `vs recorded${threadsNote(m.threads) ? ` (${threadsNote(m.threads).slice(2)})` : ''}`,
  };
}

function liveAgainst(threads: number | undefined): string {
  const where = live!.core === null ? 'unpinned' : `core ${live!.core}`;
  return threads !== undefined && threads > 1
    ? `(same run; Hush unpinned on ${threads} threads, geth on ${where})`
    : `(same run, ${where})`;
}

/**
 * Runs `round` (one timed run of Hush's side, returning its rate) and reports the median.
 * Against live geth: three rounds of geth's case and three of `round`, alternately, pinned to
 * one core unless `threads` > 1 (then only geth is pinned). Otherwise: `runs` rounds, beside
 * the recorded figure.
 */
export async function compare(
  name: string,
  round: () => number | Promise<number>,
  options: {
    readonly unit: string;
    readonly reference?: Reference;
    readonly runs?: number;
    readonly runMs?: number;
    readonly threads?: number;
    /** Runs before the timed rounds, on the same core (e.g. a warm-up). */
    readonly warmUp?: () => unknown;
  },
): Promise<Measurement> {
  const { unit, reference, runs = 3, runMs = 1000, threads } = options;
  const base = { name, unit, ...(reference ? { reference } : {}), ...(threads ? { threads } : {}) };
  if (reference && live) {
    const single = threads === undefined || threads <= 1;
    const hush: number[] = [];
    const gethRates: number[] = [];
    if (single) pin();
    try {
      await options.warmUp?.();
      for (let i = 0; i < 3; i++) {
        gethRates.push(gethRound(reference.geth, runMs, true));
        hush.push(await round());
      }
    } finally {
      if (single) unpin();
    }
    const result: Measurement = { ...base, rate: median(hush) };
    line(result, { rate: median(gethRates), source: '', against: liveAgainst(threads) });
    return result;
  }
  await options.warmUp?.();
  const rates: number[] = [];
  for (let i = 0; i < runs; i++) rates.push(await round());
  const result: Measurement = { ...base, rate: median(rates) };
  report(result);
  return result;
}

/**
 * Measures `fn` (sync or async): a warm-up run, then `runs` timed runs (three alternating
 * with geth's against live geth); prints and returns the median rate.
 */
export async function measure(
  name: string,
  fn: () => unknown,
  options: MeasureOptions = {},
): Promise<Measurement> {
  const { opsPerCall = 1, runMs = 1000, unit = 'ops/s' } = options;
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
  return compare(name, () => once(runMs), {
    unit,
    runMs,
    warmUp: () => once(Math.min(runMs, 300)),
    ...(options.runs !== undefined ? { runs: options.runs } : {}),
    ...(options.reference ? { reference: options.reference } : {}),
    ...(options.threads !== undefined ? { threads: options.threads } : {}),
  });
}

/**
 * Prints one result line: name, rate, and geth's figure with the ratio. For a figure measured
 * once by the caller: against live geth, geth's case runs three pinned rounds right after and
 * the line says the Hush figure is one unpinned run.
 */
export function report(m: Measurement): void {
  if (m.reference && live) {
    const rates = [0, 1, 2].map(() => gethRound(m.reference!.geth, 1000, false));
    const where = live.core === null ? 'unpinned' : `on core ${live.core}`;
    line(m, {
      rate: median(rates),
      source: `3 rounds ${where} after Hush's run`,
      against: `(same run; Hush: 1 unpinned run${threadsNote(m.threads)})`,
    });
    return;
  }
  line(m, m.reference ? recordedFigure(m) : undefined);
}

// ---------------------------------------------------------------------------------------
// comparing with a live geth process (a node the bench drives, not a timed case)

/** The CPUs process `pid` may run on (`taskset -pc`), or null without taskset. */
export function cpusOf(pid: number): number[] | null {
  const result = spawnSync('taskset', ['-pc', String(pid)], { encoding: 'utf8' });
  const list = result.status === 0 ? /:\s*(\S+)\s*$/.exec(result.stdout)?.[1] : undefined;
  return list ? expandList(list) : null;
}

/** Moves every thread of process `pid` to `cpus` (`taskset -a -p -c`). */
export function pinTo(pid: number, cpus: readonly number[]): void {
  spawnSync('taskset', ['-a', '-p', '-c', cpus.join(','), String(pid)], { stdio: 'ignore' });
}

/** The geth-reference binary of this run (`pnpm bench --geth PATH`), or undefined. */
export function liveGeth(): { readonly path: string; readonly core: number | null } | undefined {
  return live ? { path: live.path, core: live.core } : undefined;
}

/**
 * The core a bench's measured side runs on: the comparison core of `--geth` (`--core N`, by
 * default the last core this process may use), else the last core this process may use;
 * null without taskset.
 */
export function measuredCore(): number | null {
  if (live) return live.core;
  const own = cpusOf(process.pid);
  return own ? own[own.length - 1]! : null;
}

/** One round of geth's side of {@link compareWithGethProcess}. */
export interface GethProcessRound {
  readonly rate: number;
  /** geth's and Go's versions, as the geth-reference binary printed them. */
  readonly geth: string;
  readonly go: string;
}

/**
 * Compares Hush with a live geth process the bench runs itself (for example `geth-reference
 * whisper-node`, a node the bench's peers send to), where a timed case of `geth-reference
 * <case> <ms>` does not fit. Both sides place themselves (`measuredCore()` says where the
 * measured side goes); `placement` says where each ran and is printed with the ratio.
 *
 * Against live geth (`--geth PATH`): a warm-up round of each, then `rounds` rounds of geth's
 * side and of Hush's, alternately; the line gives both medians and their ratio, and
 * `--record` writes geth's median under `reference.geth` with `how`. Otherwise: a warm-up and
 * `rounds` rounds of Hush's side, beside the recorded figure.
 */
export async function compareWithGethProcess(
  name: string,
  options: {
    readonly unit: string;
    readonly reference: Reference;
    /** One round of Hush's side: its rate. */
    readonly hush: () => Promise<number>;
    /** One round of geth's side, given the binary and the comparison core. */
    readonly geth: (binary: {
      readonly path: string;
      readonly core: number | null;
    }) => Promise<GethProcessRound>;
    /** Where each side ran, e.g. "Hush node and geth node each on core 1, senders on core 0". */
    readonly placement: string;
    /** What geth's rounds are, for recorded.json (e.g. "8 RLPx peers sending to …"). */
    readonly how: string;
    readonly rounds?: number;
  },
): Promise<Measurement & { readonly gethRate?: number }> {
  const { unit, reference, rounds = 3 } = options;
  const base = { name, unit, reference };
  await options.hush();
  if (!live) {
    const rates: number[] = [];
    for (let i = 0; i < rounds; i++) rates.push(await options.hush());
    const result: Measurement = { ...base, rate: median(rates) };
    report(result);
    return result;
  }
  const binary = { path: live.path, core: live.core };
  await options.geth(binary);
  const hush: number[] = [];
  const gethRates: number[] = [];
  let last: GethProcessRound | undefined;
  for (let i = 0; i < rounds; i++) {
    last = await options.geth(binary);
    gethRates.push(last.rate);
    hush.push(await options.hush());
  }
  const entry = live.rounds.get(reference.geth) ?? {
    rates: [],
    ms: new Set<number>(),
    alternated: true,
    last: { case: reference.geth, ops: 0, seconds: 0, rate: 0, unit: '', geth: '', go: '' },
    how: options.how,
  };
  entry.rates.push(...gethRates);
  entry.last = {
    case: reference.geth,
    ops: 0,
    seconds: 0,
    rate: last!.rate,
    unit: unit.trim(),
    geth: last!.geth,
    go: last!.go,
  };
  live.rounds.set(reference.geth, entry);
  const gethRate = median(gethRates);
  const result = { ...base, rate: median(hush), gethRate };
  line(result, { rate: gethRate, source: '', against: `(same run; ${options.placement})` });
  return result;
}

/** Prints a section heading. */
export function section(title: string): void {
  console.log(`\n${title}`);
}
