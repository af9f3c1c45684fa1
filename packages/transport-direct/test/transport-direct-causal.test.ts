/**
 * specs/transport-direct/SPEC.md §7.5: causal order for whoever asks. Whatever order
 * messages arrive in, each is released after its parents; a missing parent is waited for
 * only so long; repeats are ignored.
 */
import { ManualClock } from '@hush/interface';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CausalOrder } from '../src/index.js';

const id = (n: number) => Uint8Array.of(...new Uint8Array(31), n);
const item = (n: number, parents: number[]) => ({ hash: id(n), parents: parents.map(id), n });

describe('§7.5 causal order', () => {
  it('releases every message after its parents, whatever the arrival order', () => {
    fc.assert(
      fc.property(
        // A random DAG over 0..n-1: each node's parents are earlier nodes.
        fc.integer({ min: 1, max: 30 }).chain((n) =>
          fc.tuple(
            fc.tuple(
              ...Array.from({ length: n }, (_, i) =>
                fc.uniqueArray(fc.integer({ min: 0, max: Math.max(0, i - 1) }), {
                  maxLength: i ? 3 : 0,
                }),
              ),
            ),
            fc.shuffledSubarray(
              Array.from({ length: n }, (_, i) => i),
              { minLength: n, maxLength: n },
            ),
          ),
        ),
        ([parents, arrival]) => {
          const out: number[] = [];
          const order = new CausalOrder<ReturnType<typeof item>>((m) => out.push(m.n), {
            clock: new ManualClock(0),
          });
          for (const n of arrival) order.push(item(n, parents[n]!));
          order.push(item(arrival[0]!, parents[arrival[0]!]!)); // a repeat
          // Each released once (the repeat ignored), every parent before its children.
          expect([...out].sort((x, y) => x - y)).toEqual(arrival.slice().sort((x, y) => x - y));
          const at = new Map(out.map((n, i) => [n, i]));
          for (const n of arrival)
            for (const p of parents[n]!) expect(at.get(p)!).toBeLessThan(at.get(n)!);
        },
      ),
    );
  });

  it('waits for a missing parent only maxWaitMs, then releases', () => {
    const clock = new ManualClock(0);
    const out: number[] = [];
    const order = new CausalOrder<ReturnType<typeof item>>((m) => out.push(m.n), {
      clock,
      maxWaitMs: 1000,
    });
    order.push(item(2, [1]));
    expect(out).toEqual([]);
    expect(order.waiting).toBe(1);
    clock.advance(999);
    expect(out).toEqual([]);
    clock.advance(1);
    expect(out).toEqual([2]);
    order.push(item(1, [])); // the late parent still goes out, once
    order.push(item(2, [1]));
    expect(out).toEqual([2, 1]);
  });

  it('holds at most maxHeld, releasing the oldest held past it', () => {
    const out: number[] = [];
    const order = new CausalOrder<ReturnType<typeof item>>((m) => out.push(m.n), {
      clock: new ManualClock(0),
      maxHeld: 2,
    });
    order.push(item(10, [1]));
    order.push(item(11, [1]));
    order.push(item(12, [1]));
    expect(out).toEqual([10]);
    expect(order.waiting).toBe(2);
    order.push(item(1, []));
    expect(out).toEqual([10, 1, 11, 12]);
  });
});
