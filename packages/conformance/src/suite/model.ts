/**
 * The case model of the conformance suites: each case names its spec and section, the adapter
 * it needs and the profiles it belongs to, and its `run` decides pass, fail (with expected and
 * actual) or skip (with why). The runner adds `crashed`: the implementation stopped answering
 * during a case or right after it, after which every remaining case is skipped.
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
 * Runs `cases` in order under `options.profile`. Cases of other profiles are not reported; a
 * case during or after which the implementation does not answer (`alive` throws) is
 * `crashed`, and every later case is skipped as "the implementation crashed".
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
  let crashed: string | undefined;
  for (const c of cases) {
    if (!inProfile(c, options.profile)) continue;
    if (options.only && !options.only.some((s) => c.id.includes(s))) continue;
    const start = performance.now();
    let outcome: Outcome;
    if (crashed) outcome = { status: 'skip', why: `the implementation crashed (${crashed})` };
    else {
      outcome = await decide(c, context);
      if (outcome.status !== 'crashed') {
        try {
          await options.alive(context);
        } catch (error) {
          const was =
            outcome.status === 'fail'
              ? `; the case had failed: ${outcome.message}`
              : outcome.status === 'skip'
                ? `; the case was skipped: ${outcome.why}`
                : '';
          outcome = {
            status: 'crashed',
            why: `no answer right after the case: ${describe(error)}${was}`,
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
