/**
 * The mix's replay cache (specs/mixnet-sphinx/SPEC.md §8): every packet's replay tag
 * (SHA-512/256 of its alpha) is recorded, in a `Store`, before the packet goes on, so a packet
 * seen once is refused ever after, across restarts — no false negatives. Tags belong to the
 * key epoch they were seen under: a replay under another key cannot unwrap anyway, so when a
 * mix rotates its key the previous epoch's tags are flushed once the grace window for that key
 * has ended.
 *
 * Built for a mix doing thousands of packets a second over a disk store (LevelDB):
 * - No store read per packet. The first check of an epoch loads that epoch's recorded tags
 *   from the store, once (one range scan); from then on the in-memory set is authoritative,
 *   because every tag this cache accepts enters the set before its write is even started.
 *   A restart loads again, so a new cache over the same store refuses the old tags.
 * - Group commit. Tags accepted while a write is in flight (or within the same turn of the
 *   event loop) are written together in one `store.batch`; at most one batch is in flight.
 *   A check resolves true only once the batch holding its tag has been written: a crash after
 *   the packet is forwarded cannot forget it.
 * - Races. The set is consulted and updated synchronously, so of two copies of a tag the
 *   first is fresh and every later one a replay, even before the first is written.
 * - Failure. When a batch fails, every check in it rejects (the caller drops those packets)
 *   and their tags leave the set again: nothing was recorded, so nothing is refused later on
 *   their account. A copy refused meanwhile was dropped too, which errs on the safe side.
 *
 * Memory bound: the set holds every tag of each epoch in use — normally the current one and,
 * during a rotation's grace window, the previous one — as a 32-character one-byte string in a
 * `Set`, about 100 bytes a tag in V8. A mix taking R packets a second with epochs of E seconds
 * holds up to 2·R·E tags: 5,000 packets/s over Katzenpost's 20-minute epochs is 12 million
 * tags, about 1.2 GB; the operator sizes epochs (or the heap) to the expected rate. The store
 * keeps the same tags on disk until {@link ReplayCache.flushBefore} deletes them.
 */
import { deleteRange, type Store, type StoreOperation } from '@hush/interface';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { epochLabel } from './network.js';

/** Where the tags of an epoch are kept: `mix/replay/<epoch>/<tag hex>`. */
const PREFIX = 'mix/replay/';
const PRESENT = Uint8Array.of(1);
const TAG_LENGTH = 32;

function epochPrefix(epoch: number): string {
  return `${PREFIX}${epochLabel(epoch)}/`;
}

/** A tag as a 32-character one-byte string: a compact `Set` key (hex would double it). */
function tagKey(tag: Uint8Array): string {
  return String.fromCharCode.apply(null, tag as unknown as number[]);
}

/** A tag accepted and waiting for its write. */
interface Pending {
  readonly epoch: number;
  readonly key: string;
  readonly tag: Uint8Array;
  readonly resolve: (fresh: boolean) => void;
  readonly reject: (error: unknown) => void;
}

/** A persistent set of replay tags per key epoch. */
export class ReplayCache {
  private readonly store: Store;
  /** Every tag recorded or being recorded, per loaded epoch: authoritative once loaded. */
  private readonly known = new Map<number, Set<string>>();
  /** Epochs whose tags are being loaded from the store (one scan each). */
  private readonly loading = new Map<number, Promise<Set<string>>>();
  /** Tags accepted since the last batch began. */
  private queue: Pending[] = [];
  /** The batch being written, if any (at most one). */
  private writing: Promise<void> | undefined;
  private scheduled = false;
  /** Told when the batch that takes the tags queued now has ended. */
  private queueWritten: (() => void)[] = [];

  constructor(store: Store) {
    this.store = store;
  }

