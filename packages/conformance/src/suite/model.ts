/**
 * The case model of the conformance suites: each case names its spec and section, the adapter
 * it needs and the profiles it belongs to, and its `run` decides pass, fail (with expected and
 * actual) or skip (with why). The runner adds `crashed`: the implementation stopped answering
 * during a case or right after it, and did not answer the re-probe either, after which every
 * remaining case is skipped. A single answer that did not come, from an implementation that
 * answers the re-probe, fails its case and the run goes on.
 */
import { isDeepStrictEqual } from 'node:util';
import { Unreachable } from './rpc-client.js';

/** What a case talks to. */
export type AdapterKind = 'in-process' | 'rpc' | 'peer';

/** Where an implementation deliberately differs, the behaviour a case expects. */
export const PROFILES = ['hush', 'geth-1.8.27'] as const;
export type Profile = (typeof PROFILES)[number];

/** The outcome of one case. */
export type Outcome =
  | { readonly status: 'pass'; readonly note?: string }
  | {
      readonly status: 'fail';
      readonly message: string;
      readonly expected: unknown;
      readonly actual: unknown;
    }
  | { readonly status: 'skip'; readonly why: string }
  | { readonly status: 'crashed'; readonly why: string };

export type Status = Outcome['status'];

/** A case of a suite, run with the adapter's context `C`. */
export interface ConformanceCase<C> {
  /** Unique within the run, e.g. `shh-rpc/keys/new-key-pair`. */
  readonly id: string;
  /** The spec's name, the folder under specs/ (e.g. `shh-rpc`). */
  readonly spec: string;
  /** Its section, e.g. `§3.2`. */
  readonly section: string;
  readonly title: string;
  readonly adapter: AdapterKind;
  /** When given, the case runs only under one of these profiles. */
  readonly profiles?: readonly Profile[];
  /** Resolves to the outcome; a thrown {@link Mismatch} is a failure, Unreachable a crash. */
  run(context: C): Promise<Outcome | undefined>;
}

/**
 * A suite's case builder: `make(section, name, title, run, profiles?)` gives the case with id
 * `<spec>/<prefix><name>[@profile+…]`. `run` throws to decide (Mismatch fails, Skip skips); it
 * may resolve to an outcome, and anything else is a pass.
 *
 * @throws nothing
 */
export function caseBuilder<C>(spec: string, adapter: AdapterKind, prefix = '') {
  return (
    section: string,
    name: string,
    title: string,
    run: (context: C) => Promise<unknown>,
    profiles?: readonly Profile[],
  ): ConformanceCase<C> => ({
    id: `${spec}/${prefix}${name}${profiles ? `@${profiles.join('+')}` : ''}`,
    spec,
    section,
    title,
    adapter,
    ...(profiles ? { profiles } : {}),
    run: async (context) => {
      const outcome = await run(context);
      return isOutcome(outcome) ? outcome : undefined;
    },
  });
}

function isOutcome(value: unknown): value is Outcome {
  const status = (value as { status?: unknown } | null)?.status;
  return (
    typeof value === 'object' &&
    (status === 'pass' || status === 'fail' || status === 'skip' || status === 'crashed')
  );
}

/** A failed expectation, thrown by {@link expectEqual} and friends inside a case. */
export class Mismatch extends Error {
  override readonly name = 'Mismatch';
  readonly expected: unknown;
  readonly actual: unknown;
  constructor(message: string, expected: unknown, actual: unknown) {
    super(message);
    this.expected = expected;
    this.actual = actual;
  }
}

/** A case skipped from inside (the transport or the node cannot run it). */
export class Skip extends Error {
  override readonly name = 'Skip';
}

/** Fails the case unless `actual` deep-equals `expected`. */
export function expectEqual(what: string, expected: unknown, actual: unknown): void {
  if (!isDeepStrictEqual(expected, actual)) throw new Mismatch(what, expected, actual);
}

/** Fails the case unless `ok`, showing `expected` (a description) and `actual`. */
export function expectThat(what: string, ok: boolean, expected: unknown, actual: unknown): void {
  if (!ok) throw new Mismatch(what, expected, actual);
}

/** A case's result with its metadata and how long it took. */
export interface CaseResult {
  readonly id: string;
  readonly spec: string;
  readonly section: string;
  readonly title: string;
  readonly adapter: AdapterKind;
  readonly profiles?: readonly Profile[];
  readonly outcome: Outcome;
  readonly ms: number;
}

/** The figures of a run. */
export interface SuiteTotals {
  passed: number;
  failed: number;
  skipped: number;
  crashed: number;
}

export function suiteTotals(results: readonly CaseResult[]): SuiteTotals {
  const t = { passed: 0, failed: 0, skipped: 0, crashed: 0 };
  for (const r of results) {
    if (r.outcome.status === 'pass') t.passed++;
    else if (r.outcome.status === 'fail') t.failed++;
    else if (r.outcome.status === 'skip') t.skipped++;
    else t.crashed++;
  }
  return t;
}

/** Whether a case is run under `profile` (no profile: only the cases without one). */
export function inProfile(c: { profiles?: readonly Profile[] }, profile?: Profile): boolean {
  return !c.profiles || (profile !== undefined && c.profiles.includes(profile));
}

