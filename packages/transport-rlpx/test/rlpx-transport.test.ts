/**
 * specs/rlpx SPEC §3–§8 on loopback: two Hush RLPx transports connect, prove their keys,
 * exchange hellos and carry shh frames both ways with snappy; the gossip engine runs over
 * them; and every refusal of §8 ends only the offending connection, counted, with the
 * listener still serving the next peer.
 */
import { randomBytes } from '@hush/crypto';
import { createEnvelope } from '@hush/envelope';
import { type Connection, MemoryMetrics } from '@hush/interface';
import { waitFor } from '@hush/interface-compliance';
import { createGossipNode } from '@hush/transport-gossip';
import { afterEach, describe, expect, it } from 'vitest';
import { BaseCode, DisconnectReason, parseEnode, rlpxTransport } from '../src/index.js';
import { capabilityFrame, RawPeer } from './raw-peer.js';

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const t of open.splice(0)) await t.close();
});

function transport(options: Partial<Parameters<typeof rlpxTransport>[0]> = {}) {
  const privateKey = options.privateKey ?? randomBytes(32);
  const metrics = new MemoryMetrics();
  const t = rlpxTransport({ privateKey, port: 0, metrics, ...options });
  open.push(t);
  return { t, privateKey, metrics };
}

async function listening(options: Partial<Parameters<typeof rlpxTransport>[0]> = {}) {
  const made = transport(options);
  const accepted: Connection[] = [];
  await made.t.listen((c) => accepted.push(c));
  return { ...made, accepted, enode: made.t.addresses[0]! };
}

function refused(metrics: MemoryMetrics, reason: string): number {
  return metrics.value('hush_rlpx_refused_total', { reason }) ?? 0;
}

describe('two Hush nodes over RLPx on loopback', () => {
  it('connect, prove their keys and carry frames both ways', async () => {
    const server = await listening();
    const client = transport();
    const connection = await client.t.dial(server.enode);
    await waitFor(() => server.accepted.length === 1, 'server.accepted.length === 1');
    const inbound = server.accepted[0]!;
    expect(Buffer.from(connection.remoteKey)).toEqual(Buffer.from(server.t.publicKey));
    expect(Buffer.from(inbound.remoteKey)).toEqual(Buffer.from(client.t.publicKey));
    expect(connection.outbound).toBe(true);
    expect(inbound.outbound).toBe(false);
    const got: Uint8Array[] = [];
    const back: Uint8Array[] = [];
    inbound.onFrame((f) => got.push(f));
    connection.onFrame((f) => back.push(f));
    const big = randomBytes(300_000);
    connection.send(capabilityFrame(1, Uint8Array.of(0xc0)));
    connection.send(capabilityFrame(3, big));
    inbound.send(capabilityFrame(127, Uint8Array.of(1, 2, 3)));
    await waitFor(
      () => got.length === 2 && back.length === 1,
      'got.length === 2 && back.length === 1',
    );
    expect(Buffer.from(got[0]!)).toEqual(Buffer.from(capabilityFrame(1, Uint8Array.of(0xc0))));
    expect(Buffer.from(got[1]!)).toEqual(Buffer.from(capabilityFrame(3, big)));
    expect(Buffer.from(back[0]!)).toEqual(
      Buffer.from(capabilityFrame(127, Uint8Array.of(1, 2, 3))),
    );
  });

  it('names itself by an enode URL of its key and port', async () => {
    const server = await listening();
    const enode = parseEnode(server.enode);
    expect(enode.port).toBe(server.t.port);
    expect(Buffer.from(enode.publicKey)).toEqual(Buffer.from(server.t.publicKey));
  });

  it('a dial to another key than the listener’s fails, and the listener counts a bad auth', async () => {
    const server = await listening();
    const client = transport();
    const other = transport();
    const wrong = server.enode.replace(
      /[0-9a-f]{128}/,
      Buffer.from(other.t.publicKey.subarray(1)).toString('hex'),
    );
    await expect(client.t.dial(wrong)).rejects.toMatchObject({ code: 'handshake-failed' });
    await waitFor(
      () => refused(server.metrics, 'bad-auth') === 1,
      'refused(server.metrics, bad-auth) === 1',
    );
  });

  it('close tells the peer: it sees the disconnect', async () => {
    const server = await listening();
    const client = transport();
    const connection = await client.t.dial(server.enode);
    await waitFor(() => server.accepted.length === 1, 'server.accepted.length === 1');
    const reasons: string[] = [];
    server.accepted[0]!.onClose((reason, detail) => reasons.push(`${reason} ${detail}`));
    connection.close('local');
    await waitFor(() => reasons.length === 1, 'reasons.length === 1');
    expect(reasons[0]).toBe('remote disconnect: disconnect requested');
  });

  it('the gossip engine runs over it: an envelope posted on one reaches the other', async () => {
    const keyA = randomBytes(32);
    const keyB = randomBytes(32);
    const a = createGossipNode({
      key: keyA,
      transport: rlpxTransport({ privateKey: keyA, port: 0 }),
      minPow: 0,
    });
    await a.start();
    const b = createGossipNode({
      key: keyB,
      transport: rlpxTransport({ privateKey: keyB, port: 0 }),
      bootstrap: [a.addresses[0]!],
      minPow: 0,
    });
    open.push({ close: () => a.stop() }, { close: () => b.stop() });
    await b.start();
    await waitFor(
      () => a.stats().peers.some((p) => p.ready) && b.stats().peers.some((p) => p.ready),
      'a.stats().peers.some((p) => p.ready) && b.stats().peers.some((p) => p.ready)',
    );
    const now = Math.floor(Date.now() / 1000);
    const hash = a.post(
      createEnvelope({
        expiry: now + 60,
        ttl: 60,
        topic: Uint8Array.of(1, 2, 3, 4),
        data: randomBytes(64),
        nonce: 0n,
      }),
    );
    await waitFor(() => b.stats().pool.envelopes === 1, 'b.stats().pool.envelopes === 1');
    expect(hash.length).toBe(32);
    // And back the other way.
    b.post(
      createEnvelope({
        expiry: now + 60,
        ttl: 60,
        topic: Uint8Array.of(5, 6, 7, 8),
        data: randomBytes(64),
      }),
    );
    await waitFor(() => a.stats().pool.envelopes === 2, 'a.stats().pool.envelopes === 2');
  });
});

