/**
 * specs/mixnet-sphinx/SPEC.md §9 "A mix", the §5 step on worker threads: the unwrap pool
 * answers as `unwrapPacket` does in this thread, byte for byte (forward, final, SURB reply)
 * and refusal for refusal (the same `SphinxError` codes and messages); it refuses past its
 * bound at once ('queue-full'); a worker that dies is replaced and its packets in flight are
 * refused ('worker-failed'), never left pending; stop() ends every thread.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { x25519 } from '@noble/curves/ed25519.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  aezSprp,
  createPacket,
  createSurb,
  geometry,
  type PathHop,
  packetFromSurb,
  SphinxError,
  type Unwrapped,
  unwrapPacket,
} from '../src/index.js';
import { createUnwrapPool, type UnwrapPool, UnwrapUnavailable } from '../src/unwrap-pool.js';

const GEO = geometry(3, 64);
const WORKER = new URL('../src/unwrap-pool-worker.ts', import.meta.url);
const dir = mkdtempSync(join(tmpdir(), 'hush-unwrap-pool-'));
const keyPair = () => {
  const privateKey = x25519.utils.randomSecretKey();
  return { privateKey, publicKey: x25519.getPublicKey(privateKey) };
};
const mine = keyPair();
const other = keyPair();
const id = (n: number) => new Uint8Array(32).fill(n);

function forwardPacket(publicKey = mine.publicKey): Uint8Array {
  const path: PathHop[] = [
    { id: id(1), publicKey, commands: [{ type: 'node-delay', delayMs: 7 }] },
    { id: id(2), publicKey: other.publicKey, commands: [{ type: 'recipient', id: id(9) }] },
  ];
  return createPacket(GEO, path, new Uint8Array(64).fill(5), aezSprp);
}

function finalPacket(): Uint8Array {
  const path: PathHop[] = [
    { id: id(1), publicKey: mine.publicKey, commands: [{ type: 'recipient', id: id(9) }] },
  ];
  return createPacket(GEO, path, new Uint8Array(64).fill(6), aezSprp);
}

function surbReply(): Uint8Array {
  const { surb } = createSurb(GEO, [
    {
      id: id(1),
      publicKey: mine.publicKey,
      commands: [{ type: 'surb-reply', id: id(3).subarray(0, 16) }],
    },
  ]);
  return packetFromSurb(GEO, surb, new Uint8Array(64).fill(7), aezSprp).packet;
}

/** What the step gave, with every byte array as a plain Uint8Array, or the refusal. */
function normal(step: Unwrapped): unknown {
  return JSON.parse(
    JSON.stringify(step, (_, v) =>
      v instanceof Uint8Array ? `hex:${Buffer.from(v).toString('hex')}` : v,
    ),
  );
}
const inThread = (packet: Uint8Array, key: Uint8Array = mine.privateKey) => {
  try {
    return normal(unwrapPacket(GEO, key, packet, aezSprp));
  } catch (error) {
    return { code: (error as SphinxError).code, message: (error as Error).message };
  }
};
const onPool = async (pool: UnwrapPool, packet: Uint8Array, key: Uint8Array = mine.privateKey) => {
  try {
    return normal(await pool.unwrap(key, packet));
  } catch (error) {
    expect(error).toBeInstanceOf(SphinxError);
    return { code: (error as SphinxError).code, message: (error as Error).message };
  }
};

/** A worker that runs the real one, and exits when a batch's first packet starts with 0xee. */
function crashingWorker(): URL {
  const file = join(dir, 'crashing-worker.mjs');
  writeFileSync(
    file,
    `import { parentPort } from 'node:worker_threads';
parentPort.on('message', (m) => {
  if (m.type === 'batch' && new Uint8Array(m.packets)[0] === 0xee) process.exit(7);
});
await import(${JSON.stringify(WORKER.href)});
`,
  );
  return pathToFileURL(file);
}

