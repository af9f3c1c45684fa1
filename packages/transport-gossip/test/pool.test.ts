/** SPEC §6.2: the pool keeps envelopes by hash, also when short hash keys collide, and sweeps by expiry. */
import { describe, expect, it } from 'vitest';
import { EnvelopePool, type PoolEntry } from '../src/pool.js';

function entry(hashTail: number, expiry: number): PoolEntry {
  const hash = new Uint8Array(32).fill(7);
  hash[31] = hashTail; // same leading bytes: the same map key
  return {
    hash,
    encoded: new Uint8Array(10),
    expiry,
    pow: 1,
    bloom: new Uint8Array(64),
    knownBy: new Set(),
    local: true,
    removed: false,
  };
}

describe('envelope pool', () => {
  it('tells colliding keys apart by the full hash, and sweeps each by its expiry', () => {
    const pool = new EnvelopePool();
    const a = entry(1, 100);
    const b = entry(2, 200);
    const c = entry(3, 300);
    for (const e of [a, b, c]) pool.add(e);
    expect(pool.size).toBe(3);
    expect(pool.get(b.hash)).toBe(b);
    expect(pool.get(entry(4, 0).hash)).toBeUndefined();
    expect(pool.sweep(201)).toBe(2);
    expect(pool.get(a.hash)).toBeUndefined();
    expect(pool.get(b.hash)).toBeUndefined();
    expect(pool.get(c.hash)).toBe(c);
    expect([...pool.values()]).toEqual([c]);
    expect(a.removed && b.removed && !c.removed).toBe(true);
    expect(pool.totalBytes).toBe(10);
    pool.clear();
    expect(pool.size).toBe(0);
    expect(c.removed).toBe(true);
  });

  it('agrees with a plain map through adds and sweeps, keys colliding often', () => {
    // A small deterministic generator: the same sequence on every run.
    let seed = 12345;
    const next = () => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed;
    };
    const pool = new EnvelopePool();
    const model = new Map<string, PoolEntry>();
    const hex = (hash: Uint8Array) => Array.from(hash, (x) => x.toString(16)).join(',');
    const make = (expiry: number): PoolEntry => {
      const hash = new Uint8Array(32);
      for (let i = 0; i < 32; i++) hash[i] = next() & 0xff;
      // One in four shares its first four bytes (the index's key) with others.
      if ((next() & 3) === 0) hash.set([1, 2, 3, next() & 1], 0);
      return { ...entry(0, expiry), hash, encoded: new Uint8Array(1 + (next() % 7)) };
    };
    let now = 0;
    for (let round = 0; round < 40; round++) {
      const adds = next() % 3000;
      for (let i = 0; i < adds; i++) {
        const e = make(now + (next() % 20));
        if (pool.get(e.hash)) continue;
        pool.add(e);
        model.set(hex(e.hash), e);
      }
      now += next() % 12;
      const expired = [...model.values()].filter((e) => e.expiry < now);
      expect(pool.sweep(now)).toBe(expired.length);
      for (const e of expired) model.delete(hex(e.hash));
      expect(pool.size).toBe(model.size);
      // The same entries (entries whose keys collide come out together, not in arrival order).
      const ids = (entries: Iterable<PoolEntry>) => [...entries].map((e) => hex(e.hash)).sort();
      expect(ids(pool.values())).toEqual(ids(model.values()));
      expect(pool.totalBytes).toBe([...model.values()].reduce((n, e) => n + e.encoded.length, 0));
      for (const e of model.values()) expect(pool.get(e.hash)).toBe(e);
      for (const e of expired) expect(pool.get(e.hash)).toBeUndefined();
    }
  });
});
