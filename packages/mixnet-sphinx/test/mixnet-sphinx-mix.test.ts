/**
 * specs/mixnet-sphinx/SPEC.md §9: a mix unwraps, refuses replays, holds each packet for the
 * delay its command asks (on an injected clock: no wall time), forwards or delivers, drops
 * what fails by reason with its counters, and unwraps with the previous key only during the
 * grace window after a rotation. The same behaviour with the unwrap on worker threads
 * (`@hush/mixnet-sphinx/unwrap-pool`), and an unwrapper's refusals counted as the packet's.
 */

import { ManualClock, MemoryMetrics, MemoryStore } from '@hush/interface';
import { x25519 } from '@noble/curves/ed25519.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  aezSprp,
  createPacket,
  type Delivery,
  geometry,
  Mix,
  type PathHop,
  ReplayCache,
  SphinxError,
  unwrapPacket,
} from '../src/index.js';
import { type Unwrapper, UnwrapUnavailable } from '../src/mix.js';
import { createUnwrapPool, type UnwrapPool } from '../src/unwrap-pool.js';

const GEO = geometry(3, 64);
const keyPair = () => {
  const privateKey = x25519.utils.randomSecretKey();
  return { privateKey, publicKey: x25519.getPublicKey(privateKey) };
};

function setupMix(
  options: { graceMs?: number; maxQueue?: number; unwrapper?: Unwrapper | undefined } = {},
) {
  const { unwrapper, ...rest } = options;
  const clock = new ManualClock(1_000_000);
  const metrics = new MemoryMetrics();
  const first = keyPair();
  const forwarded: { nextHop: Uint8Array; packet: Uint8Array; at: number }[] = [];
  const delivered: Delivery[] = [];
  const mix = new Mix({
    geometry: GEO,
    key: { epoch: 1, privateKey: first.privateKey },
    replay: new ReplayCache(new MemoryStore()),
    forward: (nextHop, packet) => forwarded.push({ nextHop, packet, at: clock.now() }),
    deliver: (d) => delivered.push(d),
    clock,
    metrics,
    ...rest,
    ...(unwrapper ? { unwrapper } : {}),
  });
  return { clock, metrics, mix, first, forwarded, delivered };
}

const next = keyPair();
function packetTo(publicKey: Uint8Array, delayMs: number, hops: 1 | 2 = 2): Uint8Array {
  const path: PathHop[] = [
    { id: new Uint8Array(32).fill(1), publicKey, commands: [{ type: 'node-delay', delayMs }] },
    {
      id: new Uint8Array(32).fill(2),
      publicKey: next.publicKey,
      commands: [{ type: 'recipient', id: new Uint8Array(32).fill(9) }],
    },
  ];
  return createPacket(
    GEO,
    hops === 1
      ? [{ ...path[0]!, commands: [{ type: 'recipient', id: new Uint8Array(32).fill(9) }] }]
      : path,
    new Uint8Array(64).fill(5),
    aezSprp,
  );
}

let pool: UnwrapPool | undefined;
beforeAll(async () => {
  pool = await createUnwrapPool({ geometry: GEO, workers: 2 });
});
afterAll(() => pool?.stop());

