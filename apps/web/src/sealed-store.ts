/**
 * A `Store` (packages/interface `store.ts`; it passes `storeCompliance` of
 * `@hush/interface-compliance`) that seals every value it keeps in another store with
 * AES-256-GCM under the identity's data key (specs/web/SPEC.md §2.1, §5: what the page keeps
 * is kept sealed). The direct channels keep in it their X25519 static key, the contact book,
 * the outbox and the inbox (`direct-service.ts`).
 *
 * A sealed value is `0x01 ‖ nonce (12 random bytes, fresh for every write) ‖ AES-GCM
 * ciphertext and its 16-byte tag`, the additional data `"hush-sealed-store/1" ‖ 0x00 ‖ the
 * record's key as UTF-16 code units, big-endian` (the domain is an option): a value moved to
 * another key, or one sealed by the history (§5, its own additional data) under the same data
 * key, does not open.
 *
 * **What is not hidden.** Keys are kept as they are, so that ranges keep their order: anyone
 * who can read the browser's IndexedDB sees every key name, and so what the direct channels'
 * keys name — each contact's peer id (`direct/contact/<peer>`: the contact's public key, so
 * who the user's contacts are), how many messages are pending for each contact and in what
 * order (`direct/out/<peer>/<seq>`), the ids (envelope hashes) of messages acknowledged or
 * received and from whom (`direct/done/<peer>/<id>`, the inbox's keys), and the size of every
 * value (29 bytes more than its plaintext) — but no value: not the static key, no contact's
 * name or introduction, no envelope. Nor can anyone without the data key change a value
 * unnoticed; what they can do is delete records, or put back an older value of the same key
 * (a rollback GCM cannot see).
 *
 * **A value that does not open** (altered, sealed under another data key, or not sealed at
 * all): `get` throws StoreError 'failed' (a single record read as absent could be replaced,
 * a static key among them); `range` skips it, counts it in `unopened` and tells `onUnopened`,
 * as the history skips and counts a record it cannot open (§5), so that one damaged record
 * does not make the whole outbox or contact book unreadable. Its `limit` counts only the
 * entries it yields.
 */
import { type RangeOptions, type Store, StoreError, type StoreOperation } from '@hush/interface';

/** The additional data's default domain. */
export const SEALED_STORE_DOMAIN = 'hush-sealed-store/1';
/** The first byte of every sealed value: the format. */
const FORMAT = 1;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
/** How many bytes a sealed value is longer than its plaintext. */
export const SEALED_OVERHEAD = 1 + NONCE_BYTES + TAG_BYTES;

/** What a sealed store is built with besides its inner store and key. */
export interface SealedStoreOptions {
  /** The additional data's domain (default `hush-sealed-store/1`); no NUL in it. */
  readonly domain?: string;
  /** Told of every entry a range skipped because its value did not open. */
  readonly onUnopened?: (key: string) => void;
}

/**
 * An ordered key-value store whose values are sealed with AES-256-GCM in another store.
 * Closing it closes the inner store.
 *
 * @example
 * ```ts
 * const store = new SealedStore(await IdbStore.open(name), dataKey);
 * const direct = new PageDirect({ store, ... });
 * ```
 */
export class SealedStore implements Store {
  private readonly inner: Store;
  private readonly key: CryptoKey;
  private readonly domain: Uint8Array;
  private readonly onUnopened: ((key: string) => void) | undefined;
  private skipped = 0;

  /**
   * @param key - an AES-GCM key (256 bits) allowed to encrypt and decrypt; it may be
   *   non-extractable
   * @throws TypeError when `key` is not such a key or the domain holds a NUL
   */
  constructor(inner: Store, key: CryptoKey, options: SealedStoreOptions = {}) {
    const algorithm = key?.algorithm as AesKeyAlgorithm | undefined;
    if (
      algorithm?.name !== 'AES-GCM' ||
      algorithm.length !== 256 ||
      !key.usages.includes('encrypt') ||
      !key.usages.includes('decrypt')
    )
      throw new TypeError('key: not an AES-256-GCM key that may encrypt and decrypt');
    const domain = options.domain ?? SEALED_STORE_DOMAIN;
    if (domain.includes('\0')) throw new TypeError('domain: holds a NUL');
    this.inner = inner;
    this.key = key;
    this.domain = new TextEncoder().encode(domain);
    this.onUnopened = options.onUnopened;
  }

  /** How many entries ranges have skipped because their values did not open. */
  get unopened(): number {
    return this.skipped;
  }

