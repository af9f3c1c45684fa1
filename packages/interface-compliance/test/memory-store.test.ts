/** `MemoryStore` of @hush/interface is a `Store` like any other: it passes the store suite. */
import { MemoryStore } from '@hush/interface';
import { describe, expect, it } from 'vitest';
import { storeCompliance } from '../src/index.js';

storeCompliance('MemoryStore', async () => new MemoryStore());

describe('MemoryStore', () => {
  it("refuses every operation once closed with StoreError 'closed'", async () => {
    const store = new MemoryStore();
    await store.put('k', Uint8Array.of(1));
    await store.close();
    const closed = { name: 'StoreError', code: 'closed' };
    await expect(store.get('k')).rejects.toMatchObject(closed);
    await expect(store.put('k', Uint8Array.of(2))).rejects.toMatchObject(closed);
    await expect(store.delete('k')).rejects.toMatchObject(closed);
    await expect(store.batch([])).rejects.toMatchObject(closed);
    await expect(
      (async () => {
        for await (const _ of store.range({})) {
          // nothing: refused before the first entry
        }
      })(),
    ).rejects.toMatchObject(closed);
  });
});
