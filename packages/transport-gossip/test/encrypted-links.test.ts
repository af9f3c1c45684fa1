/**
 * SPEC §7.6: gossip links are Noise links. Two nodes on a memory network with an on-path
 * party: the party sees no envelope, topic or bloom bytes; a byte it flips drops the
 * connection; a frame it replays is refused; a node whose transport proves another identity
 * is refused at construction; a peer dialed at `address#<static key>` is reached with IK, and
 * a peer whose key differs from the pin is refused, with no fallback to XX.
 */
import { defaultBackend } from '@hush/crypto';
import { createEnvelope, type Envelope, encodeEnvelope, sealEnvelope } from '@hush/envelope';
import { IdentityError, type PeerId } from '@hush/interface';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type AcceptedEnvelope,
  createGossipNode,
  type GossipNode,
  MemoryNetwork,
  type WirePacket,
  type WireTap,
} from '../src/index.js';
import { eventually, generatePrivateKey } from './helpers.js';

const topic = Uint8Array.of(0xde, 0xad, 0xbe, 0xef);
const nodes: GossipNode[] = [];
afterEach(async () => {
  await Promise.all(nodes.splice(0).map((n) => n.stop()));
});

async function sealed(data: Uint8Array): Promise<Envelope> {
  const now = Math.floor(Date.now() / 1000);
  return sealEnvelope(createEnvelope({ expiry: now + 60, ttl: 60, topic, data }), {
    pow: 0.2,
    workTime: 10,
  });
}

function contains(haystack: Uint8Array, needle: Uint8Array): boolean {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return true;
  }
  return false;
}

/** Two nodes on a network whose every message goes through `tap`; b dials a. */
async function linked(tap: WireTap, options: { ik?: boolean } = {}) {
  const network = new MemoryNetwork({ tap });
  const make = () => {
    const key = generatePrivateKey();
    const transport = network.transport({ privateKey: key });
    const node = createGossipNode({ key, transport, reconnect: { minMs: 50, maxMs: 100 } });
    nodes.push(node);
    return { node, transport };
  };
  const a = make();
  const b = make();
  await a.node.start();
  await b.node.start();
  const hex = Array.from(a.transport.staticKey, (x) => x.toString(16).padStart(2, '0')).join('');
  b.node.connect(options.ik ? `${a.node.addresses[0]}#${hex}` : a.node.addresses[0]!);
  await eventually(
    () => a.node.stats().peers.some((p) => p.ready) && b.node.stats().peers.some((p) => p.ready),
    20_000,
    'the two nodes linked',
  );
  return { a: a.node, b: b.node };
}

function collect(node: GossipNode): AcceptedEnvelope[] {
  const seen: AcceptedEnvelope[] = [];
  node.engine.on('envelope', (e) => seen.push(e));
  return seen;
}