  /**
   * Records a tag seen under `epoch`'s key.
   *
   * @returns true when the tag is new (the packet may go on), once its record is written;
   *   false for a replay
   * @throws RangeError for a tag that is not 32 bytes or an epoch that is not a whole number
   *   (synchronously); the promise rejects with what the store throws, for the epoch's load
   *   or the batch holding the tag (then nothing is decided: the caller drops the packet)
   */
  check(epoch: number, tag: Uint8Array): Promise<boolean> {
    if (!Number.isSafeInteger(epoch) || epoch < 0)
      throw new RangeError('epoch must be a whole number');
    if (!(tag instanceof Uint8Array) || tag.length !== TAG_LENGTH)
      throw new RangeError('tag must be 32 bytes');
    const key = tagKey(tag);
    const set = this.known.get(epoch);
    if (set) return this.decide(epoch, set, key, tag);
    // Copied: the caller may reuse its buffer before the load ends.
    const copy = tag.slice();
    // Checks waiting for the load continue in the order they came (promise callbacks run in
    // the order they were attached), so the first copy of a tag is still the fresh one.
    return this.load(epoch).then((loaded) => this.decide(epoch, loaded, key, copy));
  }

  private decide(epoch: number, set: Set<string>, key: string, tag: Uint8Array): Promise<boolean> {
    if (set.has(key)) return Promise.resolve(false);
    set.add(key);
    return new Promise<boolean>((resolve, reject) => {
      this.queue.push({ epoch, key, tag, resolve, reject });
      this.schedule();
    });
  }

  /** The epoch's set, loaded from the store on its first use. */
  private load(epoch: number): Promise<Set<string>> {
    let loading = this.loading.get(epoch);
    if (!loading) {
      loading = (async () => {
        const set = new Set<string>();
        const prefix = epochPrefix(epoch);
        for await (const [key] of this.store.range({ gte: prefix, lt: `${prefix}\uffff` }))
          set.add(tagKey(hexToBytes(key.slice(prefix.length))));
        this.known.set(epoch, set);
        return set;
      })();
      this.loading.set(epoch, loading);
      // A failed load is forgotten, so the next check tries again.
      loading.then(
        () => this.loading.delete(epoch),
        () => this.loading.delete(epoch),
      );
    }
    return loading;
  }

  /** Starts a batch after this turn's checks are queued, unless one is being written. */
  private schedule(): void {
    if (this.scheduled || this.writing) return;
    this.scheduled = true;
    queueMicrotask(() => {
      this.scheduled = false;
      this.writeQueued();
    });
  }

  /** Writes every queued tag in one batch; when it ends, whatever queued meanwhile. */
  private writeQueued(): void {
    if (this.writing || this.queue.length === 0) return;
    const group = this.queue;
    this.queue = [];
    const written = this.queueWritten;
    this.queueWritten = [];
    const operations: StoreOperation[] = group.map((p) => ({
      type: 'put',
      key: `${epochPrefix(p.epoch)}${bytesToHex(p.tag)}`,
      value: PRESENT,
    }));
    const write = async () => {
      try {
        await this.store.batch(operations);
        for (const p of group) p.resolve(true);
      } catch (error) {
        for (const p of group) {
          this.known.get(p.epoch)?.delete(p.key);
          p.reject(error);
        }
      }
    };
    // `finally` runs as a reaction, after `writing` is set, even if the store throws at once.
    this.writing = write().finally(() => {
      this.writing = undefined;
      for (const tell of written) tell();
      this.writeQueued();
    });
  }

  /**
   * Resolves once the tags queued or being written now are written (or failed): not the ones
   * that come after, or a busy mix would wait for ever.
   */
  private written(): Promise<void> {
    const waits: Promise<unknown>[] = [];
    if (this.writing) waits.push(this.writing);
    if (this.queue.length > 0) {
      waits.push(new Promise<void>((resolve) => this.queueWritten.push(resolve)));
      this.schedule();
    }
    return Promise.all(waits).then(() => {});
  }

  /**
   * Forgets every epoch before `epoch` (their keys are gone: nothing under them unwraps).
   * Waits for the writes already queued or under way, so none of them lands after the flush
   * (no tag of an earlier epoch can come later: nothing unwraps under its key any more).
   *
   * @returns how many tags were flushed
   * @throws what the store throws
   */
  async flushBefore(epoch: number): Promise<number> {
    await this.written();
    const flushed = await deleteRange(this.store, { gte: PREFIX, lt: epochPrefix(epoch) });
    for (const known of [...this.known.keys()]) if (known < epoch) this.known.delete(known);
    return flushed;
  }
}
