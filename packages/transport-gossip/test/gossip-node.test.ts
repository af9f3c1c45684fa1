/**
 * SPEC §7.7: gossip nodes on real transports. Envelopes flood across a chain of nodes; light
 * clients refuse each other; hostile peers (garbage frames, oversize frames, a low-PoW flood,
 * a slowloris that never reads) cost the node only that peer, which is dropped and banned
 * while the node keeps serving the others.
 */
import { defaultBackend } from '@hush/crypto';
import {
  createEnvelope,
  type Envelope,
  encodeMessagesPacket,
  envelopePow,
  sealEnvelope,
} from '@hush/envelope';
import type { Logger, RawChannel, Transport } from '@hush/interface';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import {
  type AcceptedEnvelope,
  createGossipNode,
  encodeFrame,
  encodeStatus,
  type GossipNode,
  gossipLinkEncrypter,
  MemoryNetwork,
  MessageCode,
  webSocketTransport,
} from '../src/index.js';
import { eventually, generatePrivateKey } from './helpers.js';

const topic = Uint8Array.of(0xca, 0xfe, 0x00, 0x01);

async function sealed(data: Uint8Array, pow = 0.2): Promise<Envelope> {
  const now = Math.floor(Date.now() / 1000);
  return sealEnvelope(createEnvelope({ expiry: now + 60, ttl: 60, topic, data }), {
    pow,
    workTime: 10,
  });
}

function collect(node: GossipNode): AcceptedEnvelope[] {
  const seen: AcceptedEnvelope[] = [];
  node.engine.on('envelope', (e) => seen.push(e));
  return seen;
}

const nodes: GossipNode[] = [];
afterEach(async () => {
  await Promise.all(nodes.splice(0).map((n) => n.stop()));
});

function start(
  transport: (key: Uint8Array) => Transport,
  options: Partial<Parameters<typeof createGossipNode>[0]> = {},
) {
  const key = generatePrivateKey();
  const node = createGossipNode({ key, transport: transport(key), ...options });
  nodes.push(node);
  return node;
}

describe.each([
  [
    'memory',
    (() => {
      const network = new MemoryNetwork();
      return (key: Uint8Array) => network.transport({ privateKey: key });
    })(),
  ],
  ['websocket', (key: Uint8Array) => webSocketTransport({ privateKey: key })],
] as const)('gossip over %s', (_, transport) => {
  it('floods an envelope along a chain of nodes, without echoing it back', async () => {
    const a = start(transport);
    const b = start(transport);
    const c = start(transport);
    await a.start();
    await b.start();
    await c.start();
    b.connect(a.addresses[0]!);
    c.connect(b.addresses[0]!);
    await eventually(
      () => b.stats().peers.filter((p) => p.ready).length === 2,
      5000,
      'b connected to a and c',
    );
    const atC = collect(c);
    const envelope = await sealed(new TextEncoder().encode('hello, whisper'));
    const hash = a.post(envelope);
    await eventually(() => atC.length === 1, 20_000, 'envelope at c');
    expect(atC[0]!.hash).toEqual(hash);
    expect(atC[0]!.envelope).toEqual(envelope);
    await new Promise((resolve) => setTimeout(resolve, 700));
    const aStats = a.stats().peers[0]!;
    expect(aStats.envelopesReceived).toBe(0); // b knew a had it: nothing came back
    expect(b.stats().pool.envelopes).toBe(1);
  });

  it('delivers to subscriptions by topic and PoW', async () => {
    const a = start(transport);
    const b = start(transport);
    await a.start();
    await b.start();
    b.connect(a.addresses[0]!);
    const wanted = b.subscribe({ topics: [topic] });
    const other = b.subscribe({ topics: [Uint8Array.of(1, 1, 1, 1)] });
    await eventually(() => a.stats().peers.some((p) => p.ready), 20_000, 'connection');
    a.post(await sealed(Uint8Array.of(1, 2, 3)));
    const first = await wanted.next();
    expect(first.done).toBe(false);
    expect(first.value!.envelope.topic).toEqual(topic);
    other.close();
    expect((await other.next()).done).toBe(true);
    wanted.close();
  });

  it('keeps two light clients apart', async () => {
    const a = start(transport, { lightClient: true });
    const b = start(transport, { lightClient: true });
    await a.start();
    await b.start();
    const closed: string[] = [];
    a.on('peer:banned', (e) => closed.push(e.reason));
    b.connect(a.addresses[0]!);
    await eventually(() => closed.length > 0, 20_000, 'refusal');
    expect(closed[0]).toMatch(/light-clients/);
  });
});

