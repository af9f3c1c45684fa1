/**
 * specs/mixnet-sphinx/SPEC.md §7.1 and §8: the replay cache refuses every packet seen before
 * (after a restart too, and when two copies race), per key epoch, flushed with old keys; the
 * SURB store gives a SURB's keys once and never after expiry; retry delays are random and
 * capped.
 */
import { ManualClock, MemoryStore } from '@hush/interface';
import { describe, expect, it } from 'vitest';
import { ReplayCache, retransmitDelay, SurbStore } from '../src/index.js';

const tag = (n: number) => new Uint8Array(32).fill(n);

describe('§8 replay cache', () => {
  it('a tag is fresh once, a replay ever after, a restart included', async () => {
    const store = new MemoryStore();
    const cache = new ReplayCache(store);
    expect(await cache.check(1, tag(1))).toBe(true);
    expect(await cache.check(1, tag(1))).toBe(false);
    expect(await cache.check(1, tag(2))).toBe(true);
    const restarted = new ReplayCache(store);
    expect(await restarted.check(1, tag(1))).toBe(false);
    expect(await restarted.check(1, tag(3))).toBe(true);
  });

  it('two copies racing: exactly one goes on', async () => {
    const cache = new ReplayCache(new MemoryStore());
    const verdicts = await Promise.all(Array.from({ length: 10 }, () => cache.check(4, tag(9))));
    expect(verdicts.filter(Boolean)).toHaveLength(1);
  });

  it('keeps epochs apart and flushes those before a rotation', async () => {
    const store = new MemoryStore();
    const cache = new ReplayCache(store);
    await cache.check(1, tag(1));
    await cache.check(2, tag(1));
    await cache.check(3, tag(5));
    expect(await cache.flushBefore(3)).toBe(2);
    expect(await cache.check(3, tag(5))).toBe(false);
    expect(await new ReplayCache(store).check(2, tag(1))).toBe(true);
  });

  it('refuses a bad tag or epoch', () => {
    const cache = new ReplayCache(new MemoryStore());
    expect(() => cache.check(1, new Uint8Array(31))).toThrow(RangeError);
    expect(() => cache.check(-1, tag(1))).toThrow(RangeError);
  });
});

describe('§7.1 SURB store', () => {
  it('gives the keys once, and nothing for a SURB used, unknown or expired', async () => {
    const clock = new ManualClock(1_000_000);
    const surbs = new SurbStore(new MemoryStore(), clock);
    const id = new Uint8Array(16).fill(1);
    const keys = new Uint8Array(64 * 4).fill(7);
    await surbs.add(id, keys, clock.now() + 60_000);
    expect(await surbs.take(id)).toEqual(keys);
    expect(await surbs.take(id)).toBeUndefined();
    // Two replies racing on one SURB: its keys once.
    const raced = new Uint8Array(16).fill(4);
    await surbs.add(raced, keys, clock.now() + 60_000);
    const both = await Promise.all([surbs.take(raced), surbs.take(raced)]);
    expect(both.filter((k) => k !== undefined)).toEqual([keys]);
    expect(await surbs.take(new Uint8Array(16).fill(2))).toBeUndefined();
    const late = new Uint8Array(16).fill(3);
    await surbs.add(late, keys, clock.now() + 1000);
    clock.advance(1000);
    expect(await surbs.take(late)).toBeUndefined();
  });

  it('sweeps expired SURBs and keeps the rest', async () => {
    const clock = new ManualClock(0);
    const surbs = new SurbStore(new MemoryStore(), clock);
    await surbs.add(new Uint8Array(16).fill(1), new Uint8Array(64), 100);
    await surbs.add(new Uint8Array(16).fill(2), new Uint8Array(64), 200);
    clock.advance(150);
    expect(await surbs.sweep()).toBe(1);
    expect(await surbs.take(new Uint8Array(16).fill(2))).toEqual(new Uint8Array(64));
  });

  it('refuses a bad id or a past expiry', async () => {
    const surbs = new SurbStore(new MemoryStore(), new ManualClock(1000));
    await expect(surbs.add(new Uint8Array(15), new Uint8Array(64), 5000)).rejects.toThrow(
      RangeError,
    );
    await expect(surbs.add(new Uint8Array(16), new Uint8Array(64), 10)).rejects.toThrow(RangeError);
  });
});

describe('§7.1 retry delays', () => {
  it('are exponential with a growing mean, capped', () => {
    // At u = 1 − 1/e, −ln(1 − u) = 1: the delay is the mean itself.
    const atMean = () => 1 - 1 / Math.E;
    expect(retransmitDelay(1, { meanMs: 1000 }, atMean)).toBeCloseTo(1000, 6);
    expect(retransmitDelay(3, { meanMs: 1000 }, atMean)).toBeCloseTo(4000, 6);
    expect(retransmitDelay(20, { meanMs: 1000, maxMs: 60_000 }, atMean)).toBe(60_000);
    expect(retransmitDelay(1, { meanMs: 1000 }, () => 0)).toBeGreaterThanOrEqual(0);
    expect(Number.isFinite(retransmitDelay(1, { meanMs: 1000 }, () => 1))).toBe(true);
    expect(() => retransmitDelay(0, { meanMs: 1000 })).toThrow(RangeError);
  });
});