let pool: UnwrapPool;
beforeAll(async () => {
  pool = await createUnwrapPool({ geometry: GEO, workers: 2 });
});
afterAll(async () => {
  await pool.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('§9 the unwrap pool', () => {
  it('gives what unwrapPacket gives, byte for byte: forward, final, SURB reply', async () => {
    for (const packet of [forwardPacket(), finalPacket(), surbReply()]) {
      const expected = inThread(packet);
      expect(expected).not.toHaveProperty('code');
      expect(await onPool(pool, packet)).toEqual(expected);
    }
  });

  it('refuses as unwrapPacket refuses, with the same codes and messages', async () => {
    const packet = forwardPacket();
    const badVersion = packet.slice();
    badVersion[0] = 1;
    const lowOrder = packet.slice();
    lowOrder.fill(0, 2, 34);
    const tampered = finalPacket();
    tampered[tampered.length - 1]! ^= 1;
    const cases: [Uint8Array, Uint8Array?][] = [
      [packet, other.privateKey],
      [packet.slice(1)],
      [new Uint8Array(GEO.packetLength + 1)],
      [badVersion],
      [lowOrder],
      [tampered],
    ];
    const codes = [];
    for (const [p, key] of cases) {
      const expected = inThread(p, key) as { code: string };
      codes.push(expected.code);
      expect(await onPool(pool, p, key)).toEqual(expected);
    }
    expect(codes).toEqual([
      'bad-mac',
      'truncated',
      'truncated',
      'bad-version',
      'bad-element',
      'bad-tag',
    ]);
  });

  it('answers a burst in order across its workers and keys, leaving the caller’s buffers as they were', async () => {
    const keys = Array.from({ length: 11 }, keyPair);
    const packets = Array.from({ length: 100 }, (_, i) =>
      forwardPacket(keys[i % keys.length]!.publicKey),
    );
    // One frame holding them all, as a link gives them: views of one buffer.
    const frame = new Uint8Array(packets.length * GEO.packetLength);
    for (const [i, p] of packets.entries()) frame.set(p, i * GEO.packetLength);
    const views = packets.map((_, i) =>
      frame.subarray(i * GEO.packetLength, (i + 1) * GEO.packetLength),
    );
    const answers = await Promise.all(
      views.map((view, i) => pool.unwrap(keys[i % keys.length]!.privateKey, view)),
    );
    for (const [i, answer] of answers.entries())
      expect(normal(answer)).toEqual(inThread(packets[i]!, keys[i % keys.length]!.privateKey));
    expect(frame.byteLength).toBe(packets.length * GEO.packetLength);
    expect(views[99]).toEqual(packets[99]);
    expect(pool.pending).toBe(0);
  });

  it('refuses at once past its bound (queue-full), and takes packets again once answered', async () => {
    const small = await createUnwrapPool({ geometry: GEO, workers: 1, maxInFlight: 4 });
    try {
      const packet = forwardPacket();
      const outcomes = await Promise.allSettled(
        Array.from({ length: 10 }, () => small.unwrap(mine.privateKey, packet)),
      );
      expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(4);
      for (const o of outcomes.slice(4)) {
        expect(o.status).toBe('rejected');
        expect((o as PromiseRejectedResult).reason).toBeInstanceOf(UnwrapUnavailable);
        expect((o as PromiseRejectedResult).reason.code).toBe('queue-full');
      }
      expect(small.pending).toBe(0);
      expect(normal(await small.unwrap(mine.privateKey, packet))).toEqual(inThread(packet));
    } finally {
      await small.stop();
    }
  });

  it('replaces a worker that dies; its packets in flight are refused (worker-failed), never pending', async () => {
    const crashing = await createUnwrapPool({
      geometry: GEO,
      workers: 1,
      workerUrl: crashingWorker(),
    });
    try {
      const packet = forwardPacket();
      expect(normal(await crashing.unwrap(mine.privateKey, packet))).toEqual(inThread(packet));
      const [before] = crashing.threadIds;
      const poison = packet.slice();
      poison[0] = 0xee;
      const outcomes = await Promise.allSettled([
        crashing.unwrap(mine.privateKey, poison),
        crashing.unwrap(mine.privateKey, packet),
      ]);
      for (const o of outcomes) {
        expect(o.status).toBe('rejected');
        expect((o as PromiseRejectedResult).reason).toBeInstanceOf(UnwrapUnavailable);
        expect((o as PromiseRejectedResult).reason.code).toBe('worker-failed');
      }
      expect(crashing.pending).toBe(0);
      expect(crashing.threads).toBe(1);
      expect(crashing.threadIds[0]).not.toBe(before);
      // The replacement was given the key it had been sent before.
      expect(normal(await crashing.unwrap(mine.privateKey, packet))).toEqual(inThread(packet));
    } finally {
      await crashing.stop();
    }
  });

  it('fails to start when its worker cannot load, leaving no thread', async () => {
    const file = join(dir, 'broken-worker.mjs');
    writeFileSync(file, "throw new Error('broken on purpose');\n");
    await expect(
      createUnwrapPool({ geometry: GEO, workers: 2, workerUrl: pathToFileURL(file) }),
    ).rejects.toThrow(/broken on purpose/);
  });

  it('stop() refuses what is in flight, ends every thread, and refuses packets after', async () => {
    const stopping = await createUnwrapPool({ geometry: GEO, workers: 2 });
    expect(stopping.threads).toBe(2);
    const packet = forwardPacket();
    const inFlight = Array.from({ length: 40 }, () => stopping.unwrap(mine.privateKey, packet));
    const settled = Promise.allSettled(inFlight);
    await stopping.stop();
    for (const o of await settled) {
      expect(o.status).toBe('rejected');
      expect((o as PromiseRejectedResult).reason.code).toBe('queue-full');
    }
    expect(stopping.threads).toBe(0);
    expect(stopping.threadIds).toEqual([]);
    expect(stopping.pending).toBe(0);
    await expect(stopping.unwrap(mine.privateKey, packet)).rejects.toMatchObject({
      code: 'queue-full',
    });
  });

  it('takes worker counts in [1, 256] only', async () => {
    for (const workers of [0, 1.5, 257])
      await expect(createUnwrapPool({ geometry: GEO, workers })).rejects.toThrow(RangeError);
  });
});