/** A hostile peer: authenticates properly over WebSocket, then does what the test says. */
async function hostile(address: string) {
  const socket = new WebSocket(address);
  const messages: ((m: Uint8Array) => void)[] = [];
  const early: Uint8Array[] = [];
  socket.on('message', (data) => {
    const bytes = new Uint8Array(data as Buffer);
    if (messages[0]) messages[0](bytes);
    else early.push(bytes);
  });
  const closes: ((detail?: string) => void)[] = [];
  socket.on('close', (code) => {
    for (const c of closes) c(String(code));
  });
  await new Promise((resolve) => socket.once('open', resolve));
  const raw: RawChannel = {
    remoteAddress: address,
    send: (m) => socket.send(m),
    bufferedAmount: () => socket.bufferedAmount,
    onMessage: (h) => {
      messages[0] = h;
      early.splice(0).forEach(h);
    },
    onClose: (h) => closes.push(h),
    close: () => socket.close(),
  };
  const connection = await gossipLinkEncrypter({ privateKey: generatePrivateKey() }).secureOutbound(
    raw,
  );
  const status = encodeStatus({ minPow: 0, bloom: null, lightNode: false });
  return { socket, connection, status };
}

describe('peer slots under a flood of free keys', () => {
  it('keeps slots for dialed peers, caps one address, and lets an honest peer replace idle ones', async () => {
    const ws = (key: Uint8Array) => webSocketTransport({ privateKey: key });
    // 6 slots: at most 4 inbound, and at most 4 from one address.
    const server = start(ws, { maxPeers: 6, idleInboundGraceMs: 300 });
    await server.start();
    const flood = await Promise.all(
      Array.from({ length: 10 }, () => hostile(server.addresses[0]!)),
    );
    for (const peer of flood)
      peer.connection.send(encodeFrame({ code: MessageCode.status, payload: peer.status }));
    await eventually(
      () => flood.filter((p) => p.socket.readyState === WebSocket.OPEN).length === 4,
      20_000,
      'the flood held to 4 inbound slots',
    );
    expect(server.stats().peers.length).toBe(4);
    // A peer the node dials still gets a slot.
    const chosen = start(ws);
    await chosen.start();
    server.connect(chosen.addresses[0]!);
    await eventually(() => chosen.stats().peers.length === 1, 20_000, 'the dialed peer');
    // An honest node dialing in replaces a flooding peer that has delivered nothing.
    const honest = start(ws, { reconnect: { minMs: 100, maxMs: 400 } });
    await honest.start();
    honest.connect(server.addresses[0]!);
    await eventually(
      () => server.stats().peers.some((p) => p.id === honest.id),
      20_000,
      'the honest peer in',
    );
    // The replaced peer's socket closes once the node's close frame reaches it.
    await eventually(
      () => flood.filter((p) => p.socket.readyState === WebSocket.OPEN).length < 4,
      20_000,
      'a flooding peer replaced',
    );
    for (const peer of flood) peer.socket.terminate();
  });
});

