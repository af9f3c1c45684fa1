/**
 * SPEC §7.6: the transport compliance suite, run against the in-memory and the WebSocket
 * transports: authentication, ordered frames in both directions, close propagation, frame
 * size and rate limits, backpressure.
 */
import { defaultBackend } from '@hush/crypto';
import type { CloseReason, Connection, ConnectionLimits, Transport } from '@hush/interface';
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryNetwork, webSocketTransport } from '../src/index.js';
import { eventually, generatePrivateKey } from './helpers.js';

type Factory = (key: Uint8Array, limits?: ConnectionLimits) => Transport;

const network = new MemoryNetwork();
const implementations: [string, Factory][] = [
  [
    'memory',
    (privateKey, limits) => network.transport({ privateKey, ...(limits ? { limits } : {}) }),
  ],
  [
    'websocket',
    (privateKey, limits) => webSocketTransport({ privateKey, ...(limits ? { limits } : {}) }),
  ],
];

describe.each(implementations)('transport compliance: %s', (_, make) => {
  const opened: Transport[] = [];
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((t) => t.close()));
  });

  async function pair(limits?: ConnectionLimits) {
    const keyA = generatePrivateKey();
    const keyB = generatePrivateKey();
    const a = make(keyA, limits);
    const b = make(keyB, limits);
    opened.push(a, b);
    const accepted: Connection[] = [];
    await a.listen((c) => accepted.push(c));
    const dialed = await b.dial(a.addresses[0]!);
    await eventually(() => accepted.length === 1, 20_000, 'accepted connection');
    return { keyA, keyB, server: accepted[0]!, client: dialed };
  }

  it('authenticates both ends by their node keys', async () => {
    const { keyA, keyB, server, client } = await pair();
    expect(client.remoteKey).toEqual(defaultBackend.publicKeyCreate(keyA));
    expect(server.remoteKey).toEqual(defaultBackend.publicKeyCreate(keyB));
    expect(client.outbound).toBe(true);
    expect(server.outbound).toBe(false);
  });

  it('delivers frames in order both ways, then tells both ends of a close', async () => {
    const { server, client } = await pair();
    const atServer: number[] = [];
    const atClient: number[] = [];
    server.onFrame((f) => atServer.push(f[0]!));
    client.onFrame((f) => atClient.push(f[0]!));
    for (let i = 0; i < 50; i++) {
      client.send(Uint8Array.of(i, 1, 2));
      server.send(Uint8Array.of(i));
    }
    await eventually(() => atServer.length === 50 && atClient.length === 50, 20_000, 'frames');
    expect(atServer).toEqual([...Array(50).keys()]);
    expect(atClient).toEqual([...Array(50).keys()]);
    const reasons: CloseReason[] = [];
    server.onClose((r) => reasons.push(r));
    client.onClose((r) => reasons.push(r));
    let alsoTold = false;
    client.onClose(() => {
      alsoTold = true;
    });
    client.close();
    await eventually(() => reasons.length === 2, 20_000, 'close on both ends');
    expect(reasons.sort()).toEqual(['local', 'remote']);
    expect(alsoTold).toBe(true); // every close handler is told, not only the last one
    expect(client.send(Uint8Array.of(1))).toBe(false);
  });

  it('closes a connection that receives a frame above the limit', async () => {
    const { server, client } = await pair({ maxFrameBytes: 1000 });
    const reasons: CloseReason[] = [];
    server.onFrame(() => {});
    server.onClose((r) => reasons.push(r));
    expect(() => client.send(new Uint8Array(1001))).toThrow(RangeError);
    // Bypass the sender's own check to play a hostile peer.
    (client as unknown as { limits: { maxFrameBytes: number } }).limits.maxFrameBytes = 1 << 20;
    client.send(new Uint8Array(5000));
    await eventually(() => reasons.length === 1, 20_000, 'close');
    expect(['frame-too-large', 'remote']).toContain(reasons[0]);
  });

  it('closes a peer that exceeds its rate limit', async () => {
    const { server, client } = await pair({ maxFramesPerSecond: 20 });
    const reasons: CloseReason[] = [];
    server.onFrame(() => {});
    server.onClose((r) => reasons.push(r));
    for (let i = 0; i < 200; i++) client.send(Uint8Array.of(i));
    await eventually(() => reasons.length === 1, 20_000, 'close');
    expect(reasons[0]).toBe('rate-limit');
  });

  it('reports congestion, then drops a peer that lets its backlog grow without bound', async () => {
    const { server, client } = await pair({
      highWaterMark: 10_000,
      maxBacklog: 100_000,
      maxBytesPerSecond: 1e9,
      maxFramesPerSecond: 1e9,
    });
    server.onFrame(() => {});
    const reasons: CloseReason[] = [];
    client.onClose((r) => reasons.push(r));
    const frame = new Uint8Array(20_000);
    let congested = false;
    for (let i = 0; i < 2000 && reasons.length === 0; i++) {
      if (!client.send(frame)) congested = true;
    }
    expect(congested).toBe(true);
    await eventually(() => reasons.length === 1, 20_000, 'slow-consumer close');
    expect(reasons[0]).toBe('slow-consumer');
  });

  it('refuses to dial an address where nothing listens', async () => {
    const t = make(generatePrivateKey());
    opened.push(t);
    const address =
      t === undefined
        ? ''
        : make === implementations[0]![1]
          ? 'memory://nowhere'
          : 'ws://127.0.0.1:1';
    await expect(t.dial(address)).rejects.toMatchObject({ code: 'dial-failed' });
  });
});
