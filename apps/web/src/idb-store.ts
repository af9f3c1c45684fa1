/**
 * The page's `Store` (packages/interface `store.ts`; it passes `storeCompliance` of
 * `@hush/interface-compliance`) over IndexedDB, through `idb`: one database per store, one
 * object store of string keys and byte values. What the direct channels keep (contacts and
 * their introductions, the outbox, the inbox, the link's static key) lives in it, so messages
 * queued for a contact survive a reload. Browser-safe: no Node built-ins.
 *
 * IndexedDB orders string keys by their UTF-16 code units, the order `Store` asks for, so a
 * range is a key range and a cursor, no sorting. A transaction ends by itself once no request
 * is pending, so a range cannot hold one open while its reader awaits: it reads pages, each in
 * a transaction of its own, and the next page starts after the last key read.
 *
 * It keeps values as they are given: what must not be kept in clear goes through a
 * `SealedStore` (`sealed-store.ts`) over it.
 */
import { type RangeOptions, type Store, StoreError, type StoreOperation } from '@hush/interface';
import { type IDBPDatabase, openDB } from 'idb';

/** The object store that holds the entries. */
const ENTRIES = 'entries';
/** The schema version: 1 is one object store of out-of-line string keys. */
const VERSION = 1;
/** Entries a range reads per transaction. */
const PAGE = 256;

/** A failure of IndexedDB as a StoreError: a closed connection is 'closed', the rest 'failed'. */
function storeError(error: unknown, what: string): StoreError {
  if (error instanceof StoreError) return error;
  const name = (error as { name?: string } | undefined)?.name;
  if (name === 'InvalidStateError')
    return new StoreError('closed', `${what}: the store is closed`, { cause: error });
  return new StoreError('failed', `${what}: ${String(error)}`, { cause: error });
}

/**
 * An ordered key-value store in one IndexedDB database: keys in UTF-16 code-unit order,
 * copies in and out, atomic batches (one transaction); closed, it refuses with StoreError
 * 'closed'.
 *
 * @example
 * ```ts
 * const store = await IdbStore.open('hush-direct');
 * const direct = new PageDirect({ store, ... });
 * ```
 */
export class IdbStore implements Store {
  private readonly db: IDBPDatabase;
  private closed = false;
  /** Why the browser took the database away (cleared site data, another tab's upgrade). */
  private lost: string | undefined;

  private constructor(db: IDBPDatabase) {
    this.db = db;
  }

  /**
   * Opens (creating on first use) the store kept in the database `name`.
   *
   * @throws StoreError 'unavailable' when IndexedDB is missing (a private window that refuses
   *   it) or refuses to open the database, 'locked' when another tab holds an older version
   *   open and does not let go
   */
  static async open(name: string): Promise<IdbStore> {
    if (!globalThis.indexedDB)
      throw new StoreError('unavailable', 'this browser gives the page no IndexedDB');
    let store: IdbStore | undefined;
    let blocked = false;
    try {
      const db = await openDB(name, VERSION, {
        upgrade(database) {
          if (!database.objectStoreNames.contains(ENTRIES)) database.createObjectStore(ENTRIES);
        },
        blocked() {
          blocked = true;
        },
        // Another tab wants a newer schema: let it have the database rather than block it.
        blocking() {
          store?.release('another tab upgraded the database');
        },
        terminated() {
          store?.release('the browser closed the database');
        },
      });
      store = new IdbStore(db);
      return store;
    } catch (error) {
      if (blocked)
        throw new StoreError('locked', `${name}: another tab holds the database`, {
          cause: error,
        });
      throw new StoreError('unavailable', `${name}: IndexedDB refused to open it`, {
        cause: error,
      });
    }
  }

  private release(reason: string): void {
    this.lost = reason;
    this.db.close();
  }

  private check(): void {
    if (this.closed) throw new StoreError('closed', 'the store is closed');
    if (this.lost !== undefined) throw new StoreError('unavailable', this.lost);
  }