describe('hostile peers over WebSocket', () => {
  async function victim(logger?: Logger) {
    const server = start((key) => webSocketTransport({ privateKey: key }), {
      banMs: 60_000,
      ...(logger ? { logger } : {}),
    });
    await server.start();
    const friend = start((key) => webSocketTransport({ privateKey: key }));
    await friend.start();
    friend.connect(server.addresses[0]!);
    await eventually(
      () => server.stats().peers.filter((p) => p.ready).length === 1,
      5000,
      'friend connected',
    );
    const atFriend = collect(friend);
    const stillServes = async () => {
      const hash = server.post(await sealed(crypto.getRandomValues(new Uint8Array(40))));
      const same = (a: Uint8Array) => a.every((b, i) => b === hash[i]);
      await eventually(
        () => atFriend.some((e) => same(e.hash)),
        5000,
        'server still serving its friend',
      );
    };
    return { server, stillServes };
  }

  it('drops and bans a peer that sends garbage frames, and logs why', async () => {
    const logged: Record<string, unknown>[] = [];
    const { server, stillServes } = await victim({
      debug() {},
      info() {},
      warn: (fields) => logged.push(fields),
      error: (fields) => logged.push(fields),
    });
    const peer = await hostile(server.addresses[0]!);
    const banned: string[] = [];
    server.on('peer:banned', (e) => banned.push(e.reason));
    peer.connection.send(Uint8Array.of(0xde, 0xad, 0xbe, 0xef));
    await eventually(() => banned.length === 1, 20_000, 'ban');
    expect(banned[0]).toMatch(/bad-frame/);
    await stillServes();
    expect(server.stats().banned).toBe(1);
    expect(logged).toContainEqual(
      expect.objectContaining({ reason: expect.stringMatching(/bad-frame/) }),
    );
  });

  it('drops a peer whose first message is not a status, and one sending an oversize frame', async () => {
    const { server, stillServes } = await victim();
    const banned: string[] = [];
    server.on('peer:banned', (e) => banned.push(e.reason));
    const first = await hostile(server.addresses[0]!);
    first.connection.send(
      encodeFrame({ code: MessageCode.messages, payload: Uint8Array.of(0xc0) }),
    );
    await eventually(() => banned.length === 1, 5000, 'the first dropped');
    expect(banned[0]).toMatch(/status-expected/);
    const second = await hostile(server.addresses[0]!);
    second.socket.send(new Uint8Array(3 * 1024 * 1024));
    // An oversize frame after the handshake bans its sender (SPEC §7.7).
    await eventually(
      () => banned.length === 2 && second.socket.readyState !== WebSocket.OPEN,
      5000,
      'both dropped',
    );
    expect(banned[1]).toMatch(/frame-too-large/);
    expect(server.stats().banned).toBe(2);
    await stillServes();
  });

  it('drops a peer that floods valid-looking envelopes below the minimum PoW', async () => {
    const { server, stillServes } = await victim();
    const banned: string[] = [];
    server.on('peer:banned', (e) => banned.push(e.reason));
    const peer = await hostile(server.addresses[0]!);
    peer.connection.send(encodeFrame({ code: MessageCode.status, payload: peer.status }));
    const now = Math.floor(Date.now() / 1000);
    const cheap = Array.from({ length: 50 }, (_, i) =>
      createEnvelope({ expiry: now + 60, ttl: 60, topic, data: Uint8Array.of(i) }),
    );
    for (let i = 0; i < 20; i++) {
      peer.connection.send(
        encodeFrame({ code: MessageCode.messages, payload: encodeMessagesPacket(cheap) }),
      );
    }
    await eventually(() => banned.length === 1, 20_000, 'ban');
    expect(banned[0]).toMatch(/invalid-envelope/);
    // geth's rule: the packet's valid envelopes (nonce 0 can reach 0.2 by chance) are kept,
    // the cheap ones refused, and the peer dropped.
    expect(server.stats().pool.envelopes).toBe(cheap.filter((e) => envelopePow(e) >= 0.2).length);
    await stillServes();
  });

  it('drops a slowloris that never reads, before its backlog grows past the limit', async () => {
    const server = start(
      (key) =>
        webSocketTransport({
          privateKey: key,
          limits: { highWaterMark: 64 * 1024, maxBacklog: 512 * 1024, stallTimeoutMs: 2000 },
        }),
      { minPow: 0 },
    );
    await server.start();
    for (let i = 0; i < 40; i++)
      server.post(await sealed(crypto.getRandomValues(new Uint8Array(30_000)), 0.001));
    const peer = await hostile(server.addresses[0]!);
    peer.connection.send(encodeFrame({ code: MessageCode.status, payload: peer.status }));
    // Stop reading: the kernel buffers fill, then the node's backlog does.
    (peer.socket as unknown as { _socket: { pause(): void } })._socket.pause();
    const gone: string[] = [];
    server.on('peer:disconnected', (e) => gone.push(e.reason));
    for (let i = 0; i < 160; i++)
      server.post(await sealed(crypto.getRandomValues(new Uint8Array(30_000)), 0.001));
    await eventually(() => gone.length === 1, 30_000, 'slowloris dropped');
    expect(gone[0]).toBe('slow-consumer');
  }, 30_000);
});