const unwrappers: [string, () => Unwrapper | undefined][] = [
  ['in this thread', () => undefined],
  ['on worker threads', () => pool],
];
describe.each(unwrappers)('§9 a mix, unwrapping %s', (_, unwrapperOf) => {
  const setup = (options: { graceMs?: number; maxQueue?: number } = {}) =>
    setupMix({ ...options, unwrapper: unwrapperOf() });

  it('holds a packet for its delay, then forwards it to the next hop', async () => {
    const { clock, mix, first, forwarded, metrics } = setup();
    expect(await mix.receive(packetTo(first.publicKey, 2500))).toBe('queued');
    expect(mix.queueLength).toBe(1);
    clock.advance(2499);
    expect(forwarded).toHaveLength(0);
    clock.advance(1);
    expect(forwarded).toHaveLength(1);
    expect(forwarded[0]!.nextHop).toEqual(new Uint8Array(32).fill(2));
    expect(forwarded[0]!.packet.length).toBe(GEO.packetLength);
    expect(mix.queueLength).toBe(0);
    expect(metrics.value('hush_mix_packets_out_total')).toBe(1);
    expect(metrics.value('hush_mix_delay_ms_bucket', { le: '5000' })).toBe(1);
    expect(metrics.value('hush_mix_delay_ms_bucket', { le: '1000' })).toBe(0);
  });

  it('delivers a packet that ends here, with its recipient', async () => {
    const { mix, first, delivered } = setup();
    expect(await mix.receive(packetTo(first.publicKey, 0, 1))).toBe('delivered');
    expect(delivered[0]!.payload).toEqual(new Uint8Array(64).fill(5));
    expect(delivered[0]!.recipient).toEqual(new Uint8Array(32).fill(9));
  });

  it('refuses a replay, a forged MAC and a truncated packet, counting each reason', async () => {
    const { mix, first, metrics, forwarded, clock } = setup();
    const packet = packetTo(first.publicKey, 10);
    expect(await mix.receive(packet)).toBe('queued');
    expect(await mix.receive(packet)).toBe('replay');
    const forged = packet.slice();
    forged[100]! ^= 1;
    expect(await mix.receive(forged)).toBe('bad-mac');
    expect(await mix.receive(packet.slice(1))).toBe('truncated');
    clock.advance(10);
    expect(forwarded).toHaveLength(1);
    for (const reason of ['replay', 'bad-mac', 'truncated'])
      expect(metrics.value('hush_mix_packets_dropped_total', { reason })).toBe(1);
    expect(metrics.value('hush_mix_packets_in_total')).toBe(4);
  });

  it('after a rotation, unwraps with the previous key only during the grace window', async () => {
    const { mix, first, clock } = setup({ graceMs: 60_000 });
    const second = keyPair();
    const early = packetTo(first.publicKey, 0);
    const late = packetTo(first.publicKey, 0);
    await mix.rotate({ epoch: 2, privateKey: second.privateKey });
    expect(await mix.receive(early)).toBe('queued');
    expect(await mix.receive(packetTo(second.publicKey, 0))).toBe('queued');
    clock.advance(60_000);
    expect(await mix.receive(late)).toBe('bad-mac');
    await expect(mix.rotate({ epoch: 2, privateKey: second.privateKey })).rejects.toThrow(
      RangeError,
    );
  });

  it('drops past its queue limit, and stops cleanly', async () => {
    const { mix, first, forwarded, clock } = setup({ maxQueue: 2 });
    expect(await mix.receive(packetTo(first.publicKey, 1000))).toBe('queued');
    expect(await mix.receive(packetTo(first.publicKey, 1000))).toBe('queued');
    expect(await mix.receive(packetTo(first.publicKey, 1000))).toBe('queue-full');
    mix.stop();
    clock.advance(2000);
    expect(forwarded).toHaveLength(0);
    expect(mix.queueLength).toBe(0);
  });
});

describe('§9 a mix and its unwrapper', () => {
  it("counts an unwrapper's refusals as the packet's, and its own as queue-full or worker-failed", async () => {
    const refusals: unknown[] = [
      new SphinxError('bad-element', 'x'),
      new UnwrapUnavailable('queue-full', 'full'),
      new UnwrapUnavailable('worker-failed', 'gone'),
      new TypeError('a bug'),
    ];
    let next = 0;
    const unwrapper: Unwrapper = {
      unwrap: () => {
        const error = refusals[next++ % refusals.length];
        return next % 2
          ? Promise.reject(error)
          : (() => {
              throw error;
            })();
      },
    };
    const { mix, first, metrics } = setupMix({ unwrapper });
    const results = [];
    for (let i = 0; i < refusals.length; i++)
      results.push(await mix.receive(packetTo(first.publicKey, 0)));
    expect(results).toEqual(['bad-element', 'queue-full', 'worker-failed', 'bad-command']);
    expect(metrics.value('hush_mix_packets_dropped_total', { reason: 'worker-failed' })).toBe(1);
  });

  it('tries the previous key on an asynchronous bad-mac during the grace window', async () => {
    const keys: Uint8Array[] = [];
    const unwrapper: Unwrapper = {
      unwrap: async (privateKey, packet) => {
        keys.push(privateKey);
        return unwrapPacket(GEO, privateKey, packet, aezSprp);
      },
    };
    const { mix, first } = setupMix({ unwrapper, graceMs: 1000 });
    const second = keyPair();
    await mix.rotate({ epoch: 2, privateKey: second.privateKey });
    expect(await mix.receive(packetTo(first.publicKey, 0))).toBe('queued');
    expect(keys).toEqual([second.privateKey, first.privateKey]);
  });

  it('drops what a worker answers after the mix stopped', async () => {
    let release: (() => void) | undefined;
    const unwrapper: Unwrapper = {
      unwrap: (privateKey, packet) =>
        new Promise((resolve) => {
          release = () => resolve(unwrapPacket(GEO, privateKey, packet, aezSprp));
        }),
    };
    const { mix, first, metrics } = setupMix({ unwrapper });
    const received = mix.receive(packetTo(first.publicKey, 0));
    mix.stop();
    release!();
    expect(await received).toBe('queue-full');
    expect(mix.queueLength).toBe(0);
    expect(metrics.value('hush_mix_packets_dropped_total', { reason: 'queue-full' })).toBe(1);
  });
});
