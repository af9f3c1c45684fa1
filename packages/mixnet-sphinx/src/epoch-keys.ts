/**
 * A mix's keys per epoch (specs/mixnet-sphinx/SPEC.md §9.1): one X25519 key for each epoch,
 * made when first asked for (a mix asks for the next epoch's ahead, to upload its descriptor
 * before the epoch starts) and kept in a `Store`, so a restarted mix unwraps what was made for
 * the keys it published; keys of epochs long past are deleted, which is what makes the
 * packets of those epochs undecryptable for good (forward secrecy per epoch).
 */
import { deleteRange, type Store, StoreError } from '@hush/interface';
import { x25519 } from '@noble/curves/ed25519.js';
import type { MixKey } from './mix.js';
import { epochLabel } from './network.js';

const PREFIX = 'mix/epoch-key/';
const keyOf = (epoch: number) => `${PREFIX}${epochLabel(epoch)}`;

/** A mix's epoch keys in a store. */
export class EpochKeys {
  private readonly store: Store;
  private readonly made = new Map<number, Promise<MixKey>>();

  constructor(store: Store) {
    this.store = store;
  }

  /**
   * The key of `epoch`, made and stored the first time.
   *
   * @throws RangeError for an epoch that is not a whole number; StoreError 'failed' for a
   *   stored key that is not 32 bytes; what the store throws
   */
  key(epoch: number): Promise<MixKey> {
    if (!Number.isSafeInteger(epoch) || epoch < 0)
      throw new RangeError('epoch must be a whole number');
    let key = this.made.get(epoch);
    if (!key) {
      key = (async () => {
        const held = await this.store.get(keyOf(epoch));
        // A damaged key is not replaced: the key published for the epoch would no longer match.
        if (held && held.length !== 32)
          throw new StoreError('failed', `the stored key of epoch ${epoch} is not 32 bytes`);
        if (held) return { epoch, privateKey: held };
        const privateKey = x25519.utils.randomSecretKey();
        await this.store.put(keyOf(epoch), privateKey);
        return { epoch, privateKey };
      })();
      key.catch(() => this.made.delete(epoch));
      this.made.set(epoch, key);
    }
    return key;
  }

  /**
   * The key of `epoch` if one was made (a restarted mix takes up its previous key so).
   *
   * @throws StoreError 'failed' for a stored key that is not 32 bytes; what the store throws
   */
  async held(epoch: number): Promise<MixKey | undefined> {
    const made = this.made.get(epoch);
    if (made) return made;
    const held = await this.store.get(keyOf(epoch));
    if (!held) return undefined;
    if (held.length !== 32)
      throw new StoreError('failed', `the stored key of epoch ${epoch} is not 32 bytes`);
    return { epoch, privateKey: held };
  }

  /**
   * Deletes the keys of every epoch before `epoch`.
   *
   * @returns how many were deleted
   * @throws what the store throws
   */
  async prune(epoch: number): Promise<number> {
    const deleted = await deleteRange(this.store, { gte: PREFIX, lt: keyOf(epoch) });
    for (const e of [...this.made.keys()]) if (e < epoch) this.made.delete(e);
    return deleted;
  }
}
