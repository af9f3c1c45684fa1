/**
 * specs/mixnet-sphinx/SPEC.md §10.1–§12: mix descriptors signed by their identity, a network
 * configuration and the deterministic document built from the uploads, routes through it,
 * the `hush-mix/1` frames, a gateway's queues; and a small network on loopback WebSockets (a
 * gateway and one mix per layer, each a `MixServer` in this process) that carries a packet
 * from one client to another and the reply back on the SURB it carried, and refuses replays,
 * tampering, a bad first hop and frames a mix does not take.
 */
import { webSocketCarrier } from '@hush/carrier-websocket';
import { secp256k1Identity, secp256k1Verifier } from '@hush/crypto';
import {
  type Identity,
  ManualClock,
  MemoryMetrics,
  MemoryStore,
  peerIdFromPublicKey,
} from '@hush/interface';
import { waitFor } from '@hush/interface-compliance';
import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import { afterEach, describe, expect, it } from 'vitest';
import {
  aezSprp,
  buildDirectory,
  createPacket,
  createSurb,
  type DirectoryDocument,
  DROP_RECIPIENT,
  decodeMixFrame,
  decryptSurbPayload,
  EpochKeys,
  encodeAck,
  encodeFetch,
  encodeMessages,
  encodeNetworkConfig,
  encodePackets,
  encodeSubmit,
  exponentialDelay,
  forwardRoute,
  GatewayClient,
  GatewayQueues,
  geometry,
  MixServer,
  missingNodes,
  mixLinkEncrypter,
  mixNodeId,
  type NetworkConfig,
  packetFromSurb,
  parseNetworkConfig,
  ReplayCache,
  signMixDescriptor,
  surbRoute,
  verifyMixDescriptor,
} from '../src/index.js';

const verifier = secp256k1Verifier();
const identityOf = (n: number): Identity => secp256k1Identity(new Uint8Array(32).fill(n));
const body = (id: Identity) => id.publicKey.subarray(1);
const GEO = geometry(5, 2048);
const PARAMETERS = { lambdaP: 1, lambdaL: 1, lambdaD: 1, lambdaM: 1, meanDelayMs: 5 };

function networkOf(layers: Identity[][], gateways: Identity[]): NetworkConfig {
  return parseNetworkConfig({
    epochMs: 60_000,
    sphinx: { hops: layers.length + 2, userPayloadLength: 2048 },
    parameters: PARAMETERS,
    authorities: [
      {
        publicKey: Buffer.from(ed25519.getPublicKey(new Uint8Array(32).fill(1))).toString('hex'),
        url: 'http://127.0.0.1:1',
      },
    ],
    threshold: 1,
    layers: layers.map((l) => l.map((i) => Buffer.from(body(i)).toString('hex'))),
    gateways: gateways.map((i) => Buffer.from(body(i)).toString('hex')),
  });
}

describe('§10.1 mix descriptors', () => {
  it('are signed by their identity and verified against it', () => {
    const id = identityOf(7);
    const upload = signMixDescriptor(id, 3, {
      publicKey: new Uint8Array(32).fill(2),
      endpoints: ['ws://127.0.0.1:7000'],
    });
    const { epoch, descriptor } = verifyMixDescriptor(upload, verifier);
    expect(epoch).toBe(3);
    expect(descriptor.identity).toEqual(body(id));
    expect(descriptor.id).toEqual(mixNodeId(body(id)));
  });

  it('refuses a forged, altered or malformed upload', () => {
    const upload = signMixDescriptor(identityOf(7), 3, {
      publicKey: new Uint8Array(32).fill(2),
      endpoints: ['ws://127.0.0.1:7000'],
    });
    const other = signMixDescriptor(identityOf(8), 3, {
      publicKey: new Uint8Array(32).fill(2),
      endpoints: ['ws://127.0.0.1:7000'],
    });
    // Another identity's signature over this body.
    expect(() => verifyMixDescriptor({ ...upload, signature: other.signature }, verifier)).toThrow(
      expect.objectContaining({ code: 'bad-signature' }),
    );
    expect(() =>
      verifyMixDescriptor({ ...upload, body: upload.body.replace('7000', '7001') }, verifier),
    ).toThrow(expect.objectContaining({ code: 'bad-signature' }));
    for (const broken of [
      { ...upload, body: 'nope' },
      { ...upload, body: ` ${upload.body}` },
      { ...upload, body: upload.body.replace('"epoch":3', '"epoch":-1') },
      { body: upload.body } as never,
      null as never,
    ])
      expect(() => verifyMixDescriptor(broken, verifier)).toThrow(
        expect.objectContaining({ code: 'malformed' }),
      );
    expect(() => verifyMixDescriptor({ ...upload, signature: 'zz' }, verifier)).toThrow(
      expect.objectContaining({ code: 'bad-signature' }),
    );
  });
});

