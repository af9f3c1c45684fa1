/**
 * Key stores (specs/whisper-v6 SPEC §5.5): where a node keeps the key pairs and symmetric keys
 * its filters use, by id. Implementations share a compliance suite.
 */
import { HushError } from '@hush/interface';
import { generateKeyId } from './keys.js';

/** Why a key store refused. */
export type KeyStoreErrorCode =
  | 'wrong-passphrase'
  | 'corrupt-store'
  | 'closed'
  | 'duplicate-id'
  | 'full';

/** A key store failure. Callers match on `code`. */
export class KeyStoreError extends HushError<KeyStoreErrorCode> {
  override readonly name = 'KeyStoreError';
}

/** The two kinds of key a store keeps, in separate namespaces as in geth. */
export type KeyKind = 'keyPair' | 'symKey';

/** Key pairs (32-byte private keys) and symmetric keys (16/24/32 bytes), by id. */
export interface KeyStore {
  /**
   * Stores a key under a new random id and returns the id.
   *
   * @throws KeyStoreError 'full' when the store holds its most keys, 'closed' after close
   */
  add(kind: KeyKind, key: Uint8Array): Promise<string>;
  /**
   * Stores a key under the given id, replacing none: a taken id is refused.
   *
   * @throws KeyStoreError 'duplicate-id', 'full' or 'closed'
   * @throws TypeError for an id that is empty or over 256 characters
   */
  put(kind: KeyKind, id: string, key: Uint8Array): Promise<void>;
  /** The key, or undefined. */
  get(kind: KeyKind, id: string): Promise<Uint8Array | undefined>;
  has(kind: KeyKind, id: string): Promise<boolean>;
  /** Deletes the key; false when there was none. */
  delete(kind: KeyKind, id: string): Promise<boolean>;
  /** Ids of the stored keys of a kind. */
  ids(kind: KeyKind): Promise<string[]>;
  /** Releases resources; later calls fail with code 'closed'. */
  close(): Promise<void>;
}

function assertKey(kind: KeyKind, key: unknown): asserts key is Uint8Array {
  if (!(key instanceof Uint8Array)) throw new TypeError('key must be a Uint8Array');
  const ok = kind === 'keyPair' ? key.length === 32 : [16, 24, 32].includes(key.length);
  if (!ok) throw new RangeError(`key has the wrong size for a ${kind}: ${key.length}`);
}

function assertKind(kind: unknown): asserts kind is KeyKind {
  if (kind !== 'keyPair' && kind !== 'symKey')
    throw new TypeError("kind must be 'keyPair' or 'symKey'");
}

/**
 * A key store kept in memory, and the base of the file store: the file store persists this
 * one's contents after every change.
 */
/** Longest key id a store takes (generated ids are 64 characters). */
const MAX_ID_LENGTH = 256;

export class MemoryKeyStore implements KeyStore {
  protected readonly keys: Record<KeyKind, Map<string, Uint8Array>> = {
    keyPair: new Map(),
    symKey: new Map(),
  };
  private closed = false;
  private readonly maxKeys: number;

  /**
   * @param options.maxKeys - keys of both kinds held at most (default 10,000): a store that
   *   RPC clients fill must stay bounded
   * @throws RangeError if `maxKeys` is not a positive integer
   */
  constructor(options: { maxKeys?: number } = {}) {
    this.maxKeys = options.maxKeys ?? 10_000;
    if (!Number.isInteger(this.maxKeys) || this.maxKeys < 1)
      throw new RangeError('options.maxKeys must be a positive integer');
  }

  protected check(kind: KeyKind): void {
    assertKind(kind);
    if (this.closed) throw new KeyStoreError('closed', 'key store is closed');
  }

  /** Called after each change; the file store writes itself here. */
  protected async changed(): Promise<void> {}

  async add(kind: KeyKind, key: Uint8Array): Promise<string> {
    this.check(kind);
    let id = generateKeyId();
    while (this.keys.keyPair.has(id) || this.keys.symKey.has(id)) id = generateKeyId();
    await this.put(kind, id, key);
    return id;
  }

  async put(kind: KeyKind, id: string, key: Uint8Array): Promise<void> {
    this.check(kind);
    assertKey(kind, key);
    if (typeof id !== 'string' || id.length === 0 || id.length > MAX_ID_LENGTH)
      throw new TypeError(`id must be a string of 1 to ${MAX_ID_LENGTH} characters`);
    if (this.keys.keyPair.has(id) || this.keys.symKey.has(id)) {
      throw new KeyStoreError('duplicate-id', `id ${id} is taken`);
    }
    if (this.keys.keyPair.size + this.keys.symKey.size >= this.maxKeys)
      throw new KeyStoreError(
        'full',
        `the key store holds ${this.maxKeys} keys, its most: delete keys before adding more`,
      );
    this.keys[kind].set(id, key.slice());
    await this.changed();
  }

  async get(kind: KeyKind, id: string): Promise<Uint8Array | undefined> {
    this.check(kind);
    return this.keys[kind].get(id)?.slice();
  }

  async has(kind: KeyKind, id: string): Promise<boolean> {
    this.check(kind);
    return this.keys[kind].has(id);
  }

  async delete(kind: KeyKind, id: string): Promise<boolean> {
    this.check(kind);
    const key = this.keys[kind].get(id);
    if (!key) return false;
    key.fill(0);
    this.keys[kind].delete(id);
    await this.changed();
    return true;
  }

  async ids(kind: KeyKind): Promise<string[]> {
    this.check(kind);
    return [...this.keys[kind].keys()];
  }

  async close(): Promise<void> {
    for (const map of Object.values(this.keys)) {
      for (const key of map.values()) key.fill(0);
      map.clear();
    }
    this.closed = true;
  }
}