describe('refusals of §8: counted, the connection ended, the listener unharmed', () => {
  async function stillServes(server: { enode: string }) {
    const client = transport();
    const connection = await client.t.dial(server.enode);
    expect(connection.remoteKey.length).toBe(65);
  }

  it('an auth packet that does not decrypt', async () => {
    const server = await listening();
    const raw = await RawPeer.connect(server.t.port!);
    // As long as its size prefix says (435 + 2), but garbage.
    const packet = new Uint8Array(437).fill(0x42);
    packet.set([0x01, 0xb3]);
    raw.socket.write(packet);
    await raw.closedByPeer();
    expect(refused(server.metrics, 'bad-auth')).toBe(1);
    await stillServes(server);
  });

  it('an auth packet whose size prefix is below the plain size', async () => {
    const server = await listening();
    const raw = await RawPeer.connect(server.t.port!);
    const packet = new Uint8Array(400).fill(0x42);
    packet.set([0x00, 0x10]);
    raw.socket.write(packet);
    await raw.closedByPeer();
    expect(refused(server.metrics, 'bad-auth')).toBe(1);
  });

  it('a peer that never finishes the handshake', async () => {
    const server = await listening({ limits: { handshakeTimeoutMs: 200 } });
    const raw = await RawPeer.connect(server.t.port!);
    raw.socket.write(new Uint8Array(10));
    await raw.closedByPeer();
    expect(refused(server.metrics, 'handshake-timeout')).toBe(1);
    await stillServes(server);
  });

  it('a frame with a wrong MAC', async () => {
    const server = await listening();
    const raw = await RawPeer.connect(server.t.port!);
    const key = randomBytes(32);
    await raw.handshake(key, server.t.publicKey);
    raw.sendHello(key, [{ name: 'shh', version: 6 }]);
    await raw.receiveHello();
    const frame = raw.frames!.seal(0x10, Uint8Array.of(0xc0));
    frame[40]! ^= 1;
    raw.socket.write(frame);
    await raw.closedByPeer();
    expect(refused(server.metrics, 'bad-mac')).toBe(1);
    await stillServes(server);
  });

  it('an oversize frame', async () => {
    const server = await listening({ limits: { maxFrameBytes: 4096 } });
    const raw = await RawPeer.connect(server.t.port!);
    const key = randomBytes(32);
    await raw.handshake(key, server.t.publicKey);
    raw.sendHello(key, [{ name: 'shh', version: 6 }]);
    await raw.receiveHello();
    // Only the header is needed: the refusal comes before the body is read.
    raw.socket.write(raw.frames!.seal(0x11, new Uint8Array(100_000)).subarray(0, 32));
    expect(await raw.disconnectReason()).toBe(DisconnectReason.protocolError);
    expect(refused(server.metrics, 'frame-too-large')).toBe(1);
    await stillServes(server);
  });

  it('a snappy message that says it decodes to more than the limit', async () => {
    const server = await listening({ limits: { maxFrameBytes: 4096 } });
    const raw = await RawPeer.connect(server.t.port!);
    const key = randomBytes(32);
    await raw.handshake(key, server.t.publicKey);
    raw.sendHello(key, [{ name: 'shh', version: 6 }]);
    await raw.receiveHello();
    raw.snappy = false;
    // A varint of 10 MiB, then nothing: refused on its length alone.
    raw.send(0x11, Uint8Array.of(0x80, 0x80, 0x80, 0x05));
    expect(await raw.disconnectReason()).toBe(DisconnectReason.protocolError);
    expect(refused(server.metrics, 'frame-too-large')).toBe(1);
  });

  it('a hello with no shh', async () => {
    const server = await listening();
    const raw = await RawPeer.connect(server.t.port!);
    const key = randomBytes(32);
    await raw.handshake(key, server.t.publicKey);
    raw.sendHello(key, [{ name: 'eth', version: 63 }]);
    await raw.receiveHello();
    expect(await raw.disconnectReason()).toBe(DisconnectReason.uselessPeer);
    expect(refused(server.metrics, 'useless-peer')).toBe(1);
    expect(server.accepted).toHaveLength(0);
    await stillServes(server);
  });

  it('a hello that names another key than the handshake proved', async () => {
    const server = await listening();
    const raw = await RawPeer.connect(server.t.port!);
    const key = randomBytes(32);
    await raw.handshake(key, server.t.publicKey);
    raw.sendHello(randomBytes(32), [{ name: 'shh', version: 6 }]);
    await raw.receiveHello();
    expect(await raw.disconnectReason()).toBe(DisconnectReason.unexpectedIdentity);
    expect(refused(server.metrics, 'unexpected-identity')).toBe(1);
  });

  it('a message code out of every range', async () => {
    const server = await listening();
    const raw = await RawPeer.connect(server.t.port!);
    const key = randomBytes(32);
    await raw.handshake(key, server.t.publicKey);
    raw.sendHello(key, [{ name: 'shh', version: 6 }]);
    await raw.receiveHello();
    await waitFor(() => server.accepted.length === 1, 'server.accepted.length === 1');
    raw.send(16 + 128, Uint8Array.of(0xc0));
    // A read error, as geth has it: the socket closes, no disconnect is sent.
    expect(await raw.disconnectReason()).toBeUndefined();
    expect(refused(server.metrics, 'bad-message')).toBe(1);
  });

  it('answers a ping with a pong and ignores other base codes', async () => {
    const server = await listening();
    const raw = await RawPeer.connect(server.t.port!);
    const key = randomBytes(32);
    await raw.handshake(key, server.t.publicKey);
    raw.sendHello(key, [{ name: 'shh', version: 6 }]);
    await raw.receiveHello();
    raw.send(7, Uint8Array.of(0xc0));
    raw.send(BaseCode.ping, Uint8Array.of(0xc0));
    const answer = await raw.receive();
    expect(answer?.code).toBe(BaseCode.pong);
    raw.close();
  });
});

