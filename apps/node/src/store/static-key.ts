/**
 * The X25519 static keys of the node's Noise links (direct channels, the DHT), each kept in
 * the node's store under a key of its own and created on first use.
 */
import { randomBytes } from '@hush/crypto';
import type { Store } from '@hush/interface';

/**
 * The static key kept at `storeKey`, made and stored when there is none.
 *
 * @param link - what the key is for, named in the error (`direct-link`, `DHT-link`)
 * @throws Error if the stored key is not 32 bytes; what the store throws
 */
export async function loadStaticKey(
  store: Store,
  storeKey: string,
  link: string,
): Promise<Uint8Array> {
  const stored = await store.get(storeKey);
  if (stored) {
    if (stored.length !== 32) throw new Error(`the stored ${link} key is not 32 bytes`);
    return stored;
  }
  const key = randomBytes(32);
  await store.put(storeKey, key);
  return key;
}
