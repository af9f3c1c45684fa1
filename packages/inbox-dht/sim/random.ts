/**
 * Seeded randomness: every random choice of the simulation (keys, ids, targets, latencies,
 * losses, sessions, adversaries) comes from one of these, so a seed fixes the run.
 */

/** A seeded PRNG (mulberry32): numbers in [0, 1). */
export type Random = () => number;

/** mulberry32 over a 32-bit seed. */
export function prng(seed: number): Random {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A child stream of `random`: its own sequence, so one use does not shift another's. */
export function fork(random: Random): Random {
  return prng(Math.floor(random() * 4294967296));
}

/** `length` random bytes. */
export function bytes(random: Random, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = Math.floor(random() * 256);
  return out;
}

/** An integer in [0, n). */
export function below(random: Random, n: number): number {
  return Math.floor(random() * n);
}

/** Session lengths (ms) of one model. */
export type Sessions = (random: Random) => number;

/**
 * Exponential sessions of median `medianMs` (mean median / ln 2): memoryless, so a node's
 * chance to leave in the next minute never depends on how long it has been up.
 */
export function exponentialSessions(medianMs: number): Sessions {
  const mean = medianMs / Math.LN2;
  return (random) => -mean * Math.log(1 - random());
}

/**
 * Weibull sessions of shape `shape` and median `medianMs` (scale median / (ln 2)^(1/shape)).
 * Shape < 1 is what peer-to-peer measurements find (Stutzbach & Rejaie 2006, Steiner et al.
 * 2007 for KAD): many short sessions and a long tail of long ones.
 */
export function weibullSessions(medianMs: number, shape: number): Sessions {
  const scale = medianMs / Math.LN2 ** (1 / shape);
  return (random) => scale * (-Math.log(1 - random())) ** (1 / shape);
}

/** The p-th percentile (nearest rank) of sorted numbers; NaN when empty. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}
