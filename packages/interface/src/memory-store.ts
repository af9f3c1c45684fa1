/**
 * A `Store` in memory: for nodes without a data directory and for the tests of what is built
 * on a store (the mailserver archive runs `inboxCompliance` over it). It passes
 * `storeCompliance` of `@hush/interface-compliance`.
 */
import { type RangeOptions, type Store, StoreError, type StoreOperation } from './store.js';

/**
 * An ordered map in memory: keys in UTF-16 code-unit order, copies in and out, atomic batches;
 * closed, it refuses with StoreError 'closed'.
 *
 * @example
 * ```ts
 * const archive = new Archive(new MemoryStore());
 * ```
 */
export class MemoryStore implements Store {
  private readonly entries = new Map<string, Uint8Array>();
  private closed = false;

  private open(): void {
    if (this.closed) throw new StoreError('closed', 'the store is closed');
  }

  /** @throws StoreError 'closed' */
  async get(key: string): Promise<Uint8Array | undefined> {
    this.open();
    return this.entries.get(key)?.slice();
  }

  /** @throws StoreError 'closed' */
  async put(key: string, value: Uint8Array): Promise<void> {
    this.open();
    this.entries.set(key, value.slice());
  }

  /** @throws StoreError 'closed' */
  async delete(key: string): Promise<void> {
    this.open();
    this.entries.delete(key);
  }

  /** @throws StoreError 'closed' */
  async batch(operations: readonly StoreOperation[]): Promise<void> {
    this.open();
    for (const op of operations) {
      if (op.type === 'put') this.entries.set(op.key, op.value.slice());
      else this.entries.delete(op.key);
    }
  }

  /** @throws StoreError 'closed' */
  async *range(options: RangeOptions): AsyncIterable<[string, Uint8Array]> {
    this.open();
    const keys = [...this.entries.keys()]
      .filter(
        (k) =>
          (options.gte === undefined || k >= options.gte) &&
          (options.lt === undefined || k < options.lt),
      )
      .sort();
    if (options.reverse) keys.reverse();
    const limit = options.limit ?? Number.POSITIVE_INFINITY;
    for (let i = 0; i < keys.length && i < limit; i++) {
      this.open();
      const value = this.entries.get(keys[i]!);
      if (value) yield [keys[i]!, value.slice()];
    }
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}
