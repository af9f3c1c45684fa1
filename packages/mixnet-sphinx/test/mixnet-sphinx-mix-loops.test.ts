/**
 * specs/mixnet-sphinx/SPEC.md §13.4: mix loops. Their routes go through every other layer
 * back to the node; on a network of `MixServer`s over in-memory links, on a virtual clock,
 * every node's loops leave at λM, come back and are counted, are lost (and warned of) when a
 * hop on their way is down, and stop with the server; λM = 0 sends none; a packet addressed
 * to a node that is not one of its loops is dropped as before. In the simulation, the loops
 * of the nodes whose routes cross a failed mix are lost.
 */
import { secp256k1Identity, secp256k1Verifier } from '@hush/crypto';
import {
  type Carrier,
  type Identity,
  type Logger,
  ManualClock,
  MemoryMetrics,
  MemoryStore,
  type RawChannel,
  TransportError,
} from '@hush/interface';
import { rawChannelPair } from '@hush/interface-compliance';
import { x25519 } from '@noble/curves/ed25519.js';
import { afterEach, describe, expect, it } from 'vitest';
import { simulateMixnet } from '../sim/simulation.js';
import {
  aezSprp,
  buildDirectory,
  createPacket,
  type DirectoryDocument,
  EpochKeys,
  GatewayQueues,
  geometry,
  MixServer,
  mixLoopRoute,
  parseNetworkConfig,
  ReplayCache,
  signMixDescriptor,
  verifyMixDescriptor,
} from '../src/index.js';
import { seeded } from './loopix-fixtures.js';

const GEO = geometry(5, 256);
const EPOCH = 3;
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const verifier = secp256k1Verifier();

/** Carriers that reach each other in memory, by address: a stopped one cannot be dialed. */
function memoryCarriers() {
  const listening = new Map<string, (channel: RawChannel) => void>();
  let next = 0;
  return (): Carrier => {
    const address = `ws://memory-${next++}`;
    return {
      addresses: [address],
      async listen(onChannel) {
        listening.set(address, onChannel);
      },
      async dial(to) {
        const accept = listening.get(to);
        if (!accept) throw new TransportError('dial-failed', `nothing listens at ${to}`);
        const [ours, theirs] = rawChannelPair();
        accept(theirs);
        return ours;
      },
      async close() {
        listening.delete(address);
      },
    };
  };
}

interface Node {
  readonly name: string;
  readonly server: MixServer;
  readonly metrics: MemoryMetrics;
  readonly warnings: string[];
}

const running: MixServer[] = [];
afterEach(async () => {
  for (const server of running.splice(0)) await server.stop();
});

/**
 * One mix per layer (`m0`, `m1`, `m2`) and a gateway (`g`), each a MixServer with its loops
 * on, over in-memory links, on one virtual clock.
 */
async function startNetwork(options: { lambdaM?: number; meanDelayMs?: number } = {}) {
  const clock = new ManualClock(1_000_000);
  const carrier = memoryCarriers();
  const identities: Identity[] = [71, 72, 73, 74].map((n) =>
    secp256k1Identity(new Uint8Array(32).fill(n)),
  );
  const config = parseNetworkConfig({
    epochMs: 60_000,
    sphinx: { hops: GEO.hops, userPayloadLength: GEO.userPayloadLength },
    parameters: {
      lambdaP: 1,
      lambdaL: 1,
      lambdaD: 1,
      lambdaM: 1,
      meanDelayMs: options.meanDelayMs ?? 20,
    },
    authorities: [{ publicKey: 'ab'.repeat(32), url: 'http://127.0.0.1:1' }],
    threshold: 1,
    layers: identities.slice(0, 3).map((id) => [hex(id.publicKey.subarray(1))]),
    gateways: [hex(identities[3]!.publicKey.subarray(1))],
  });
  let document: DirectoryDocument | undefined;
  const byId = new Map<string, DirectoryDocument['gateways'][number]>();
  const nodes: Node[] = [];
  const uploads = [];
  for (const [i, identity] of identities.entries()) {
    const gateway = i === 3;
    const key = await new EpochKeys(new MemoryStore()).key(EPOCH);
    const metrics = new MemoryMetrics();
    const warnings: string[] = [];
    const logger: Logger = {
      debug() {},
      info() {},
      warn: (_fields, message) => warnings.push(message),
      error() {},
    };
    const server = new MixServer({
      role: gateway ? 'gateway' : 'mix',
      geometry: GEO,
      identity,
      verifier,
      staticKey: seeded(100 + i)(32),
      carrier: carrier(),
      replay: new ReplayCache(new MemoryStore()),
      key,
      lookup: (id) => byId.get(hex(id)),
      isFirstLayer: (id) => hex(id) === hex(document!.layers[0]![0]!.id),
      ...(gateway ? { queues: new GatewayQueues(new MemoryStore()) } : {}),
      directory: () => document,
      ...(options.lambdaM !== undefined ? { lambdaM: options.lambdaM } : {}),
      random: seeded(i + 1),
      clock,
      metrics,
      logger,
    });
    await server.start();
    running.push(server);
    nodes.push({ name: gateway ? 'g' : `m${i}`, server, metrics, warnings });
    const upload = signMixDescriptor(identity, EPOCH, {
      publicKey: x25519.getPublicKey(key.privateKey),
      endpoints: server.addresses,
    });
    uploads.push({ ...verifyMixDescriptor(upload, verifier), body: upload.body });
  }
  document = buildDirectory(config, EPOCH, uploads)!;
  for (const d of [...document.layers.flat(), ...document.gateways]) byId.set(hex(d.id), d);
  /** Moves virtual time on in steps, letting the links' handshakes and frames run between. */
  const run = async (ms: number, stepMs = 20) => {
    for (let t = 0; t < ms; t += stepMs) {
      clock.advance(stepMs);
      for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve));
    }
  };
  const count = (node: Node, what: 'sent' | 'received' | 'lost') =>
    node.metrics.value(`hush_mix_loops_${what}_total`);
  return { document, nodes, run, count, clock };
}