describe('handshake limits over WebSocket', () => {
  it('closes a connection that never authenticates', async () => {
    const server = start((key) =>
      webSocketTransport({ privateKey: key, limits: { handshakeTimeoutMs: 300 } }),
    );
    await server.start();
    const socket = new WebSocket(server.addresses[0]!);
    const closed = new Promise<number>((resolve) => socket.on('close', resolve));
    await new Promise((resolve) => socket.once('open', resolve));
    expect(await closed).toBeGreaterThan(0);
    expect(server.stats().peers).toHaveLength(0);
  });

  it('refuses a HELLO with a key that is not on the curve', async () => {
    const server = start((key) => webSocketTransport({ privateKey: key }));
    await server.start();
    const socket = new WebSocket(server.addresses[0]!);
    const closed = new Promise<number>((resolve) => socket.on('close', resolve));
    await new Promise((resolve) => socket.once('open', resolve));
    const tag = new TextEncoder().encode('hush-gossip/1');
    const badKey = new Uint8Array(65).fill(4);
    const nonce = new Uint8Array(32);
    socket.send(
      Uint8Array.of(
        0xf8,
        2 + tag.length + 2 + 65 + 1 + 32,
        0x80 + tag.length,
        ...tag,
        0xb8,
        65,
        ...badKey,
        0xa0,
        ...nonce,
      ),
    );
    expect(await closed).toBeGreaterThan(0);
  });
});

describe('peer management', () => {
  it('redials a bootstrap peer that comes up later, with backoff', async () => {
    const network = new MemoryNetwork();
    const keyA = generatePrivateKey();
    const a = createGossipNode({
      key: keyA,
      transport: network.transport({ privateKey: keyA, address: 'memory://late' }),
    });
    const keyB = generatePrivateKey();
    const b = createGossipNode({
      key: keyB,
      transport: network.transport({ privateKey: keyB }),
      bootstrap: ['memory://late'],
      reconnect: { minMs: 20, maxMs: 100 },
    });
    nodes.push(a, b);
    await b.start();
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(b.stats().peers).toHaveLength(0);
    await a.start();
    await eventually(() => b.stats().peers.some((p) => p.ready), 20_000, 'redialed');
    expect(b.stats().peers[0]!.id).toBe(
      Buffer.from(defaultBackend.publicKeyCreate(keyA)).toString('hex'),
    );
  });

  it('dials a discovered peer once: false for no listener, true when taken, no redial after it drops', async () => {
    const network = new MemoryNetwork();
    const keyA = generatePrivateKey();
    const a = createGossipNode({
      key: keyA,
      transport: network.transport({ privateKey: keyA, address: 'memory://found' }),
    });
    const b = start((key) => network.transport({ privateKey: key }), {
      reconnect: { minMs: 10, maxMs: 20 },
    });
    nodes.push(a);
    await b.start();
    expect(await b.dialOnce('memory://found')).toBe(false);
    await a.start();
    expect(await b.dialOnce('memory://found')).toBe(true);
    // A second dial of a connected peer is refused by this node, not a second peer.
    expect(await b.dialOnce('memory://found')).toBe(false);
    await eventually(() => b.stats().peers.some((p) => p.ready), 20_000, 'ready');
    expect(b.stats().peers.map((p) => p.outbound)).toEqual([true]);
    await a.stop();
    await eventually(() => b.stats().peers.length === 0, 20_000, 'dropped');
    await a.start();
    // With reconnect at 10–20 ms a redial would have come long before this.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(b.stats().peers).toHaveLength(0);
  });

  it('refuses peers beyond the limit', async () => {
    const network = new MemoryNetwork();
    const hub = start((key) => network.transport({ privateKey: key }), { maxPeers: 1 });
    await hub.start();
    const first = start((key) => network.transport({ privateKey: key }));
    const second = start((key) => network.transport({ privateKey: key }));
    await first.start();
    await second.start();
    first.connect(hub.addresses[0]!);
    await eventually(() => hub.stats().peers.length === 1, 20_000, 'first connected');
    second.connect(hub.addresses[0]!);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(hub.stats().peers.map((p) => p.id)).toEqual([first.id]);
  });

  it('takes p2p messages from trusted peers only, and ignores them from others', async () => {
    const network = new MemoryNetwork();
    const mailserver = start((key) => network.transport({ privateKey: key }));
    const stranger = start((key) => network.transport({ privateKey: key }));
    const client = start((key) => network.transport({ privateKey: key }), {
      trustedPeers: [mailserver.id],
    });
    for (const node of [mailserver, stranger, client]) await node.start();
    mailserver.connect(client.addresses[0]!);
    stranger.connect(client.addresses[0]!);
    await eventually(
      () => client.stats().peers.filter((p) => p.ready).length === 2,
      5000,
      'both connected',
    );
    await eventually(
      () =>
        mailserver.stats().peers.some((p) => p.ready) &&
        stranger.stats().peers.some((p) => p.ready),
      5000,
      'ready',
    );
    const p2p = client.subscribe({ p2p: true });
    const old = createEnvelope({ expiry: 100, ttl: 50, topic, data: Uint8Array.of(1) });
    expect(stranger.engine.sendP2PMessage(client.id, old)).toBe(true);
    expect(mailserver.engine.sendP2PMessage(client.id, old)).toBe(true);
    const got = await p2p.next();
    expect(got.value!.p2p).toBe(true);
    expect(got.value!.from).toBe(mailserver.id);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(client.stats().peers.filter((p) => p.ready)).toHaveLength(2); // the stranger is ignored, not dropped
    p2p.close();
  });
});