describe('gossip links under an on-path party', () => {
  it('show it no envelope, topic, bloom or node key bytes', async () => {
    const wire: WirePacket[] = [];
    const { a, b } = await linked((packet) => {
      wire.push(packet);
      return [packet.bytes];
    });
    const atB = collect(b);
    const payload = crypto.getRandomValues(new Uint8Array(64));
    const envelope = await sealed(payload);
    a.post(envelope);
    await eventually(() => atB.length === 1, 20_000, 'the envelope at b');
    const encoded = encodeEnvelope(envelope);
    const seen = wire.map((p) => p.bytes);
    expect(seen.some((bytes) => contains(bytes, payload.subarray(0, 16)))).toBe(false);
    expect(seen.some((bytes) => contains(bytes, encoded.subarray(0, 24)))).toBe(false);
    expect(seen.some((bytes) => contains(bytes, topic))).toBe(false);
    // Both nodes' status carries a full bloom filter: 64 bytes of 0xff.
    expect(seen.some((bytes) => contains(bytes, new Uint8Array(64).fill(0xff)))).toBe(false);
    // The node keys (the Whisper identities) are inside the encrypted handshake too.
    const keyA = Uint8Array.from(a.id.match(/../g)!, (x) => Number.parseInt(x, 16));
    expect(seen.some((bytes) => contains(bytes, keyA.subarray(1, 33)))).toBe(false);
  });

  it('drop the connection when it flips a byte of a frame', async () => {
    let armed = false;
    const { a, b } = await linked((packet) => {
      if (!armed || packet.bytes.length < 100) return [packet.bytes];
      armed = false;
      const altered = packet.bytes.slice();
      altered[altered.length >> 1]! ^= 0x04;
      return [altered];
    });
    const closes: string[] = [];
    a.on('peer:disconnected', (e) => closes.push(e.reason));
    b.on('peer:disconnected', (e) => closes.push(e.reason));
    armed = true;
    a.post(await sealed(crypto.getRandomValues(new Uint8Array(64))));
    await eventually(() => closes.length > 0, 20_000, 'a disconnection');
    expect(closes).toContain('bad-frame');
  });

  it('refuse a frame it replays', async () => {
    let replay: Uint8Array | undefined;
    let armed = false;
    const { a, b } = await linked((packet) => {
      if (!armed || packet.bytes.length < 100) return [packet.bytes];
      armed = false;
      replay = packet.bytes;
      // Delivered once, then again: the second copy has a spent nonce.
      return [packet.bytes, packet.bytes];
    });
    const atB = collect(b);
    const closes: string[] = [];
    b.on('peer:disconnected', (e) => closes.push(e.reason));
    armed = true;
    a.post(await sealed(crypto.getRandomValues(new Uint8Array(64))));
    await eventually(() => closes.length > 0, 20_000, 'the replay refused');
    expect(replay).toBeDefined();
    expect(closes).toEqual(['bad-frame']);
    expect(atB).toHaveLength(1);
  });

  it('reach a peer with IK at address#key, in one round trip before its first frame', async () => {
    const firsts: number[] = [];
    const { a, b } = await linked(
      (packet) => {
        firsts.push(packet.bytes[0]!);
        return [packet.bytes];
      },
      { ik: true },
    );
    expect(firsts[0]).toBe(0x49); // 'I': the IK pattern byte
    const atA = collect(a);
    b.post(await sealed(crypto.getRandomValues(new Uint8Array(32))));
    await eventually(() => atA.length === 1, 20_000, 'the envelope at a');
  });

  it('refuse a peer whose Noise key is not the one its address pins, with no fallback', async () => {
    const network = new MemoryNetwork();
    const keyA = generatePrivateKey();
    const a = createGossipNode({ key: keyA, transport: network.transport({ privateKey: keyA }) });
    const keyB = generatePrivateKey();
    const transportB = network.transport({ privateKey: keyB });
    const b = createGossipNode({ key: keyB, transport: transportB });
    nodes.push(a, b);
    await a.start();
    await b.start();
    // A stale or forged pin: the dial fails, and no XX handshake replaces it.
    await expect(transportB.dial(`${a.addresses[0]}#${'ab'.repeat(32)}`)).rejects.toMatchObject({
      code: 'handshake-failed',
    });
    await expect(transportB.dial(`${a.addresses[0]}#nothex`)).rejects.toMatchObject({
      code: 'dial-failed',
    });
    const failures: string[] = [];
    b.on('dial:failed', (e) => failures.push(e.reason));
    b.connect(`${a.addresses[0]}#${'ab'.repeat(32)}`);
    await eventually(() => failures.length > 0, 20_000, 'the dial refused');
    expect(b.stats().peers).toEqual([]);
    // The dialer can name the peer it means: another identity fails the handshake.
    await expect(
      transportB.dial(a.addresses[0]!, { remotePeer: 'ff'.repeat(64) as PeerId }),
    ).rejects.toMatchObject({ code: 'handshake-failed' });
  });
});

describe('one identity per node', () => {
  it('refuses a transport that proves another key than the node key', () => {
    const network = new MemoryNetwork();
    const transport = network.transport({ privateKey: generatePrivateKey() });
    expect(() => createGossipNode({ key: generatePrivateKey(), transport })).toThrow(IdentityError);
    const key = generatePrivateKey();
    expect(defaultBackend.publicKeyCreate(key)).toHaveLength(65);
    expect(() =>
      createGossipNode({ key, transport: network.transport({ privateKey: key }) }),
    ).not.toThrow();
  });
});