describe('§13.4 mix loop routes', () => {
  it('go through every other layer back to the node, within the geometry’s hops', async () => {
    const { document } = await startNetwork();
    const [l0, l1, l2] = document.layers.map((l) => l[0]!.id);
    const g = document.gateways[0]!.id;
    const cases: [Uint8Array, Uint8Array[]][] = [
      [l0!, [l1!, l2!, g, l0!]],
      [l1!, [l2!, g, l0!, l1!]],
      [l2!, [g, l0!, l1!, l2!]],
      [g, [l0!, l1!, l2!, g]],
    ];
    for (const [self, ids] of cases) {
      const path = mixLoopRoute(document, self, seeded(5));
      expect(path.map((h) => hex(h.id))).toEqual(ids.map(hex));
      expect(path.length).toBeLessThanOrEqual(GEO.hops);
      for (const h of path.slice(0, -1))
        expect(h.commands.map((c) => c.type)).toEqual(['node-delay']);
      expect(path.at(-1)!.commands).toEqual([{ type: 'recipient', id: self }]);
    }
    expect(() => mixLoopRoute(document, new Uint8Array(32).fill(9))).toThrow(
      expect.objectContaining({ code: 'bad-path' }),
    );
    expect(() => mixLoopRoute(document, new Uint8Array(31))).toThrow(RangeError);
  });
});

