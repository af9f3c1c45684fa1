/**
 * The store interface: an ordered key-value map with atomic batches. Implementations (memory,
 * LevelDB and PostgreSQL in the reference node) run `storeCompliance` of
 * `@hush/interface-compliance`. Keys are strings ordered by their UTF-16 code units (LevelDB's
 * byte order for ASCII keys).
 */
import { HushError } from './errors.js';

/** Why a store operation failed. */
export type StoreErrorCode =
  /** The store's address is not one it can use (a malformed `postgres://` URL). */
  | 'invalid-url'
  /** The store's server cannot be reached, or the connection to it was lost. */
  | 'unavailable'
  /** The server answered the operation with an error (permissions, a full disk…). */
  | 'failed'
  /** Another process (a node already running on the same data dir) holds the store. */
  | 'locked'
  /** The store was closed. */
  | 'closed';

/** A store operation that failed; `code` says why. Messages never carry a password. */
export class StoreError extends HushError<StoreErrorCode> {
  override readonly name = 'StoreError';
}

/** One write of a batch. */
export type StoreOperation =
  | { type: 'put'; key: string; value: Uint8Array }
  | { type: 'del'; key: string };

/** A range of keys. */
export interface RangeOptions {
  readonly gte?: string;
  readonly lt?: string;
  readonly limit?: number;
  readonly reverse?: boolean;
}

/**
 * An ordered key-value store. Stores kept on a server reject an operation that did not happen
 * with a {@link StoreError}; disk and memory stores reject only when closed or damaged.
 * Values handed in and out are copies: changing one afterwards changes nothing stored.
 */
export interface Store {
  /** @throws StoreError */
  get(key: string): Promise<Uint8Array | undefined>;
  /** @throws StoreError */
  put(key: string, value: Uint8Array): Promise<void>;
  /** @throws StoreError */
  delete(key: string): Promise<void>;
  /** Applies every operation or none. @throws StoreError */
  batch(operations: readonly StoreOperation[]): Promise<void>;
  /** Entries in key order (or reverse) within the range. @throws StoreError */
  range(options: RangeOptions): AsyncIterable<[string, Uint8Array]>;
  close(): Promise<void>;
}

/** Keys deleted per batch by {@link deleteRange}. */
const DELETE_CHUNK = 10_000;

/**
 * Deletes every key from `gte` up to (not including) `lt`, in batches of 10,000 read then
 * deleted: memory stays bounded however large the range (a mix's replay tags of an epoch are
 * millions). A failure midway leaves the rest of the range; running it again finishes it.
 *
 * @example
 * ```ts
 * await deleteRange(store, { gte: 'mix/replay/', lt: 'mix/replay/000000000007/' });
 * ```
 * @returns how many keys were deleted
 * @throws StoreError from the store
 */
export async function deleteRange(
  store: Store,
  range: { readonly gte: string; readonly lt: string },
): Promise<number> {
  let deleted = 0;
  for (;;) {
    const keys: string[] = [];
    for await (const [key] of store.range({ gte: range.gte, lt: range.lt, limit: DELETE_CHUNK }))
      keys.push(key);
    if (keys.length === 0) return deleted;
    await store.batch(keys.map((key) => ({ type: 'del' as const, key })));
    deleted += keys.length;
    if (keys.length < DELETE_CHUNK) return deleted;
  }
}
