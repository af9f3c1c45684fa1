/**
 * The runtime of @hush/interface: the error base, the emitter that never swallows a
 * listener's exception, registered metrics, the manual clock, peer ids and identity checks.
 */
import { describe, expect, it } from 'vitest';
import {
  assertSameIdentity,
  deleteRange,
  Emitter,
  HushError,
  IdentityError,
  isHushError,
  ManualClock,
  MemoryMetrics,
  MemoryStore,
  MetricsError,
  noMetrics,
  type PeerId,
  parsePeerId,
  peerIdFromPublicKey,
  publicKeyOfPeerId,
  resolveLimits,
  StoreError,
  TransportError,
} from '../src/index.js';

class Ticker extends Emitter<{ tick: number }> {
  fire(n: number) {
    this.emit('tick', n);
  }
}

describe('HushError', () => {
  it('carries a code and a cause, and every package error is one', () => {
    const cause = new Error('socket hang up');
    const error = new TransportError('dial-failed', 'cannot reach ws://x', { cause });
    expect(error).toBeInstanceOf(HushError);
    expect(error.name).toBe('TransportError');
    expect(error.code).toBe('dial-failed');
    expect(error.cause).toBe(cause);
    expect(isHushError(error, 'dial-failed')).toBe(true);
    expect(isHushError(error, 'closed')).toBe(false);
    expect(isHushError(new Error('x'))).toBe(false);
    expect('cause' in new StoreError('closed', 'closed')).toBe(false);
  });
});

describe('Emitter', () => {
  it('calls every listener even when one throws, and hands the exception on', () => {
    const reported: [unknown, string][] = [];
    class Quiet extends Emitter<{ tick: number }> {
      constructor() {
        super({ onListenerError: (error, event) => reported.push([error, event]) });
      }
      fire(n: number) {
        this.emit('tick', n);
      }
    }
    const emitter = new Quiet();
    const seen: number[] = [];
    const boom = new Error('listener bug');
    emitter.on('tick', () => {
      throw boom;
    });
    const off = emitter.on('tick', (n) => seen.push(n));
    emitter.fire(1);
    off();
    emitter.fire(2);
    expect(seen).toEqual([1]);
    expect(reported).toEqual([
      [boom, 'tick'],
      [boom, 'tick'],
    ]);
  });

  it('rethrows a listener exception outside the emit by default (as EventTarget reports it)', async () => {
    const emitter = new Ticker();
    const boom = new Error('listener bug');
    emitter.on('tick', () => {
      throw boom;
    });
    // Vitest's own handler would fail the run: this test takes the error in its place.
    const others = process.listeners('uncaughtException');
    process.removeAllListeners('uncaughtException');
    const caught = new Promise<unknown>((resolve) => process.once('uncaughtException', resolve));
    try {
      expect(() => emitter.fire(1)).not.toThrow();
      expect(await caught).toBe(boom);
    } finally {
      for (const other of others) process.on('uncaughtException', other);
    }
  });
});

describe('MemoryMetrics', () => {
  it('records registered series, refuses unknown metrics, labels and conflicts', () => {
    const metrics = new MemoryMetrics();
    const dropped = metrics.counter({ name: 'x_dropped_total', help: 'h', labelNames: ['reason'] });
    const size = metrics.gauge({ name: 'x_size', help: 'h' });
    dropped.inc(1, { reason: 'expired' });
    dropped.inc(2, { reason: 'expired' });
    dropped.inc();
    size.set(7);
    expect(metrics.value('x_dropped_total', { reason: 'expired' })).toBe(3);
    expect(metrics.value('x_dropped_total')).toBe(1);
    expect(metrics.value('x_size')).toBe(7);
    expect(() => metrics.value('x_misspelt')).toThrow(MetricsError);
    expect(() => dropped.inc(1, { code: 'x' } as never)).toThrow(RangeError);
    expect(() => dropped.inc(-1)).toThrow(RangeError);
    expect(() => metrics.gauge({ name: 'x_dropped_total', help: 'h' })).toThrow(
      expect.objectContaining({ code: 'conflict' }),
    );
    // Registering the same metric again gives the same series.
    metrics.counter({ name: 'x_dropped_total', help: 'h', labelNames: ['reason'] }).inc(1, {
      reason: 'expired',
    });
    expect(metrics.value('x_dropped_total', { reason: 'expired' })).toBe(4);
    expect(metrics.names()).toEqual(['x_dropped_total', 'x_size']);
    expect(() => noMetrics.counter({ name: 'n', help: 'h' }).inc()).not.toThrow();
  });
});

describe('ManualClock', () => {
  it('fires timers in time order as it advances, intervals repeatedly, cleared ones never', () => {
    const clock = new ManualClock(1000);
    const fired: string[] = [];
    clock.setTimeout(() => fired.push(`b@${clock.now()}`), 20);
    clock.setTimeout(() => fired.push(`a@${clock.now()}`), 10);
    const cleared = clock.setTimeout(() => fired.push('never'), 5);
    clock.clearTimeout(cleared);
    const every = clock.setInterval(() => fired.push(`i@${clock.now()}`), 15);
    clock.advance(31);
    clock.clearInterval(every);
    clock.advance(100);
    expect(fired).toEqual(['a@1010', 'i@1015', 'b@1020', 'i@1030']);
    expect(clock.now()).toBe(1131);
  });
});

describe('peer ids', () => {
  it('are enode ids: 64 bytes of hex of the public key, parsed in any case', () => {
    const key = new Uint8Array(65).map((_, i) => (i === 0 ? 4 : i));
    const id = peerIdFromPublicKey(key);
    expect(id).toHaveLength(128);
    expect(peerIdFromPublicKey(key.subarray(1))).toBe(id);
    expect(parsePeerId(`0x${id.toUpperCase()}`)).toBe(id);
    expect(publicKeyOfPeerId(id)).toEqual(key);
    expect(() => peerIdFromPublicKey(new Uint8Array(33))).toThrow(RangeError);
    expect(() => parsePeerId('abc')).toThrow(RangeError);
  });

  it('must agree between a node and the parts that prove it', () => {
    const a = 'a'.repeat(128) as PeerId;
    const b = 'b'.repeat(128) as PeerId;
    expect(() =>
      assertSameIdentity(a, { transport: { peerId: a }, other: undefined }),
    ).not.toThrow();
    expect(() => assertSameIdentity(a, { transport: {} })).not.toThrow();
    expect(() => assertSameIdentity(a, { transport: { peerId: b } })).toThrow(IdentityError);
  });
});

describe('connection limits', () => {
  it('fill in defaults and keep what is given', () => {
    expect(resolveLimits({ maxFrameBytes: 10 })).toMatchObject({
      maxFrameBytes: 10,
      handshakeTimeoutMs: 10_000,
      idleTimeoutMs: 120_000,
    });
  });
});

describe('deleteRange', () => {
  it('deletes the keys of a range, and only those', async () => {
    const store = new MemoryStore();
    for (const key of ['a/1', 'a/2', 'a/3', 'b/1']) await store.put(key, Uint8Array.of(1));
    expect(await deleteRange(store, { gte: 'a/', lt: 'a/3' })).toBe(2);
    const left: string[] = [];
    for await (const [key] of store.range({})) left.push(key);
    expect(left).toEqual(['a/3', 'b/1']);
    expect(await deleteRange(store, { gte: 'c/', lt: 'd/' })).toBe(0);
  });
});
