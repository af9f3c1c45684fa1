/**
 * The peer adapter's session (specs/whisper-v6/SPEC.md §7.2 handshake, §7.3 message loop):
 * a raw peer on a real Noise gossip link over WebSocket to a Hush gossip node. It reads the
 * node's status, keeps the link with a valid status of its own, has an envelope it sends
 * taken into the node's pool, and sees the node close the link for a frame that is not a
 * protocol message. `connectForFirstFrame` takes whatever the node sends first as its answer
 * (a node that answers is alive) and is Unreachable only without a connection or an answer;
 * `statusOf` fails (Mismatch) a first frame that is not a status. Bounded waits, no timing
 * assertions.
 */
import { randomBytes } from '@hush/crypto';
import { createEnvelope, encodeMessagesPacket, envelopeHash } from '@hush/envelope';
import {
  createGossipNode,
  decodeStatus,
  encodeStatus,
  type GossipNode,
  MessageCode,
  webSocketTransport,
} from '@hush/transport-gossip';
import { afterEach, describe, expect, it } from 'vitest';
import { connectForFirstFrame, PeerSession, statusOf } from '../src/peer/peer-session.js';
import { Mismatch } from '../src/suite/model.js';
import { Unreachable } from '../src/suite/rpc-client.js';
import { faultyRelay } from './faulty-relay.js';

const nodes: GossipNode[] = [];
const sessions: PeerSession[] = [];
afterEach(async () => {
  for (const s of sessions.splice(0)) await s.close();
  for (const n of nodes.splice(0)) await n.stop();
});

async function node(): Promise<GossipNode> {
  const key = randomBytes(32);
  const gossip = createGossipNode({
    key,
    transport: webSocketTransport({ privateKey: key, host: '127.0.0.1', port: 0 }),
    minPow: 0,
  });
  nodes.push(gossip);
  await gossip.start();
  return gossip;
}

async function session(gossip: GossipNode): Promise<PeerSession> {
  const peer = await PeerSession.connect(gossip.linkAddresses[0]!);
  sessions.push(peer);
  return peer;
}

describe('the peer adapter’s raw session over a Noise gossip link', () => {
  it('reads the node’s status, keeps the link, and has an envelope taken into the pool', async () => {
    const gossip = await node();
    const peer = await session(gossip);
    const status = await peer.next(10_000);
    expect(status).toMatchObject({ code: MessageCode.status });
    expect(decodeStatus((status as { payload: Uint8Array }).payload).version).toBe(6);
    peer.send({
      code: MessageCode.status,
      payload: encodeStatus({ minPow: 0.2, bloom: null, lightNode: false }),
    });
    const envelope = createEnvelope({
      expiry: Math.floor(Date.now() / 1000) + 60,
      ttl: 60,
      topic: Uint8Array.of(1, 2, 3, 4),
      data: randomBytes(64),
    });
    peer.send({ code: MessageCode.messages, payload: encodeMessagesPacket([envelope]) });
    const hash = Buffer.from(envelopeHash(envelope)).toString('hex');
    // Bounded: the node pools it within a few transmission cycles, or the test fails.
    const pooled = () =>
      gossip.engine
        .pooledEnvelopes()
        .some((e) => Buffer.from(envelopeHash(e)).toString('hex') === hash);
    for (let i = 0; i < 100 && !pooled(); i++) await new Promise((r) => setTimeout(r, 100));
    expect(pooled()).toBe(true);
    expect(peer.closed).toBeUndefined();
  });

  it('sees the node close the link for a frame that is not a protocol message', async () => {
    const gossip = await node();
    const peer = await session(gossip);
    await peer.next(10_000);
    peer.sendRaw(Uint8Array.of(0xff, 0x00, 0x13));
    expect(await peer.until((_, closed) => closed !== undefined, 10_000)).toBe(true);
    expect(
      peer.send({
        code: MessageCode.status,
        payload: encodeStatus({ minPow: 0.2, bloom: null, lightNode: false }),
      }),
    ).toBe(false);
  });

  it('refuses a node that is not there with a typed error', async () => {
    await expect(
      PeerSession.connect(`ws://127.0.0.1:9#${'00'.repeat(32)}`, { timeoutMs: 2000 }),
    ).rejects.toMatchObject({ name: 'TransportError' });
  });

  it('takes any first frame as the node’s answer, and statusOf fails one that is no status', async () => {
    const gossip = await node();
    const { peer, first } = await connectForFirstFrame(gossip.linkAddresses[0]!, {
      timeoutMs: 10_000,
    });
    sessions.push(peer);
    expect(statusOf(first).version).toBe(6);
    const relay = await faultyRelay(gossip.linkAddresses[0]!, {
      fromNode: (message, session) =>
        session.fromNodeCount === 0 ? [Uint8Array.of(0xff, 0x00, 0x13)] : [message],
    });
    try {
      const garbled = await connectForFirstFrame(relay.address, { timeoutMs: 10_000 });
      sessions.push(garbled.peer);
      expect(garbled.first).toEqual({ unreadable: Uint8Array.of(0xff, 0x00, 0x13) });
      expect(() => statusOf(garbled.first)).toThrow(Mismatch);
    } finally {
      await relay.close();
    }
    expect(() => statusOf({ code: MessageCode.messages, payload: Uint8Array.of(0xc0) })).toThrow(
      /first message is its status/,
    );
    expect(() => statusOf({ code: MessageCode.status, payload: Uint8Array.of(0xc0) })).toThrow(
      /status decodes/,
    );
  });

  it('is Unreachable only when there is no connection or no answer', async () => {
    await expect(
      connectForFirstFrame(`ws://127.0.0.1:9#${'00'.repeat(32)}`, { timeoutMs: 2000 }),
    ).rejects.toBeInstanceOf(Unreachable);
    const gossip = await node();
    // A relay that passes nothing from the node: connected, never answered.
    const relay = await faultyRelay(gossip.linkAddresses[0]!, { fromNode: () => [] });
    try {
      await expect(connectForFirstFrame(relay.address, { timeoutMs: 1500 })).rejects.toThrow(
        /sent nothing within 1500 ms/,
      );
    } finally {
      await relay.close();
    }
  });
});
