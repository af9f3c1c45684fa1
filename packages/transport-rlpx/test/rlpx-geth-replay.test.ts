/**
 * specs/rlpx against geth v1.8.27 itself, replayed (CI cannot build geth): one session of a
 * Hush node dialing geth, recorded byte for byte by tools/geth-interop/capture-rlpx.mjs
 * (test/fixtures/geth-1.8.27-session.json). A replayer plays geth's side; Hush, with the
 * recorded key and handshake randomness, makes the same auth, so geth's recorded ack gives
 * the same secrets and every frame geth sent opens: its hello, its status, its
 * snappy-compressed messages packet; and what Hush sends is, byte for byte, what geth took.
 */
import { readFileSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { decodeMessagesPacket, envelopeHash } from '@hush/envelope';
import { type Clock, systemClock } from '@hush/interface';
import { waitFor } from '@hush/interface-compliance';
import {
  createGossipNode,
  decodeFrame,
  decodeStatus,
  encodeFrame,
  encodeStatus,
} from '@hush/transport-gossip';
import { afterEach, describe, expect, it } from 'vitest';
import { type RlpxConnection, rlpxTransport } from '../src/index.js';

const session = JSON.parse(
  readFileSync(
    fileURLToPath(new URL('./fixtures/geth-1.8.27-session.json', import.meta.url)),
    'utf8',
  ),
) as {
  startedMs: number;
  gethEnode: string;
  hushKey: string;
  clientName: string;
  randomness: {
    ephemeralKey: string;
    nonce: string;
    padding: number;
    eciesEphemeralKey: string;
    eciesIv: string;
  };
  gethMinPow: number;
  gethEnvelope: string;
  fromHush: string;
  fromGeth: { afterHushBytes: number; bytes: string }[];
};
const hex = (s: string) => Uint8Array.from(Buffer.from(s, 'hex'));
const hushKey = hex(session.hushKey);
const randomness = {
  ephemeralKey: hex(session.randomness.ephemeralKey),
  nonce: hex(session.randomness.nonce),
  padding: new Uint8Array(session.randomness.padding),
  ecies: {
    ephemeralKey: hex(session.randomness.eciesEphemeralKey),
    iv: hex(session.randomness.eciesIv),
  },
};
const fromHush = hex(session.fromHush);

/** The clock of the recording: real timers, the time running on from when it was made. */
function recordedClock(): Clock {
  const offset = session.startedMs - Date.now();
  return { ...systemClock, now: () => Date.now() + offset };
}

/** Plays geth's side: each chunk geth sent, once Hush has sent what it had sent by then. */
async function replayer() {
  const chunks: Buffer[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((socket: Socket) => {
    sockets.add(socket);
    let received = 0;
    let next = 0;
    socket.on('data', (d: Buffer) => {
      chunks.push(d);
      received += d.length;
      while (next < session.fromGeth.length && received >= session.fromGeth[next]!.afterHushBytes)
        socket.write(hex(session.fromGeth[next++]!.bytes));
    });
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    server,
    port,
    received: () => new Uint8Array(Buffer.concat(chunks)),
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0)) await f();
});

describe('a session with geth v1.8.27, replayed', () => {
  it('opens every frame geth sent: its hello, its status and its compressed envelope', async () => {
    const geth = await replayer();
    cleanup.push(() => geth.close());
    const clock = recordedClock();
    const transport = rlpxTransport({
      privateKey: hushKey,
      clientName: session.clientName,
      randomness,
      clock,
    });
    cleanup.push(() => transport.close());
    const connection = (await transport.dial(
      session.gethEnode.replace(/@.*/, `@127.0.0.1:${geth.port}`),
    )) as RlpxConnection;
    expect(connection.hello?.name).toBe('Geth/v1.8.27-stable/linux-amd64/go1.19.8');
    expect(connection.hello?.version).toBe(5);
    expect(connection.hello?.capabilities).toContainEqual({ name: 'shh', version: 6 });
    const frames: { code: number; payload: Uint8Array }[] = [];
    connection.onFrame((f) => frames.push(decodeFrame(f)));
    // Hush's status, as the node sent it: geth's envelopes came after it.
    connection.send(
      encodeFrame({
        code: 0,
        payload: encodeStatus({
          minPow: 0.2,
          bloom: new Uint8Array(64).fill(0xff),
          lightNode: false,
        }),
      }),
    );
    await waitFor(() => frames.some((f) => f.code === 1), 'geth’s messages packet');
    const status = decodeStatus(frames.find((f) => f.code === 0)!.payload);
    expect(status.minPow).toBe(session.gethMinPow);
    // The messages packet came snappy-compressed; it holds the envelope geth posted.
    const hashes = frames
      .filter((f) => f.code === 1)
      .flatMap((f) => decodeMessagesPacket(f.payload))
      .map((e) => `0x${Buffer.from(envelopeHash(e)).toString('hex')}`);
    expect(hashes).toContain(session.gethEnvelope);
  });

  it('a Hush node takes geth’s envelope into its pool, and sends what geth took, byte for byte', async () => {
    const geth = await replayer();
    cleanup.push(() => geth.close());
    const clock = recordedClock();
    const node = createGossipNode({
      key: hushKey,
      transport: rlpxTransport({
        privateKey: hushKey,
        clientName: session.clientName,
        randomness,
        clock,
      }),
      bootstrap: [session.gethEnode.replace(/@.*/, `@127.0.0.1:${geth.port}`)],
      minPow: 0.2,
      clock,
    });
    await node.start();
    const posted = hex(session.gethEnvelope.slice(2));
    await waitFor(() => node.engine.lookup(posted) !== undefined, 'geth’s envelope in the pool');
    const peer = node.stats().peers[0]!;
    expect(peer.powRequirement).toBe(session.gethMinPow);
    await node.stop();
    await waitFor(() => geth.received().length >= fromHush.length, 'Hush’s bytes');
    const received = Buffer.from(geth.received());
    expect(received.length).toBe(fromHush.length);
    // Every byte before the last frame (handshake, hello, status, the envelope) is as recorded.
    const last = fromHush.length - 64;
    expect(received.subarray(0, last).toString('hex')).toBe(
      Buffer.from(fromHush.subarray(0, last)).toString('hex'),
    );
    // The last frame is the disconnect of node.stop(): recorded with reason 0 (RLP 0x80), sent
    // now with 0x08 DiscQuitting, as geth's Server.Stop sends it. Same header and header MAC;
    // under AES-CTR the 16-byte bodies differ by the XOR of those two plaintext bytes alone.
    expect(received.subarray(last, last + 32).equals(fromHush.subarray(last, last + 32))).toBe(
      true,
    );
    const xor = [...received.subarray(last + 32, last + 48)].map(
      (b, i) => b ^ fromHush[last + 32 + i]!,
    );
    expect(xor.filter((b) => b !== 0)).toEqual([0x80 ^ 0x08]);
  });
});