describe('§10.2 the network and its documents', () => {
  const layers = [[identityOf(11), identityOf(12)], [identityOf(21)], [identityOf(31)]];
  const gateway = identityOf(41);
  const network = networkOf(layers, [gateway]);
  const uploadOf = (id: Identity, epoch: number, port: number) => {
    const upload = signMixDescriptor(id, epoch, {
      publicKey: new Uint8Array(32).fill(port % 256),
      endpoints: [`ws://127.0.0.1:${port}`],
    });
    return { ...verifyMixDescriptor(upload, verifier), body: upload.body };
  };

  it('round-trips its configuration and refuses a bad one', () => {
    expect(parseNetworkConfig(encodeNetworkConfig(network))).toEqual(network);
    const value = encodeNetworkConfig(network);
    for (const broken of [
      { ...value, epochMs: 10 },
      { ...value, threshold: 0 },
      { ...value, sphinx: { hops: 4, userPayloadLength: 2048 } },
      { ...value, gateways: [(value.layers as string[][])[0]![0]] },
      { ...value, authorities: [{ publicKey: 'ab', url: 'http://x' }] },
    ])
      expect(() => parseNetworkConfig(broken)).toThrow(
        expect.objectContaining({ code: 'malformed' }),
      );
  });

  it('builds the same document from the same uploads, in any order, only when every layer has a mix', () => {
    const all = [...layers.flat(), gateway].map((id, i) => uploadOf(id, 5, 7000 + i));
    const a = buildDirectory(network, 5, all)!;
    const b = buildDirectory(network, 5, [...all].reverse())!;
    expect(a).toEqual(b);
    expect(a.layers.map((l) => l.length)).toEqual([2, 1, 1]);
    expect(a.validFrom).toBe(300_000);
    expect(a.validUntil).toBe(360_000);
    expect(missingNodes(network, 5, all)).toEqual([]);
    // One mix of layer 0 missing: still a document; the only mix of layer 1 missing: none.
    expect(buildDirectory(network, 5, all.slice(1))!.layers[0]).toHaveLength(1);
    expect(
      buildDirectory(
        network,
        5,
        all.filter((_, i) => i !== 2),
      ),
    ).toBeUndefined();
    // Uploads of another epoch or a stranger count for nothing.
    expect(buildDirectory(network, 6, all)).toBeUndefined();
    const stranger = uploadOf(identityOf(99), 5, 7999);
    expect(buildDirectory(network, 5, [...all, stranger])).toEqual(a);
    expect(missingNodes(network, 5, all.slice(2))).toHaveLength(2);
  });

  it('routes through one mix per layer, gateway to gateway, with exponential delays', () => {
    const doc = buildDirectory(
      network,
      5,
      [...layers.flat(), gateway].map((id, i) => uploadOf(id, 5, 7000 + i)),
    )!;
    const recipient = new Uint8Array(32).fill(9);
    const g = mixNodeId(body(gateway));
    const path = forwardRoute(doc, { entry: g, exit: g, recipient });
    expect(path).toHaveLength(5);
    expect(path[0]!.id).toEqual(g);
    expect(path[4]!.commands).toEqual([{ type: 'recipient', id: recipient }]);
    for (const hop of path.slice(0, 4)) expect(hop.commands[0]!.type).toBe('node-delay');
    const surb = surbRoute(doc, { exit: g, recipient, surbId: new Uint8Array(16) });
    expect(surb).toHaveLength(4);
    expect(surb[3]!.commands.map((c) => c.type)).toEqual(['recipient', 'surb-reply']);
    expect(() => forwardRoute(doc, { entry: recipient, exit: g, recipient })).toThrow(
      expect.objectContaining({ code: 'bad-path' }),
    );
    // The delays' mean is the directory's (law of large numbers, loosely).
    let sum = 0;
    for (let i = 0; i < 20_000; i++) sum += exponentialDelay(100);
    expect(sum / 20_000).toBeGreaterThan(90);
    expect(sum / 20_000).toBeLessThan(110);
  });
});

