/**
 * The store compliance suite: what every `Store` of `@hush/interface` must do (copies in and
 * out, atomic batches, key order by UTF-16 code units, range bounds and limits, long ranges,
 * abandoned ranges, a closed store refusing with StoreError 'closed' or any StoreError).
 */
import type { Store } from '@hush/interface';
import { describe, expect, it } from 'vitest';

const bytes = (...values: number[]) => Uint8Array.from(values);

/**
 * Registers the store suite with Vitest. `open` gives a fresh, empty store each time; the
 * suite closes what it opens.
 *
 * @example
 * ```ts
 * storeCompliance('MemoryStore', async () => new MemoryStore());
 * ```
 */
export function storeCompliance(name: string, open: () => Promise<Store>): void {
  describe(`store compliance: ${name}`, () => {
    const keys = async (store: Store, options: Parameters<Store['range']>[0]) => {
      const out: string[] = [];
      for await (const [key] of store.range(options)) out.push(key);
      return out;
    };

    it('puts, gets, deletes, and returns copies', async () => {
      const store = await open();
      await store.put('a', bytes(1, 2));
      const value = (await store.get('a'))!;
      expect(value).toEqual(bytes(1, 2));
      value[0] = 9;
      expect(await store.get('a')).toEqual(bytes(1, 2));
      await store.delete('a');
      expect(await store.get('a')).toBeUndefined();
      await store.close();
    });

    it('applies batches and reads ranges in order, forward and reverse, with limits', async () => {
      const store = await open();
      await store.batch([
        { type: 'put', key: 'x/3', value: bytes(3) },
        { type: 'put', key: 'x/1', value: bytes(1) },
        { type: 'put', key: 'x/2', value: bytes(2) },
        { type: 'put', key: 'y/1', value: bytes(9) },
        { type: 'del', key: 'x/2' },
      ]);
      const read = async (options: Parameters<Store['range']>[0]) => {
        const out: string[] = [];
        for await (const [key] of store.range(options)) out.push(key);
        return out;
      };
      expect(await read({ gte: 'x/', lt: 'x0' })).toEqual(['x/1', 'x/3']);
      expect(await read({ gte: 'x/', lt: 'x0', reverse: true })).toEqual(['x/3', 'x/1']);
      expect(await read({ gte: 'x/', limit: 1 })).toEqual(['x/1']);
      await store.close();
    });

    it('overwrites, treats a missing key as absent, and keeps the last write of a batch', async () => {
      const store = await open();
      await store.put('k', bytes(1));
      await store.put('k', bytes(2, 2));
      expect(await store.get('k')).toEqual(bytes(2, 2));
      expect(await store.get('missing')).toBeUndefined();
      await store.delete('missing');
      await store.batch([]);
      await store.batch([
        { type: 'put', key: 'b', value: bytes(1) },
        { type: 'del', key: 'b' },
        { type: 'put', key: 'c', value: bytes(1) },
        { type: 'put', key: 'c', value: bytes(3) },
        { type: 'del', key: 'k' },
        { type: 'put', key: 'k', value: bytes(4) },
        { type: 'put', key: 'e', value: new Uint8Array(0) },
      ]);
      expect(await store.get('b')).toBeUndefined();
      expect(await store.get('c')).toEqual(bytes(3));
      expect(await store.get('k')).toEqual(bytes(4));
      expect(await store.get('e')).toEqual(new Uint8Array(0));
      await store.close();
    });

    it('orders keys byte by byte, bounds gte inclusive and lt exclusive, either alone', async () => {
      const store = await open();
      const all = ['A', 'a', 'a\u0000b', 'a/', 'a0', 'ab', '~', 'é', '中'];
      await store.batch(
        [...all].reverse().map((key) => ({ type: 'put' as const, key, value: bytes(1) })),
      );
      expect(await keys(store, {})).toEqual(all);
      expect(await keys(store, { gte: 'a/' })).toEqual(['a/', 'a0', 'ab', '~', 'é', '中']);
      expect(await keys(store, { lt: 'a/' })).toEqual(['A', 'a', 'a\u0000b']);
      expect(await keys(store, { gte: 'a', lt: 'ab' })).toEqual(['a', 'a\u0000b', 'a/', 'a0']);
      expect(await keys(store, { gte: 'ab', lt: 'ab' })).toEqual([]);
      expect(await keys(store, { lt: 'é', reverse: true, limit: 2 })).toEqual(['~', 'ab']);
      expect(await keys(store, { gte: 'zz' })).toEqual(['~', 'é', '中']);
      expect(await store.get('a\u0000b')).toEqual(bytes(1));
      await store.close();
    });

    it('reads long ranges whole and in order, and lets a reader stop early', async () => {
      const store = await open();
      const n = 3000;
      const key = (i: number) => `r/${i.toString().padStart(5, '0')}`;
      for (let i = 0; i < n; i += 500)
        await store.batch(
          Array.from({ length: 500 }, (_, j) => ({
            type: 'put' as const,
            key: key(i + j),
            value: Uint8Array.of((i + j) & 0xff, (i + j) >> 8),
          })),
        );
      let count = 0;
      for await (const [k, value] of store.range({ gte: 'r/', lt: 'r0' })) {
        expect(k).toBe(key(count));
        expect(value).toEqual(Uint8Array.of(count & 0xff, count >> 8));
        count++;
      }
      expect(count).toBe(n);
      const backwards = await keys(store, { gte: 'r/', lt: 'r0', reverse: true });
      expect(backwards).toHaveLength(n);
      expect(backwards[0]).toBe(key(n - 1));
      expect(backwards[n - 1]).toBe(key(0));
      expect(await keys(store, { gte: key(1000), limit: 1500 })).toEqual(
        Array.from({ length: 1500 }, (_, i) => key(1000 + i)),
      );
      let seen = 0;
      for await (const _ of store.range({ gte: 'r/' })) if (++seen === 10) break;
      expect(seen).toBe(10);
      // The store still works after an abandoned range.
      await store.put(key(0), bytes(7));
      expect(await store.get(key(0))).toEqual(bytes(7));
      await store.close();
    });
  });
}
