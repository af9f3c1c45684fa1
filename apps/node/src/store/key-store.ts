/**
 * A key store kept in the node's store, encrypted at rest (only with --persist-keys): each key
 * is sealed with AES-256-GCM under a key derived from the operator's passphrase with scrypt;
 * a sealed marker detects a wrong passphrase before anything is read.
 */
import { createCipheriv, createDecipheriv, randomBytes, scryptSync } from 'node:crypto';
import { type KeyKind, KeyStoreError, MemoryKeyStore } from '@hush/message';
import type { Store } from './store.js';

const META = 'keys/meta';
const MARKER = new TextEncoder().encode('hush key store v1');

function seal(key: Buffer, plaintext: Uint8Array): Uint8Array {
  const nonce = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  return Buffer.concat([nonce, cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
}

function open(key: Buffer, sealed: Uint8Array): Uint8Array | undefined {
  try {
    const bytes = Buffer.from(sealed);
    const decipher = createDecipheriv('aes-256-gcm', key, bytes.subarray(0, 12));
    decipher.setAuthTag(bytes.subarray(bytes.length - 16));
    return Uint8Array.from(
      Buffer.concat([decipher.update(bytes.subarray(12, bytes.length - 16)), decipher.final()]),
    );
  } catch {
    return undefined;
  }
}

/** Keys in memory, written through, encrypted, to the store. */
export class PersistentKeyStore extends MemoryKeyStore {
  private readonly store: Store;
  private readonly key: Buffer;

  private constructor(store: Store, key: Buffer) {
    super();
    this.store = store;
    this.key = key;
  }

  /** Whether `store` holds keys kept by a PersistentKeyStore (encrypted with a passphrase). */
  static async present(store: Store): Promise<boolean> {
    return (await store.get(META)) !== undefined;
  }

  /**
   * Opens the keys kept in `store` with `passphrase`.
   *
   * @throws KeyStoreError 'wrong-passphrase' if the passphrase does not open them, or
   *   'corrupt-store' if a stored key does not decrypt
   */
  static async open(store: Store, passphrase: string): Promise<PersistentKeyStore> {
    let meta = await store.get(META);
    let salt: Buffer;
    if (!meta) {
      salt = randomBytes(16);
      const key = scryptSync(passphrase.normalize('NFKC'), salt, 32, {
        N: 1 << 15,
        r: 8,
        p: 1,
        maxmem: 64 << 20,
      });
      meta = Buffer.concat([salt, seal(key, MARKER)]);
      await store.put(META, meta);
      return new PersistentKeyStore(store, key);
    }
    salt = Buffer.from(meta.subarray(0, 16));
    const key = scryptSync(passphrase.normalize('NFKC'), salt, 32, {
      N: 1 << 15,
      r: 8,
      p: 1,
      maxmem: 64 << 20,
    });
    if (!open(key, meta.subarray(16)))
      throw new KeyStoreError('wrong-passphrase', 'the passphrase does not open the stored keys');
    const keys = new PersistentKeyStore(store, key);
    for (const kind of ['keyPair', 'symKey'] as const) {
      for await (const [name, sealed] of store.range({
        gte: `keys/${kind}/`,
        lt: `keys/${kind}0`,
      })) {
        const plain = open(key, sealed);
        if (!plain) throw new KeyStoreError('corrupt-store', `stored key ${name} does not decrypt`);
        await MemoryKeyStore.prototype.put.call(
          keys,
          kind,
          name.slice(`keys/${kind}/`.length),
          plain,
        );
      }
    }
    return keys;
  }

  override async put(kind: KeyKind, id: string, key: Uint8Array): Promise<void> {
    await super.put(kind, id, key);
    await this.store.put(`keys/${kind}/${id}`, seal(this.key, key));
  }

  override async delete(kind: KeyKind, id: string): Promise<boolean> {
    const had = await super.delete(kind, id);
    if (had) await this.store.delete(`keys/${kind}/${id}`);
    return had;
  }

  override async close(): Promise<void> {
    await super.close();
    this.key.fill(0);
  }
}
