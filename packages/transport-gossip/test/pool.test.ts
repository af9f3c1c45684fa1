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
});
