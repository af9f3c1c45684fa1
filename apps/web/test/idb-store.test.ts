/**
 * The page's IndexedDB store (packages/interface `Store`) in Node, over fake-indexeddb's
 * IndexedDB: the store compliance suite, what survives closing and opening again (as a reload
 * does), and the refusals of a closed store.
 */
import 'fake-indexeddb/auto';
import { StoreError } from '@hush/interface';
import { storeCompliance } from '@hush/interface-compliance';
import { describe, expect, it } from 'vitest';
import { IdbStore } from '../src/idb-store.js';

let databases = 0;
const fresh = () => `hush-test-${++databases}`;

storeCompliance('IdbStore', () => IdbStore.open(fresh()));

describe('IdbStore', () => {
  it('keeps what was written when opened again, as after a reload', async () => {
    const name = fresh();
    const first = await IdbStore.open(name);
    await first.batch([
      { type: 'put', key: 'outbox/1', value: Uint8Array.of(1) },
      { type: 'put', key: 'outbox/2', value: Uint8Array.of(2) },
    ]);
    await first.close();
    const again = await IdbStore.open(name);
    const keys: string[] = [];
    for await (const [key] of again.range({ gte: 'outbox/', lt: 'outbox0' })) keys.push(key);
    expect(keys).toEqual(['outbox/1', 'outbox/2']);
    await again.close();
  });

  it('stores a view as its own bytes, not the buffer under it', async () => {
    const store = await IdbStore.open(fresh());
    const buffer = Uint8Array.of(9, 9, 1, 2, 9);
    await store.put('k', buffer.subarray(2, 4));
    expect(await store.get('k')).toEqual(Uint8Array.of(1, 2));
    await store.close();
  });

  it('refuses every operation once closed, with StoreError closed', async () => {
    const store = await IdbStore.open(fresh());
    await store.close();
    for (const attempt of [
      () => store.get('k'),
      () => store.put('k', Uint8Array.of(1)),
      () => store.delete('k'),
      () => store.batch([{ type: 'del', key: 'k' }]),
      async () => {
        for await (const _ of store.range({})) break;
      },
    ])
      await expect(attempt()).rejects.toMatchObject({ name: 'StoreError', code: 'closed' });
  });

  it('applies none of a batch that fails', async () => {
    const store = await IdbStore.open(fresh());
    await store.put('a', Uint8Array.of(1));
    await expect(
      store.batch([
        { type: 'del', key: 'a' },
        // Not a valid IndexedDB key: the transaction aborts.
        { type: 'put', key: undefined as unknown as string, value: Uint8Array.of(2) },
      ]),
    ).rejects.toBeInstanceOf(StoreError);
    expect(await store.get('a')).toEqual(Uint8Array.of(1));
    await store.close();
  });
});