describe('§11 hush-mix/1 frames and queues', () => {
  it('round-trip, and a frame that does not add up is refused', () => {
    const packet = new Uint8Array(GEO.packetLength).fill(3);
    expect(decodeMixFrame(encodePackets([packet, packet]), GEO.packetLength)).toEqual({
      type: 'packets',
      packets: [packet, packet],
    });
    const hop = new Uint8Array(32).fill(1);
    expect(decodeMixFrame(encodeSubmit(hop, packet), GEO.packetLength)).toEqual({
      type: 'submit',
      firstHop: hop,
      packet,
    });
    expect(decodeMixFrame(encodeFetch(7), GEO.packetLength)).toEqual({ type: 'fetch', most: 7 });
    const messages = [
      { seq: 5n, payload: Uint8Array.of(1, 2) },
      { seq: 6n, surbId: new Uint8Array(16).fill(4), payload: new Uint8Array(0) },
    ];
    expect(decodeMixFrame(encodeMessages(messages), GEO.packetLength)).toEqual({
      type: 'messages',
      messages,
    });
    expect(decodeMixFrame(encodeAck([1n, 2n]), GEO.packetLength)).toEqual({
      type: 'ack',
      seqs: [1n, 2n],
    });
    for (const broken of [
      new Uint8Array(0),
      Uint8Array.of(0x01, 1, 2),
      encodePackets(Array.from({ length: 65 }, () => packet)),
      encodeSubmit(hop, packet).subarray(1000),
      Uint8Array.of(0x03, 0, 0),
      encodeMessages(messages).subarray(0, 20),
      Uint8Array.of(0x05, 1),
      Uint8Array.of(0x77),
    ])
      expect(() => decodeMixFrame(broken, GEO.packetLength)).toThrow(
        expect.objectContaining({ code: 'bad-frame' }),
      );
  });

  it('keeps a recipient’s messages until acknowledged, across a restart, within its bound', async () => {
    const store = new MemoryStore();
    const queues = new GatewayQueues(store, { maxPerRecipient: 2 });
    const alice = new Uint8Array(32).fill(1);
    expect(await queues.deposit(alice, { payload: Uint8Array.of(1) })).toBe(true);
    expect(
      await queues.deposit(alice, { payload: Uint8Array.of(2), surbId: new Uint8Array(16) }),
    ).toBe(true);
    expect(await queues.deposit(alice, { payload: Uint8Array.of(3) })).toBe('mailbox-full');
    const again = new GatewayQueues(store, { maxPerRecipient: 2 });
    const held = await again.fetch(alice, 10);
    expect(held.map((m) => m.payload[0])).toEqual([1, 2]);
    expect(held[1]!.surbId).toEqual(new Uint8Array(16));
    expect(await again.fetch(new Uint8Array(32).fill(2), 10)).toEqual([]);
    // Acknowledged twice at once (two links of one client): deleted once, counted once.
    await Promise.all([
      again.acknowledge(alice, [held[0]!.seq, 12345n]),
      again.acknowledge(alice, [held[0]!.seq]),
    ]);
    expect((await again.fetch(alice, 10)).map((m) => m.payload[0])).toEqual([2]);
    expect(await again.deposit(alice, { payload: Uint8Array.of(4) })).toBe(true);
    expect(await again.deposit(alice, { payload: Uint8Array.of(5) })).toBe('mailbox-full');
  });

  it('holds to its bounds under overlapping deposits, and in all', async () => {
    const queues = new GatewayQueues(new MemoryStore(), { maxPerRecipient: 10, maxTotal: 15 });
    const alice = new Uint8Array(32).fill(1);
    const bob = new Uint8Array(32).fill(2);
    const a = await Promise.all(
      Array.from({ length: 50 }, (_, i) => queues.deposit(alice, { payload: Uint8Array.of(i) })),
    );
    expect(a.filter((r) => r === true)).toHaveLength(10);
    const b = await Promise.all(
      Array.from({ length: 10 }, (_, i) => queues.deposit(bob, { payload: Uint8Array.of(i) })),
    );
    expect(b.filter((r) => r === true)).toHaveLength(5);
    expect(b.filter((r) => r === 'gateway-full')).toHaveLength(5);
    expect(await queues.fetch(alice, 100)).toHaveLength(10);
  });

  it('never reuses a sequence number after a restart, and lets messages expire', async () => {
    const clock = new ManualClock(1_000_000);
    const store = new MemoryStore();
    const alice = new Uint8Array(32).fill(1);
    const first = new GatewayQueues(store, { clock, retentionMs: 60_000 });
    // More deposits in one ms than the numbers of that ms: the numbers run ahead of the clock.
    for (let i = 0; i < 1500; i++) await first.deposit(alice, { payload: Uint8Array.of(i & 255) });
    const restarted = new GatewayQueues(store, { clock, retentionMs: 60_000 });
    expect(await restarted.deposit(alice, { payload: Uint8Array.of(9) })).toBe(true);
    expect(await restarted.fetch(alice, 2000)).toHaveLength(1501);
    // (Numbers that ran ahead of the clock count as deposited a ms later.)
    clock.advance(61_000);
    expect(await restarted.sweep()).toBe(1501);
    expect(await restarted.fetch(alice, 10)).toEqual([]);
    expect(await restarted.deposit(alice, { payload: Uint8Array.of(1) })).toBe(true);
  });

  it('counts a message removed once, whichever removals race for it', async () => {
    const clock = new ManualClock(1_000_000);
    const queues = new GatewayQueues(new MemoryStore(), {
      clock,
      retentionMs: 60_000,
      maxPerRecipient: 3,
    });
    const alice = new Uint8Array(32).fill(1);
    await queues.deposit(alice, { payload: Uint8Array.of(1) });
    await queues.deposit(alice, { payload: Uint8Array.of(2) });
    const old = await queues.fetch(alice, 10);
    clock.advance(30_000);
    await queues.deposit(alice, { payload: Uint8Array.of(3) });
    clock.advance(31_000);
    // The two old ones expired: a sweep, an ACK and a fetch all remove them at once.
    await Promise.all([
      queues.sweep(),
      queues.acknowledge(
        alice,
        old.map((m) => m.seq),
      ),
      queues.fetch(alice, 10),
    ]);
    expect((await queues.fetch(alice, 10)).map((m) => m.payload[0])).toEqual([3]);
    expect(await queues.deposit(alice, { payload: Uint8Array.of(4) })).toBe(true);
    expect(await queues.deposit(alice, { payload: Uint8Array.of(5) })).toBe(true);
    expect(await queues.deposit(alice, { payload: Uint8Array.of(6) })).toBe('mailbox-full');
  });

  it('epoch keys are kept per epoch and pruned', async () => {
    const store = new MemoryStore();
    const keys = new EpochKeys(store);
    const k5 = await keys.key(5);
    expect(await new EpochKeys(store).key(5)).toEqual(k5);
    expect((await keys.key(6)).privateKey).not.toEqual(k5.privateKey);
    expect(await keys.prune(6)).toBe(1);
    expect((await new EpochKeys(store).key(5)).privateKey).not.toEqual(k5.privateKey);
  });
});