  /** The additional data of `key`'s value: the domain, a NUL, the key's UTF-16 code units. */
  private additionalData(key: string): Uint8Array<ArrayBuffer> {
    const out = new Uint8Array(this.domain.length + 1 + key.length * 2);
    out.set(this.domain);
    const view = new DataView(out.buffer);
    for (let i = 0; i < key.length; i++)
      view.setUint16(this.domain.length + 1 + i * 2, key.charCodeAt(i));
    return out;
  }

  private async seal(key: string, value: Uint8Array): Promise<Uint8Array> {
    if (!(value instanceof Uint8Array)) throw new TypeError(`${key}: the value is not bytes`);
    const nonce = crypto.getRandomValues(new Uint8Array(NONCE_BYTES));
    let sealed: ArrayBuffer;
    try {
      sealed = await crypto.subtle.encrypt(
        { name: 'AES-GCM', iv: nonce, additionalData: this.additionalData(key) },
        this.key,
        value.slice() as Uint8Array<ArrayBuffer>,
      );
    } catch (error) {
      throw new StoreError('failed', `${key}: the value could not be sealed`, { cause: error });
    }
    const out = new Uint8Array(1 + NONCE_BYTES + sealed.byteLength);
    out[0] = FORMAT;
    out.set(nonce, 1);
    out.set(new Uint8Array(sealed), 1 + NONCE_BYTES);
    return out;
  }

  /** The plaintext of `key`'s sealed value, or undefined when it does not open. */
  private async open(key: string, sealed: Uint8Array): Promise<Uint8Array | undefined> {
    if (sealed.length < SEALED_OVERHEAD || sealed[0] !== FORMAT) return undefined;
    try {
      const plain = await crypto.subtle.decrypt(
        {
          name: 'AES-GCM',
          iv: sealed.slice(1, 1 + NONCE_BYTES),
          additionalData: this.additionalData(key),
        },
        this.key,
        sealed.slice(1 + NONCE_BYTES),
      );
      return new Uint8Array(plain);
    } catch {
      return undefined;
    }
  }

  /** @throws StoreError 'failed' when the value does not open; what the inner store throws */
  async get(key: string): Promise<Uint8Array | undefined> {
    const sealed = await this.inner.get(key);
    if (sealed === undefined) return undefined;
    const value = await this.open(key, sealed);
    if (value === undefined)
      throw new StoreError(
        'failed',
        `${key}: the stored value does not open (altered, or sealed under another key)`,
      );
    return value;
  }

  /** @throws what the inner store throws */
  async put(key: string, value: Uint8Array): Promise<void> {
    await this.inner.put(key, await this.seal(key, value));
  }

  /** @throws what the inner store throws */
  async delete(key: string): Promise<void> {
    await this.inner.delete(key);
  }

  /** Seals every value, then applies every operation or none (the inner store's batch). */
  async batch(operations: readonly StoreOperation[]): Promise<void> {
    const sealed = await Promise.all(
      operations.map(
        async (op): Promise<StoreOperation> =>
          op.type === 'put'
            ? { type: 'put', key: op.key, value: await this.seal(op.key, op.value) }
            : op,
      ),
    );
    await this.inner.batch(sealed);
  }

  /**
   * Entries in key order (or reverse) within the range, opened; one whose value does not open
   * is skipped and counted (`unopened`). `limit` counts the entries yielded: when some were
   * skipped, the inner store is read on after the last key read.
   *
   * @throws what the inner store throws
   */
  async *range(options: RangeOptions): AsyncIterable<[string, Uint8Array]> {
    const { reverse = false } = options;
    let left = options.limit ?? Number.POSITIVE_INFINITY;
    let gte = options.gte;
    let lt = options.lt;
    while (left > 0) {
      const asked = left;
      let read = 0;
      let last: string | undefined;
      const inner: RangeOptions = {
        ...(gte !== undefined ? { gte } : {}),
        ...(lt !== undefined ? { lt } : {}),
        ...(Number.isFinite(asked) ? { limit: asked } : {}),
        reverse,
      };
      for await (const [key, sealed] of this.inner.range(inner)) {
        read++;
        last = key;
        const value = await this.open(key, sealed);
        if (value === undefined) {
          this.skipped++;
          this.onUnopened?.(key);
          continue;
        }
        left--;
        yield [key, value];
      }
      // Everything in the range was read, or every entry read was yielded.
      if (!Number.isFinite(asked) || read < asked || last === undefined) return;
      // The smallest key after `last` is `last` + NUL; before it (reverse), `last` itself.
      if (reverse) lt = last;
      else gte = `${last}\0`;
    }
  }

  /** Closes the inner store. */
  async close(): Promise<void> {
    await this.inner.close();
  }
}