describe('p2p requests and their completion', () => {
  it('carries the byte string the handler gives, whatever it holds, to a trusted peer', async () => {
    const network = new MemoryNetwork();
    // Status's two forms (requestId ‖ lastHash ‖ cursor, and ERROR= ‖ requestId ‖ reason),
    // then an empty string: the engine hands each on untouched.
    const answer = Uint8Array.from({ length: 100 }, (_, i) => i);
    const failure = new TextEncoder().encode('ERROR=the reason');
    const bodies = [answer, failure, new Uint8Array(0)];
    const mailserver = start((key) => network.transport({ privateKey: key }), {
      onP2PRequest: (request, peer) => {
        const body = bodies.shift()!;
        if (body === answer) expect(peer.send([request])).toBe(true);
        expect(peer.complete(body)).toBe(true);
      },
    });
    const client = start((key) => network.transport({ privateKey: key }), {
      trustedPeers: [mailserver.id],
    });
    for (const node of [mailserver, client]) await node.start();
    client.connect(mailserver.addresses[0]!);
    await eventually(
      () =>
        client.stats().peers.some((p) => p.ready) && mailserver.stats().peers.some((p) => p.ready),
      5000,
      'connected',
    );
    const completions: { from: string; payload: Uint8Array }[] = [];
    client.engine.on('p2p:complete', (c) => completions.push(c));
    const request = createEnvelope({ expiry: 100, ttl: 50, topic, data: Uint8Array.of(1) });
    for (let n = 1; n <= 3; n++) {
      expect(client.engine.sendRequest(mailserver.id, request)).toBe(true);
      await eventually(() => completions.length === n, 5000, `completion ${n}`);
    }
    expect(completions).toEqual([
      { from: mailserver.id, payload: answer },
      { from: mailserver.id, payload: new TextEncoder().encode('ERROR=the reason') },
      { from: mailserver.id, payload: new Uint8Array(0) },
    ]);
    expect(client.stats().peers.filter((p) => p.ready)).toHaveLength(1);
  });
});