describe('from review: self, trickles, races, keys', () => {
  it('a node that dials its own enode is refused as self (disconnect 0x0a), counted', async () => {
    const server = await listening();
    const raw = await RawPeer.connect(server.t.port!);
    await raw.handshake(server.privateKey, server.t.publicKey);
    // Refused before its hello: the disconnect is the first message.
    expect(await raw.disconnectReason()).toBe(DisconnectReason.self);
    expect(refused(server.metrics, 'self')).toBe(1);
  });

  it('a frame that trickles in past the idle time ends the connection', async () => {
    const server = await listening({ limits: { idleTimeoutMs: 400 } });
    const raw = await RawPeer.connect(server.t.port!);
    const key = randomBytes(32);
    await raw.handshake(key, server.t.publicKey);
    raw.sendHello(key, [{ name: 'shh', version: 6 }]);
    await raw.receiveHello();
    const frame = raw.frames!.seal(0x11, new Uint8Array(2000));
    raw.socket.write(frame.subarray(0, 32));
    // A byte every 100 ms: each chunk would have kept it alive, the frame does not.
    let at = 32;
    const timer = setInterval(() => {
      if (at < frame.length) raw.socket.write(frame.subarray(at, ++at));
    }, 100);
    await raw.closedByPeer();
    clearInterval(timer);
    expect(at).toBeLessThan(frame.length);
  });

  it('close() while a dial is connecting ends the dial, and a second listen is refused', async () => {
    const server = await listening();
    const client = transport();
    const dialing = client.t.dial(server.enode);
    await client.t.close();
    await expect(dialing).rejects.toBeDefined();
    await expect(server.t.listen(() => {})).rejects.toMatchObject({ code: 'listen-failed' });
  });

  it('an enode URL whose key is not a point of the curve is refused', () => {
    expect(() => parseEnode(`enode://${'ab'.repeat(64)}@127.0.0.1:30303`)).toThrow(
      expect.objectContaining({ code: 'bad-enode' }),
    );
  });
});