describe('§13.4 mix loops on a network', () => {
  it('leave every node at λM and come back, counted with their round trips', async () => {
    const { nodes, run, count } = await startNetwork();
    // 200 s at λM = 1: 200 expected from each node (a seeded draw; about four SD either way).
    await run(200_000);
    for (const node of nodes) {
      expect(count(node, 'sent'), node.name).toBeGreaterThan(140);
      expect(count(node, 'sent'), node.name).toBeLessThan(260);
      expect(count(node, 'lost'), node.name).toBe(0);
      // All back but those still on their way at the end (a round trip is well under 1 s).
      expect(count(node, 'received'), node.name).toBeGreaterThan(count(node, 'sent') - 5);
      const meanMs =
        node.metrics.value('hush_mix_loops_round_trip_ms_sum') / count(node, 'received');
      // Four delaying hops of mean 20 ms, plus the links' steps.
      expect(meanMs, node.name).toBeGreaterThan(40);
      expect(meanMs, node.name).toBeLessThan(400);
      expect(node.warnings).toEqual([]);
    }
    // A mix's loops end at itself, not as drops.
    for (const node of nodes)
      expect(node.metrics.value('hush_mix_packets_dropped_total', { reason: 'no-recipient' })).toBe(
        0,
      );
  });

  it('are lost, and warned of, when a hop on their way is down', async () => {
    const { nodes, run, count } = await startNetwork();
    await run(20_000);
    const [m0, m1, m2, g] = nodes;
    // The only mix of layer 1 goes down: every other node's loops cross it.
    await m1!.server.stop();
    await run(1000);
    const before = new Map(nodes.map((n) => [n.name, count(n, 'received')]));
    await run(80_000);
    for (const node of [m0!, m2!, g!]) {
      expect(count(node, 'received'), node.name).toBe(before.get(node.name));
      // Sent in the first 70 s of the 80 (the rest is within the timeout): about 70 each.
      expect(count(node, 'lost'), node.name).toBeGreaterThan(40);
      expect(node.warnings).toContain('mix: loops lost: a node on their routes drops packets');
    }
  });

  it('stop with the server, and λM = 0 sends none', async () => {
    const { nodes, run, count } = await startNetwork();
    await run(10_000);
    for (const node of nodes) await node.server.stop();
    const sent = nodes.map((n) => count(n, 'sent'));
    const lost = nodes.map((n) => count(n, 'lost'));
    await run(60_000);
    expect(nodes.map((n) => count(n, 'sent'))).toEqual(sent);
    // Loops in flight are forgotten at stop: no timer counts them lost afterwards.
    expect(nodes.map((n) => count(n, 'lost'))).toEqual(lost);

    const off = await startNetwork({ lambdaM: 0 });
    await off.run(30_000);
    for (const node of off.nodes) expect(off.count(node, 'sent'), node.name).toBe(0);
  });

  it('a packet for a node that is not one of its loops is dropped, as before', async () => {
    const { document, nodes, count } = await startNetwork({ lambdaM: 0 });
    const [m0, , m2, g] = nodes;
    const last = (d: { id: Uint8Array; publicKey: Uint8Array }, recipient: Uint8Array) => [
      {
        id: d.id,
        publicKey: d.publicKey,
        commands: [{ type: 'recipient' as const, id: recipient }],
      },
    ];
    const mix2 = document.layers[2]![0]!;
    const gateway = document.gateways[0]!;
    const payload = new Uint8Array(GEO.userPayloadLength).fill(1);
    // Ends at m2, named for m0 (another mix's loop, say): a drop, as a mix drops deliveries.
    expect(
      await m2!.server.mix.receive(createPacket(GEO, last(mix2, m0!.server.id), payload, aezSprp)),
    ).toBe('delivered');
    // Ends at m2 and at the gateway, named for themselves, but not loops they sent.
    await m2!.server.mix.receive(createPacket(GEO, last(mix2, mix2.id), payload, aezSprp));
    await g!.server.mix.receive(createPacket(GEO, last(gateway, gateway.id), payload, aezSprp));
    await new Promise((resolve) => setImmediate(resolve));
    expect(m2!.metrics.value('hush_mix_packets_dropped_total', { reason: 'no-recipient' })).toBe(2);
    expect(g!.metrics.value('hush_mix_packets_dropped_total', { reason: 'no-recipient' })).toBe(1);
    for (const node of [m2!, g!]) expect(count(node, 'received')).toBe(0);
  });
});

describe('§13.4 mix loops in the simulation', () => {
  const SMALL = { clients: 10, durationMs: 15_000, meanDelayMs: 200, messageRate: 0.2, seed: 3 };

  it('come back; through a failed mix they are lost, which is how the other nodes notice', async () => {
    const healthy = await simulateMixnet(SMALL);
    // 12 nodes at λM = 1 for 15 s: about 180.
    expect(healthy.mixLoops.sent).toBeGreaterThan(120);
    expect(healthy.mixLoops.returned).toBe(healthy.mixLoops.sent);
    expect(healthy.mixLoops.lost).toBe(0);
    // Three delaying hops of mean 200 ms, and the links.
    expect(healthy.mixLoops.meanRoundTripMs).toBeGreaterThan(300);
    expect(healthy.mixLoops.meanRoundTripMs).toBeLessThan(1200);

    const failing = await simulateMixnet({ ...SMALL, failMixAtMs: 5_000 });
    expect(failing.mixLoops.lost).toBeGreaterThan(0);
    expect(failing.failure!.mixLoopsLostAtFailedMix).toBeGreaterThanOrEqual(failing.mixLoops.lost);
    const lost = failing.mixLoops.lostByNode;
    // The failed mix is m1.0: the loops of the middle layer never cross it, the others' do.
    for (const name of ['m1.0', 'm1.1', 'm1.2']) expect(lost[name], name).toBe(0);
    expect(Object.values(lost).filter((n) => n > 0).length).toBeGreaterThan(6);

    const bare = await simulateMixnet({ ...SMALL, cover: false });
    expect(bare.mixLoops.sent).toBe(0);
  });
});
