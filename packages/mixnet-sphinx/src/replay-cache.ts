/**
 * The mix's replay cache (specs/mixnet-sphinx/SPEC.md §8): every packet's replay tag
 * (SHA-512/256 of its alpha) is recorded, in a `Store`, before the packet goes on, so a packet
 * seen once is refused ever after, across restarts — no false negatives. Tags belong to the
 * key epoch they were seen under: a replay under another key cannot unwrap anyway, so when a
 * mix rotates its key the previous epoch's tags are flushed once the grace window for that key
 * has ended.
 */
import type { Store } from '@hush/interface';
import { bytesToHex } from '@noble/hashes/utils.js';

/** Where the tags of an epoch are kept: `mix/replay/<epoch>/<tag hex>`. */
const PREFIX = 'mix/replay/';
const PRESENT = Uint8Array.of(1);

function epochPrefix(epoch: number): string {
  return `${PREFIX}${epoch.toString().padStart(12, '0')}/`;
}

/** A persistent set of replay tags per key epoch. */
export class ReplayCache {
  private readonly store: Store;
  /** Tags already known to be recorded, per epoch: a replay costs no store read. */
  private readonly known = new Map<number, Set<string>>();
  /** Checks of one tag run one after another, so two copies racing are one fresh, one replay. */
  private chain: Promise<unknown> = Promise.resolve();

  constructor(store: Store) {
    this.store = store;
  }

  /**
   * Records a tag seen under `epoch`'s key.
   *
   * @returns true when the tag is new (the packet may go on), false for a replay
   * @throws RangeError for a tag that is not 32 bytes or an epoch that is not a whole number;
   *   what the store throws (then nothing is decided: the caller drops the packet)
   */
  check(epoch: number, tag: Uint8Array): Promise<boolean> {
    if (!Number.isSafeInteger(epoch) || epoch < 0)
      throw new RangeError('epoch must be a whole number');
    if (!(tag instanceof Uint8Array) || tag.length !== 32)
      throw new RangeError('tag must be 32 bytes');
    const hex = bytesToHex(tag);
    const run = this.chain.then(async () => {
      let set = this.known.get(epoch);
      if (!set) {
        set = new Set();
        this.known.set(epoch, set);
      }
      if (set.has(hex)) return false;
      const key = `${epochPrefix(epoch)}${hex}`;
      if ((await this.store.get(key)) !== undefined) {
        set.add(hex);
        return false;
      }
      // Written before the answer: a crash after forwarding cannot forget the packet.
      await this.store.put(key, PRESENT);
      set.add(hex);
      return true;
    });
    this.chain = run.catch(() => {});
    return run;
  }

  /**
   * Forgets every epoch before `epoch` (their keys are gone: nothing under them unwraps).
   *
   * @returns how many tags were flushed
   * @throws what the store throws
   */
  async flushBefore(epoch: number): Promise<number> {
    const stale: string[] = [];
    for await (const [key] of this.store.range({ gte: PREFIX, lt: epochPrefix(epoch) }))
      stale.push(key);
    if (stale.length > 0)
      await this.store.batch(stale.map((key) => ({ type: 'del' as const, key })));
    for (const known of [...this.known.keys()]) if (known < epoch) this.known.delete(known);
    return stale.length;
  }
}