export interface RunOptions<C> {
  readonly profile?: Profile;
  /** Resolves if the implementation still answers; throws (Unreachable) if it does not. */
  readonly alive: (context: C) => Promise<void>;
  /**
   * How often `alive` is tried again before a case that met an {@link Unreachable} (or after
   * which `alive` failed) is called crashed (default 2).
   */
  readonly reprobeTries?: number;
  /**
   * The longest the re-probe may take in all, ms (default 30 000): a probe that hangs past it
   * counts as no answer. Give at least the probe's own timeout per try.
   */
  readonly reprobeMs?: number;
  /** Each result as it is decided. */
  readonly onResult?: (result: CaseResult) => void;
  /** Only cases whose id contains one of these strings. */
  readonly only?: readonly string[];
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return code !== undefined ? `${error.name} ${String(code)}: ${error.message}` : error.message;
  }
  return String(error);
}

/** A pause between two tries of the re-probe: a node that dropped a connection may need it. */
const REPROBE_PAUSE_MS = 250;

/**
 * Tries `alive` up to `tries` times within `withinMs` in all: undefined once it answers, else
 * why it did not (its last error, or the bound).
 */
async function reprobe<C>(
  alive: (context: C) => Promise<void>,
  context: C,
  tries: number,
  withinMs: number,
): Promise<string | undefined> {
  const deadline = performance.now() + withinMs;
  let why = 'no re-probe was tried';
  for (let i = 0; i < tries; i++) {
    const left = deadline - performance.now();
    if (left <= 0) return `${why}; no answer to the re-probe within ${withinMs} ms`;
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        alive(context),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new Unreachable(`no answer to the re-probe within ${withinMs} ms`)),
            left,
          );
        }),
      ]);
      return undefined;
    } catch (error) {
      why = describe(error);
    } finally {
      clearTimeout(timer);
    }
    if (i + 1 < tries) await new Promise((resolve) => setTimeout(resolve, REPROBE_PAUSE_MS));
  }
  return why;
}

async function decide<C>(c: ConformanceCase<C>, context: C): Promise<Outcome> {
  try {
    return (await c.run(context)) ?? { status: 'pass' };
  } catch (error) {
    if (error instanceof Mismatch)
      return {
        status: 'fail',
        message: error.message,
        expected: error.expected,
        actual: error.actual,
      };
    if (error instanceof Skip) return { status: 'skip', why: error.message };
    if (error instanceof Unreachable) return { status: 'crashed', why: error.message };
    return {
      status: 'fail',
      message: 'unexpected error',
      expected: 'no error',
      actual: describe(error),
    };
  }
}

/**
 * Runs `cases` in order under `options.profile`. Cases of other profiles are not reported.
 *
 * A case that meets an {@link Unreachable} (an answer that did not come), or after which
 * `alive` throws, is decided by a re-probe (`alive` tried `reprobeTries` times within
 * `reprobeMs`): if the implementation answers it, the case fails with what did not come and
 * the run goes on; if not, the case is `crashed` and every later case is skipped as "the
 * implementation crashed".
 *
 * @throws Error for two cases with one id (before any case runs)
 */
export async function runCases<C>(
  cases: readonly ConformanceCase<C>[],
  context: C,
  options: RunOptions<C>,
): Promise<CaseResult[]> {
  const ids = new Set<string>();
  for (const c of cases) {
    if (ids.has(c.id)) throw new Error(`duplicate case id ${c.id}`);
    ids.add(c.id);
  }
  const results: CaseResult[] = [];
  const tries = Math.max(1, options.reprobeTries ?? 2);
  const withinMs = options.reprobeMs ?? 30_000;
  const stillDead = () => reprobe(options.alive, context, tries, withinMs);
  let crashed: string | undefined;
  for (const c of cases) {
    if (!inProfile(c, options.profile)) continue;
    if (options.only && !options.only.some((s) => c.id.includes(s))) continue;
    const start = performance.now();
    let outcome: Outcome;
    if (crashed) outcome = { status: 'skip', why: `the implementation crashed (${crashed})` };
    else {
      outcome = await decide(c, context);
      if (outcome.status === 'crashed') {
        // One answer that did not come is not yet a crash: a slow or lost answer from a node
        // that still answers is that case's failure, and the rest of the run can go on.
        const dead = await stillDead();
        outcome =
          dead === undefined
            ? {
                status: 'fail',
                message: outcome.why,
                expected: 'an answer',
                actual: 'none (the implementation answered the re-probe after it)',
              }
            : { status: 'crashed', why: `${outcome.why}; and no answer to the re-probe: ${dead}` };
      } else {
        try {
          await options.alive(context);
        } catch (error) {
          const was =
            outcome.status === 'fail'
              ? `; the case had failed: ${outcome.message}`
              : outcome.status === 'skip'
                ? `; the case was skipped: ${outcome.why}`
                : '';
          const after = `no answer right after the case: ${describe(error)}`;
          const dead = await stillDead();
          outcome =
            dead === undefined
              ? {
                  status: 'fail',
                  message: `${after}${was}`,
                  expected: 'an answer to the liveness probe',
                  actual: 'none (the implementation answered the re-probe after it)',
                }
              : {
                  status: 'crashed',
                  why: `${after}${was}; and no answer to the re-probe: ${dead}`,
                };
        }
      }
      if (outcome.status === 'crashed') crashed = c.id;
    }
    const result: CaseResult = {
      id: c.id,
      spec: c.spec,
      section: c.section,
      title: c.title,
      adapter: c.adapter,
      ...(c.profiles ? { profiles: c.profiles } : {}),
      outcome,
      ms: Math.round(performance.now() - start),
    };
    results.push(result);
    options.onResult?.(result);
  }
  return results;
}