describe('§11 a network on loopback', () => {
  const running: { stop(): unknown }[] = [];
  afterEach(async () => {
    for (const r of running.splice(0)) await r.stop();
  });

  async function startNetwork() {
    const layers = [[identityOf(51)], [identityOf(52)], [identityOf(53)]];
    const gatewayId = identityOf(54);
    const network = networkOf(layers, [gatewayId]);
    const epoch = 9;
    const metrics = new Map<string, MemoryMetrics>();
    const servers: MixServer[] = [];
    const uploads = [];
    let doc: DirectoryDocument | undefined;
    const byId = () =>
      new Map(
        [...doc!.layers.flat(), ...doc!.gateways].map((d) => [
          Buffer.from(d.id).toString('hex'),
          d,
        ]),
      );
    for (const [i, identity] of [...layers.flat(), gatewayId].entries()) {
      const gateway = identity === gatewayId;
      const m = new MemoryMetrics();
      const key = await new EpochKeys(new MemoryStore()).key(epoch);
      const server = new MixServer({
        role: gateway ? 'gateway' : 'mix',
        geometry: GEO,
        identity,
        verifier,
        staticKey: x25519.utils.randomSecretKey(),
        carrier: webSocketCarrier({ host: '127.0.0.1', port: 0 }),
        replay: new ReplayCache(new MemoryStore()),
        key,
        lookup: (id) => byId().get(Buffer.from(id).toString('hex')),
        isFirstLayer: (id) => doc!.layers[0]!.some((d) => Buffer.from(d.id).equals(id)),
        // As `hush mix`: a mix keeps links only from the directory's nodes; a gateway from all.
        ...(gateway
          ? { queues: new GatewayQueues(new MemoryStore()) }
          : {
              authorize: (identity: Uint8Array) =>
                byId().has(Buffer.from(mixNodeId(identity)).toString('hex')),
            }),
        metrics: m,
      });
      await server.start();
      running.push(server);
      servers.push(server);
      metrics.set(i === 3 ? 'gateway' : `mix${i}`, m);
      const upload = signMixDescriptor(identity, epoch, {
        publicKey: x25519.getPublicKey(key.privateKey),
        endpoints: server.addresses,
      });
      uploads.push({ ...verifyMixDescriptor(upload, verifier), body: upload.body });
    }
    doc = buildDirectory(network, epoch, uploads)!;
    const client = async (n: number) => {
      const identity = identityOf(n);
      const encrypter = mixLinkEncrypter({
        identity,
        verifier,
        staticKey: x25519.utils.randomSecretKey(),
      });
      const link = await GatewayClient.connect({
        carrier: webSocketCarrier(),
        encrypter,
        gateway: doc!.gateways[0]!,
        geometry: GEO,
      });
      running.push({ stop: () => link.close() });
      return { link, id: mixNodeId(body(identity)) };
    };
    return { doc, servers, metrics, client, gateway: doc.gateways[0]!.id };
  }

  async function fetchSome(link: GatewayClient, n = 1) {
    let got: Awaited<ReturnType<GatewayClient['fetch']>> = [];
    await waitFor(async () => {
      got = await link.fetch();
      return got.length >= n;
    }, `${n} message(s) at the gateway`);
    return got;
  }

  it('carries a packet to its recipient and the reply back on its SURB', async () => {
    const { doc, client, gateway, metrics } = await startNetwork();
    const alice = await client(61);
    const bob = await client(62);
    const surbId = new Uint8Array(16).fill(7);
    const { surb, keys } = createSurb(
      GEO,
      surbRoute(doc, { exit: gateway, recipient: alice.id, surbId }),
    );
    const payload = new Uint8Array(GEO.userPayloadLength);
    payload.set(surb);
    payload.set(new TextEncoder().encode('hello bob'), surb.length);
    const path = forwardRoute(doc, { entry: gateway, exit: gateway, recipient: bob.id });
    alice.link.submit(path[0]!.id, createPacket(GEO, path, payload, aezSprp));

    const [message] = await fetchSome(bob.link);
    expect(message!.surbId).toBeUndefined();
    expect(new TextDecoder().decode(message!.payload.subarray(surb.length, surb.length + 9))).toBe(
      'hello bob',
    );
    bob.link.acknowledge([message!]);
    await waitFor(async () => (await bob.link.fetch()).length === 0, 'bob’s queue emptied');

    const reply = new Uint8Array(GEO.userPayloadLength);
    reply.set(new TextEncoder().encode('hello alice'));
    const back = packetFromSurb(GEO, message!.payload.subarray(0, GEO.surbLength), reply, aezSprp);
    bob.link.submit(back.firstHop, back.packet);
    const [answer] = await fetchSome(alice.link);
    expect(answer!.surbId).toEqual(surbId);
    expect(decryptSurbPayload(answer!.payload, keys, aezSprp)).toEqual(reply);
    expect(metrics.get('gateway')!.value('hush_mix_packets_delivered_total')).toBe(2);
    // The SURB used a second time, with another payload: the same header, so the first mix
    // refuses it as a replay.
    const again = packetFromSurb(
      GEO,
      message!.payload.subarray(0, GEO.surbLength),
      new Uint8Array(GEO.userPayloadLength),
      aezSprp,
    );
    bob.link.submit(again.firstHop, again.packet);
    await waitFor(
      () =>
        metrics.get('mix0')!.value('hush_mix_packets_dropped_total', { reason: 'replay' }) === 1,
      'the second use of the SURB refused',
    );
    for (const name of ['mix0', 'mix1', 'mix2'])
      expect(metrics.get(name)!.value('hush_mix_packets_out_total')).toBe(2);
  });

  it('refuses a replay, a tampered packet and a bad first hop, and counts each', async () => {
    const { doc, client, gateway, metrics } = await startNetwork();
    const alice = await client(63);
    const path = forwardRoute(doc, { entry: gateway, exit: gateway, recipient: alice.id });
    const packet = createPacket(GEO, path, new Uint8Array(GEO.userPayloadLength), aezSprp);
    alice.link.submit(gateway, packet);
    alice.link.submit(gateway, packet);
    const tampered = packet.slice();
    tampered[100]! ^= 1;
    alice.link.submit(gateway, tampered);
    alice.link.submit(new Uint8Array(32).fill(0xee), packet);
    const g = metrics.get('gateway')!;
    await waitFor(
      () =>
        g.value('hush_mix_packets_dropped_total', { reason: 'replay' }) === 1 &&
        g.value('hush_mix_packets_dropped_total', { reason: 'bad-mac' }) === 1 &&
        g.value('hush_mix_packets_dropped_total', { reason: 'bad-first-hop' }) === 1,
      'the replay, the tampered header and the bad first hop counted',
    );
    // The one good copy arrives, once.
    expect(await fetchSome(alice.link)).toHaveLength(1);
    // A payload altered in flight is destroyed by the SPRP: the zero tag catches it at the end.
    const altered = createPacket(GEO, path, new Uint8Array(GEO.userPayloadLength), aezSprp);
    altered[GEO.headerLength + 5]! ^= 1;
    alice.link.submit(gateway, altered);
    await waitFor(
      () => g.value('hush_mix_packets_dropped_total', { reason: 'bad-tag' }) === 1,
      'the altered payload counted',
    );
  });

  it('a mix keeps no link from a stranger, and closes and counts a frame it does not take', async () => {
    const { doc, metrics } = await startNetwork();
    const mix = doc.layers[0]![0]!;
    const dial = (seed: number) =>
      GatewayClient.connect({
        carrier: webSocketCarrier(),
        encrypter: mixLinkEncrypter({
          identity: identityOf(seed),
          verifier,
          staticKey: x25519.utils.randomSecretKey(),
        }),
        gateway: mix,
        geometry: GEO,
      });
    const m = metrics.get('mix0')!;
    // A client of no directory: the mix closes the link once it has authenticated it, before
    // taking any frame.
    const stranger = await dial(64);
    await expect(stranger.fetch()).rejects.toMatchObject({ code: 'gateway-failed' });
    expect(m.value('hush_mix_frames_refused_total', { reason: 'not-taken' })).toBe(0);
    // A node of the directory (the gateway's identity) sending a FETCH: closed, counted.
    const link = await dial(54);
    await expect(link.fetch()).rejects.toMatchObject({ code: 'gateway-failed' });
    expect(m.value('hush_mix_frames_refused_total', { reason: 'not-taken' })).toBe(1);
    // A frame that does not parse: closed, counted.
    const raw = await mixLinkEncrypter({
      identity: identityOf(54),
      verifier,
      staticKey: x25519.utils.randomSecretKey(),
    }).secureOutbound(await webSocketCarrier().dial(mix.endpoints[0]!), {
      remotePeer: peerIdFromPublicKey(mix.identity),
    });
    const closed = new Promise((resolve) => raw.onClose(resolve));
    raw.send(Uint8Array.of(0x01, 1, 2, 3));
    await closed;
    await waitFor(
      () => m.value('hush_mix_frames_refused_total', { reason: 'bad-frame' }) === 1,
      'the bad frame counted',
    );
  });

  it('a gateway discards a drop cover packet, and counts it', async () => {
    const { doc, client, gateway, metrics } = await startNetwork();
    const alice = await client(66);
    const path = forwardRoute(doc, { entry: gateway, exit: gateway, recipient: DROP_RECIPIENT });
    alice.link.submit(
      gateway,
      createPacket(GEO, path, new Uint8Array(GEO.userPayloadLength), aezSprp),
    );
    await waitFor(
      () => metrics.get('gateway')!.value('hush_mix_cover_dropped_total') === 1,
      'the drop counted',
    );
    expect(
      metrics.get('gateway')!.value('hush_mix_packets_dropped_total', { reason: 'mailbox-full' }),
    ).toBe(0);
  });

  it('drops a packet for a next hop no directory names, keeping nothing for it', async () => {
    const { doc, client, gateway, metrics } = await startNetwork();
    const alice = await client(65);
    const path = forwardRoute(doc, { entry: gateway, exit: gateway, recipient: alice.id });
    // The second hop replaced by a stranger: the gateway cannot send it on.
    const stranger = { ...path[1]!, id: new Uint8Array(32).fill(0xab) };
    const packet = createPacket(
      GEO,
      [path[0]!, stranger, ...path.slice(2)],
      new Uint8Array(GEO.userPayloadLength),
      aezSprp,
    );
    alice.link.submit(gateway, packet);
    await waitFor(
      () =>
        metrics
          .get('gateway')!
          .value('hush_mix_packets_dropped_total', { reason: 'unreachable' }) === 1,
      'the packet dropped as unreachable',
    );
  });
});