describe('§8 replay cache over a store: loads once, commits in groups', () => {
  /** A MemoryStore that counts reads and batches, and fails batches on demand. */
  class CountingStore extends MemoryStore {
    gets = 0;
    ranges = 0;
    batches: number[] = [];
    failNext = 0;
    override async get(key: string) {
      this.gets++;
      return super.get(key);
    }
    override range(options: Parameters<MemoryStore['range']>[0]) {
      this.ranges++;
      return super.range(options);
    }
    override async batch(operations: Parameters<MemoryStore['batch']>[0]) {
      if (this.failNext > 0) {
        this.failNext--;
        throw new Error('disk full');
      }
      this.batches.push(operations.length);
      return super.batch(operations);
    }
  }

  it('a new cache over the same store refuses the old tags, reading the epoch once', async () => {
    const store = new CountingStore();
    const first = new ReplayCache(store);
    for (let n = 0; n < 20; n++) expect(await first.check(7, tag(n))).toBe(true);
    const restarted = new ReplayCache(store);
    store.ranges = 0;
    for (let n = 0; n < 20; n++) expect(await restarted.check(7, tag(n))).toBe(false);
    expect(await restarted.check(7, tag(20))).toBe(true);
    expect(await restarted.check(8, tag(1))).toBe(true);
    expect(store.ranges).toBe(2);
    expect(store.gets).toBe(0);
  });

  it('checks arriving together are one batch; duplicates among them, one fresh', async () => {
    const store = new CountingStore();
    const cache = new ReplayCache(store);
    await cache.check(1, tag(200));
    store.batches = [];
    const tags = [1, 2, 3, 1, 4, 2, 5, 1];
    const verdicts = await Promise.all(tags.map((n) => cache.check(1, tag(n))));
    expect(verdicts).toEqual([true, true, true, false, true, false, true, false]);
    expect(store.batches).toEqual([5]);
  });

  it('copies racing before the epoch is loaded: the first is fresh, the rest replays', async () => {
    const cache = new ReplayCache(new CountingStore());
    const verdicts = await Promise.all(Array.from({ length: 5 }, () => cache.check(3, tag(9))));
    expect(verdicts).toEqual([true, false, false, false, false]);
  });

  it('a true is given only once its tag is written', async () => {
    const store = new MemoryStore();
    const cache = new ReplayCache(store);
    const fresh = await cache.check(2, tag(42));
    expect(fresh).toBe(true);
    const keys: string[] = [];
    for await (const [key] of store.range({ gte: 'mix/replay/' })) keys.push(key);
    expect(keys).toEqual([`mix/replay/000000000002/${'2a'.repeat(32)}`]);
  });

  it('a failed batch rejects its checks and records nothing: the tags can come again', async () => {
    const store = new CountingStore();
    const cache = new ReplayCache(store);
    await cache.check(1, tag(100));
    store.failNext = 1;
    const results = await Promise.allSettled([cache.check(1, tag(1)), cache.check(1, tag(2))]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(await cache.check(1, tag(1))).toBe(true);
    expect(await new ReplayCache(store).check(1, tag(2))).toBe(true);
    expect(await new ReplayCache(store).check(1, tag(1))).toBe(false);
  });

  it('checks queued while a batch is written go in the next one', async () => {
    const store = new CountingStore();
    const cache = new ReplayCache(store);
    await cache.check(1, tag(100));
    store.batches = [];
    const a = cache.check(1, tag(1));
    await Promise.resolve();
    await Promise.resolve();
    const later = [cache.check(1, tag(2)), cache.check(1, tag(3)), cache.check(1, tag(1))];
    expect(await a).toBe(true);
    expect(await Promise.all(later)).toEqual([true, true, false]);
    expect(store.batches.reduce((x, y) => x + y, 0)).toBe(3);
  });

  it('a flush waits for the writes under way, not for those that keep coming', async () => {
    // Every batch takes a turn of the timers, and a check arrives every turn: a flush that
    // waited for an idle cache would never end.
    class SlowStore extends MemoryStore {
      override async batch(operations: Parameters<MemoryStore['batch']>[0]) {
        await new Promise((resolve) => setTimeout(resolve, 2));
        return super.batch(operations);
      }
    }
    const store = new SlowStore();
    const cache = new ReplayCache(store);
    expect(await cache.check(1, tag(1))).toBe(true);
    let n = 0;
    let flushed = false;
    const busy = (async () => {
      while (!flushed && n < 2000) {
        void cache.check(
          2,
          new Uint8Array(32).fill(0).map((_, i) => (i < 4 ? (n >> (8 * i)) & 255 : 7)),
        );
        n++;
        await new Promise((resolve) => setTimeout(resolve, 1));
      }
    })();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await cache.flushBefore(2)).toBe(1);
    flushed = true;
    await busy;
    expect(n).toBeLessThan(2000);
    expect(await new ReplayCache(store).check(1, tag(1))).toBe(true);
  });
});
