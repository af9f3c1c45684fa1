/**
 * A link's X25519 static key kept in a `Store`: made on first use and read back after, so a
 * peer keeps one Noise identity across restarts (the node's direct and DHT links, a page's
 * direct channels).
 */
import { type Store, StoreError } from '@hush/interface';
import { randomBytes } from '@noble/hashes/utils.js';

/**
 * The static key kept at `storeKey`, made and stored when there is none.
 *
 * @example
 * ```ts
 * const staticKey = await loadStaticKey(store, 'node/direct-key', 'direct-link');
 * ```
 * @param link - what the key is for, named in the error (`direct-link`, `DHT-link`)
 * @throws StoreError 'failed' if the stored key is not 32 bytes; what the store throws
 */
export async function loadStaticKey(
  store: Store,
  storeKey: string,
  link: string,
): Promise<Uint8Array> {
  const stored = await store.get(storeKey);
  if (stored) {
    if (stored.length !== 32)
      throw new StoreError('failed', `the stored ${link} key is not 32 bytes`);
    return stored;
  }
  const key = randomBytes(32);
  await store.put(storeKey, key);
  return key;
}
