/**
 * The sealed store (apps/web/src/sealed-store.ts) in Node, over the page's IndexedDB store
 * and fake-indexeddb: the store compliance suite; values sealed under the data key with a
 * fresh nonce per write and the key as additional data (not readable in the inner store, not
 * movable to another key, not opened by another data key); what does not open is a StoreError
 * 'failed' from `get` and skipped and counted by `range`, whose limit counts what it yields.
 */
import 'fake-indexeddb/auto';
import { MemoryStore } from '@hush/interface';
import { storeCompliance } from '@hush/interface-compliance';
import { describe, expect, it } from 'vitest';
import { IdbStore } from '../src/idb-store.js';
import { SEALED_OVERHEAD, SealedStore } from '../src/sealed-store.js';

const newKey = () =>
  crypto.subtle.importKey('raw', crypto.getRandomValues(new Uint8Array(32)), 'AES-GCM', false, [
    'encrypt',
    'decrypt',
  ]);

let databases = 0;
const fresh = () => `hush-sealed-test-${++databases}`;

storeCompliance(
  'SealedStore(IdbStore)',
  async () => new SealedStore(await IdbStore.open(fresh()), await newKey()),
);

const keysOf = async (store: SealedStore, options: Parameters<SealedStore['range']>[0]) => {
  const out: string[] = [];
  for await (const [key] of store.range(options)) out.push(key);
  return out;
};

describe('SealedStore', () => {
  it('keeps only sealed values in the inner store, a fresh nonce per write', async () => {
    const inner = new MemoryStore();
    const store = new SealedStore(inner, await newKey());
    const secret = new TextEncoder().encode('the static key, in clear');
    await store.put('direct/static-key', secret);
    await store.batch([{ type: 'put', key: 'direct/contact/x', value: secret }]);
    const first = (await inner.get('direct/static-key'))!;
    expect(first.length).toBe(secret.length + SEALED_OVERHEAD);
    expect(Buffer.from(first).includes(Buffer.from(secret))).toBe(false);
    await store.put('direct/static-key', secret);
    const second = (await inner.get('direct/static-key'))!;
    expect(Buffer.from(second).equals(Buffer.from(first))).toBe(false);
    expect(await store.get('direct/static-key')).toEqual(secret);
    expect(await store.get('direct/contact/x')).toEqual(secret);
  });

  it('opens what it sealed after a reload, with the same data key', async () => {
    const name = fresh();
    const key = await newKey();
    const first = new SealedStore(await IdbStore.open(name), key);
    await first.put('a', Uint8Array.of(1, 2, 3));
    await first.close();
    const again = new SealedStore(await IdbStore.open(name), key);
    expect(await again.get('a')).toEqual(Uint8Array.of(1, 2, 3));
    await again.close();
  });

  it('refuses a value moved to another key, or sealed under another data key', async () => {
    const inner = new MemoryStore();
    const store = new SealedStore(inner, await newKey());
    await store.put('direct/contact/a', Uint8Array.of(1));
    await store.put('direct/contact/b', Uint8Array.of(2));
    await inner.put('direct/contact/b', (await inner.get('direct/contact/a'))!);
    await expect(store.get('direct/contact/b')).rejects.toMatchObject({
      name: 'StoreError',
      code: 'failed',
    });
    const other = new SealedStore(inner, await newKey());
    await expect(other.get('direct/contact/a')).rejects.toMatchObject({
      name: 'StoreError',
      code: 'failed',
    });
    // Another domain (another use of the same data key) does not open it either.
    const elsewhere = new SealedStore(inner, (store as unknown as { key: CryptoKey }).key, {
      domain: 'hush-history',
    });
    await expect(elsewhere.get('direct/contact/a')).rejects.toMatchObject({ code: 'failed' });
  });

  it('skips and counts in ranges what does not open, and its limit counts what it yields', async () => {
    const inner = new MemoryStore();
    const skipped: string[] = [];
    const store = new SealedStore(inner, await newKey(), { onUnopened: (k) => skipped.push(k) });
    for (const k of ['x/1', 'x/2', 'x/3', 'x/4', 'x/5']) await store.put(k, Uint8Array.of(1));
    await inner.put('x/2', Uint8Array.of(1, 2, 3)); // not sealed at all
    const x3 = (await inner.get('x/3'))!;
    x3[x3.length - 1]! ^= 1; // altered
    await inner.put('x/3', x3);
    expect(await keysOf(store, { gte: 'x/', lt: 'x0' })).toEqual(['x/1', 'x/4', 'x/5']);
    expect(store.unopened).toBe(2);
    expect(skipped).toEqual(['x/2', 'x/3']);
    expect(await keysOf(store, { gte: 'x/', limit: 2 })).toEqual(['x/1', 'x/4']);
    expect(await keysOf(store, { lt: 'x0', limit: 3, reverse: true })).toEqual([
      'x/5',
      'x/4',
      'x/1',
    ]);
    expect(await keysOf(store, { gte: 'x/', limit: 9 })).toEqual(['x/1', 'x/4', 'x/5']);
    await expect(store.get('x/2')).rejects.toMatchObject({ code: 'failed' });
  });

  it('refuses a key that is not an AES-256-GCM key for both directions', async () => {
    const signing = await crypto.subtle.importKey(
      'raw',
      crypto.getRandomValues(new Uint8Array(32)),
      'AES-GCM',
      false,
      ['encrypt'],
    );
    expect(() => new SealedStore(new MemoryStore(), signing)).toThrow(TypeError);
    const short = await crypto.subtle.importKey(
      'raw',
      crypto.getRandomValues(new Uint8Array(16)),
      'AES-GCM',
      false,
      ['encrypt', 'decrypt'],
    );
    expect(() => new SealedStore(new MemoryStore(), short)).toThrow(TypeError);
  });
});