  /** @throws StoreError 'closed', 'unavailable', 'failed' */
  async get(key: string): Promise<Uint8Array | undefined> {
    this.check();
    try {
      const value = (await this.db.get(ENTRIES, key)) as Uint8Array | undefined;
      return value === undefined ? undefined : new Uint8Array(value);
    } catch (error) {
      throw storeError(error, 'get');
    }
  }

  /** @throws StoreError 'closed', 'unavailable', 'failed' (a full quota among them) */
  async put(key: string, value: Uint8Array): Promise<void> {
    this.check();
    try {
      // slice: a view is cloned with its whole buffer, which may be far larger than the view.
      await this.db.put(ENTRIES, value.slice(), key);
    } catch (error) {
      throw storeError(error, 'put');
    }
  }

  /** @throws StoreError 'closed', 'unavailable', 'failed' */
  async delete(key: string): Promise<void> {
    this.check();
    try {
      await this.db.delete(ENTRIES, key);
    } catch (error) {
      throw storeError(error, 'delete');
    }
  }

  /** Applies every operation or none: one readwrite transaction. @throws StoreError */
  async batch(operations: readonly StoreOperation[]): Promise<void> {
    this.check();
    if (operations.length === 0) return;
    try {
      const tx = this.db.transaction(ENTRIES, 'readwrite');
      // Requests of one transaction apply in the order made: the last write of a key wins.
      // Their promises are not awaited one by one (that would only slow the batch), but each
      // gets a handler: a failure aborts the transaction, and `done` rejects with it.
      try {
        for (const op of operations) {
          const request =
            op.type === 'put' ? tx.store.put(op.value.slice(), op.key) : tx.store.delete(op.key);
          request.catch(() => {});
        }
      } catch (error) {
        // A request refused as it is made (a key IndexedDB cannot hold) aborts nothing by
        // itself: the requests made before it would commit. Abort, so none applies.
        tx.abort();
        tx.done.catch(() => {});
        throw error;
      }
      await tx.done;
    } catch (error) {
      throw storeError(error, 'batch');
    }
  }

  /** Entries in key order (or reverse) within the range, read a page at a time. @throws StoreError */
  async *range(options: RangeOptions): AsyncIterable<[string, Uint8Array]> {
    this.check();
    const { gte, lt, reverse = false } = options;
    let left = options.limit ?? Number.POSITIVE_INFINITY;
    // IDBKeyRange refuses an empty range (lower above upper, or equal with one bound open).
    if (gte !== undefined && lt !== undefined && gte >= lt) return;
    /** Where the next page starts: after the last key read (before it, in reverse). */
    let after: string | undefined;
    while (left > 0) {
      this.check();
      const lower = reverse ? gte : (after ?? gte);
      const upper = reverse ? (after ?? lt) : lt;
      const lowerOpen = !reverse && after !== undefined;
      if (lower !== undefined && upper !== undefined && lower >= upper) return;
      const keyRange =
        lower !== undefined && upper !== undefined
          ? IDBKeyRange.bound(lower, upper, lowerOpen, true)
          : lower !== undefined
            ? IDBKeyRange.lowerBound(lower, lowerOpen)
            : upper !== undefined
              ? IDBKeyRange.upperBound(upper, true)
              : undefined;
      const page: [string, Uint8Array][] = [];
      try {
        const tx = this.db.transaction(ENTRIES, 'readonly');
        let cursor = await tx.store.openCursor(keyRange, reverse ? 'prev' : 'next');
        while (cursor && page.length < Math.min(PAGE, left)) {
          page.push([cursor.key as string, new Uint8Array(cursor.value as Uint8Array)]);
          if (page.length < Math.min(PAGE, left)) cursor = await cursor.continue();
        }
        await tx.done;
      } catch (error) {
        throw storeError(error, 'range');
      }
      for (const entry of page) yield entry;
      left -= page.length;
      if (page.length < PAGE) return;
      after = page[page.length - 1]![0];
    }
  }

  /** Closes the connection to the database (what it holds stays kept). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.db.close();
  }
}
