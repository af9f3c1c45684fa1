/**
 * The SURB creator's side (specs/mixnet-sphinx/SPEC.md §7.1): the decryption keys of each
 * SURB it handed out, kept in a `Store` under the SURB id until the reply comes or the SURB
 * expires (its path's keys rotate), used once; and the delay before a reply is retried on a
 * fresh SURB, drawn at random (exponential, capped), so the time of a retry says nothing about
 * whether the first reply arrived — no confirmation attack.
 */
import type { Clock, Store } from '@hush/interface';
import { bytesToHex } from '@noble/hashes/utils.js';
import { SURB_ID_LENGTH } from './geometry.js';

const PREFIX = 'surb/';

/** Where a SURB's keys are kept: `surb/<id hex>` → expiry (8 bytes, ms, big-endian) ‖ keys. */
function keyOf(id: Uint8Array): string {
  if (!(id instanceof Uint8Array) || id.length !== SURB_ID_LENGTH)
    throw new RangeError(`a SURB id is ${SURB_ID_LENGTH} bytes`);
  return `${PREFIX}${bytesToHex(id)}`;
}

/** The keys of the SURBs handed out, each used at most once. */
export class SurbStore {
  private readonly store: Store;
  private readonly clock: Clock;
  /** SURBs being taken now: two replies racing on one SURB give its keys once. */
  private readonly taking = new Set<string>();

  constructor(store: Store, clock: Clock) {
    this.store = store;
    this.clock = clock;
  }

  /**
   * Keeps a SURB's decryption keys until `expiresAt` (ms).
   *
   * @throws RangeError for a bad id or an expiry in the past; what the store throws
   */
  async add(id: Uint8Array, keys: Uint8Array, expiresAt: number): Promise<void> {
    const key = keyOf(id);
    if (!(expiresAt > this.clock.now())) throw new RangeError('expiresAt must be in the future');
    const value = new Uint8Array(8 + keys.length);
    new DataView(value.buffer).setBigUint64(0, BigInt(Math.floor(expiresAt)));
    value.set(keys, 8);
    await this.store.put(key, value);
  }

  /**
   * The keys of the SURB a reply came on, removed: a second reply on the same SURB finds
   * nothing, as does one on an expired SURB.
   *
   * @returns the keys, or undefined for an unknown, used or expired SURB
   * @throws RangeError for a bad id; what the store throws
   */
  async take(id: Uint8Array): Promise<Uint8Array | undefined> {
    const key = keyOf(id);
    if (this.taking.has(key)) return undefined;
    this.taking.add(key);
    let value: Uint8Array | undefined;
    try {
      value = await this.store.get(key);
      if (!value) return undefined;
      await this.store.delete(key);
    } finally {
      this.taking.delete(key);
    }
    const expiresAt = Number(new DataView(value.buffer, value.byteOffset).getBigUint64(0));
    return expiresAt > this.clock.now() ? value.slice(8) : undefined;
  }

  /**
   * Drops every expired SURB's keys.
   *
   * @returns how many were dropped
   * @throws what the store throws
   */
  async sweep(): Promise<number> {
    const now = this.clock.now();
    const expired: string[] = [];
    for await (const [key, value] of this.store.range({ gte: PREFIX, lt: `${PREFIX}~` })) {
      const expiresAt = Number(new DataView(value.buffer, value.byteOffset).getBigUint64(0));
      if (expiresAt <= now) expired.push(key);
    }
    if (expired.length > 0)
      await this.store.batch(expired.map((key) => ({ type: 'del' as const, key })));
    return expired.length;
  }
}

/** How retries of a reply are spaced. */
export interface RetransmitDelays {
  /** Mean of the first delay, ms. */
  readonly meanMs: number;
  /** Each retry's mean is this many times the last (default 2). */
  readonly factor?: number;
  /** No delay is longer (default 10 min). */
  readonly maxMs?: number;
}

/**
 * The delay before retry `attempt` (1 for the first retry): exponential with mean
 * meanMs · factor^(attempt−1), capped at maxMs. Being random and memoryless, it does not
 * reveal whether the earlier reply got through.
 *
 * @throws RangeError for an attempt below 1 or a mean that is not positive
 */
export function retransmitDelay(
  attempt: number,
  delays: RetransmitDelays,
  random: () => number = Math.random,
): number {
  if (!Number.isInteger(attempt) || attempt < 1) throw new RangeError('attempt must be 1 or more');
  if (!(delays.meanMs > 0)) throw new RangeError('meanMs must be positive');
  const mean = delays.meanMs * (delays.factor ?? 2) ** (attempt - 1);
  const u = Math.min(Math.max(random(), Number.MIN_VALUE), 1 - Number.EPSILON);
  return Math.min(-mean * Math.log(1 - u), delays.maxMs ?? 600_000);
}
