/**
 * Issue 16, item 5 (specs/mixnet-sphinx/SPEC.md §9–§12): a mixnet of real processes on
 * loopback, as `pnpm testnet mixnet` runs it — 3 directory authorities (threshold 2), 3 layers
 * of 3 `hush mix` processes and a gateway. Two clients at the gateway: Alice sends Bob packets
 * through random routes, each carrying a SURB; Bob answers every one on its SURB, and Alice
 * decrypts the answers. The gateway refuses a replayed and a tampered packet and counts them
 * in its Prometheus metrics; after an epoch change (30 s epochs) the new keys and document
 * carry packets as the old did. The waits are bounded, not timed.
 */
import { webSocketCarrier } from '@hush/carrier-websocket';
import { secp256k1Identity, secp256k1Verifier } from '@hush/crypto';
import { waitFor } from '@hush/interface-compliance';
import {
  aezSprp,
  createPacket,
  createSurb,
  type DirectoryDocument,
  decryptSurbPayload,
  epochAt,
  fetchDirectory,
  forwardRoute,
  GatewayClient,
  geometry,
  mixLinkEncrypter,
  mixNodeId,
  packetFromSurb,
  surbRoute,
} from '@hush/mixnet-sphinx';
import { x25519 } from '@noble/curves/ed25519.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Mixnet, startMixnet, waitForMixnet } from '../testnet/mixnet.js';
import { scrapeMetric } from '../testnet/process.js';

const EPOCH_MS = 30_000;
const GEO = geometry(5, 2048);
const verifier = secp256k1Verifier();

describe('a mixnet of 3 authorities, 3 × 3 mixes and a gateway, each its own process', () => {
  let mixnet: Mixnet | undefined;
  const clients: GatewayClient[] = [];

  beforeAll(async () => {
    mixnet = await startMixnet({ epochMs: EPOCH_MS, meanDelayMs: 10 });
    await waitForMixnet(mixnet, { timeoutMs: 240_000 });
  }, 600_000);

  afterAll(async () => {
    for (const c of clients) c.close();
    await mixnet?.stop();
  }, 180_000);

  async function client(seed: number, doc: DirectoryDocument) {
    const identity = secp256k1Identity(new Uint8Array(32).fill(seed));
    const link = await GatewayClient.connect({
      carrier: webSocketCarrier(),
      encrypter: mixLinkEncrypter({
        identity,
        verifier,
        staticKey: x25519.utils.randomSecretKey(),
      }),
      gateway: doc.gateways[0]!,
      geometry: GEO,
    });
    clients.push(link);
    return { link, id: mixNodeId(identity.publicKey.subarray(1)) };
  }

  async function fetchAll(link: GatewayClient, n: number) {
    const got = new Map<bigint, Awaited<ReturnType<GatewayClient['fetch']>>[number]>();
    await waitFor(
      async () => {
        for (const m of await link.fetch()) got.set(m.seq, m);
        link.acknowledge([...got.values()]);
        return got.size >= n;
      },
      `${n} messages at the gateway`,
      60_000,
    );
    return [...got.values()];
  }

  /** Alice sends `n` packets to Bob, each with a SURB; Bob answers each on it. */
  async function roundTrips(n: number, seeds: [number, number]) {
    const { document: doc } = await fetchDirectory(mixnet!.network, epochAt(Date.now(), EPOCH_MS));
    const gateway = doc.gateways[0]!.id;
    const alice = await client(seeds[0], doc);
    const bob = await client(seeds[1], doc);
    const surbKeys = new Map<string, Uint8Array>();
    for (let i = 0; i < n; i++) {
      const surbId = crypto.getRandomValues(new Uint8Array(16));
      const { surb, keys } = createSurb(
        GEO,
        surbRoute(doc, { exit: gateway, recipient: alice.id, surbId }),
      );
      surbKeys.set(Buffer.from(surbId).toString('hex'), keys);
      const payload = new Uint8Array(GEO.userPayloadLength);
      payload.set(surb);
      payload.set(new TextEncoder().encode(`question ${i}`), surb.length);
      const path = forwardRoute(doc, { entry: gateway, exit: gateway, recipient: bob.id });
      alice.link.submit(path[0]!.id, createPacket(GEO, path, payload, aezSprp));
    }
    const questions = await fetchAll(bob.link, n);
    expect(questions).toHaveLength(n);
    for (const q of questions) {
      const text = new TextDecoder().decode(
        q.payload.subarray(GEO.surbLength, GEO.surbLength + 20),
      );
      const reply = new Uint8Array(GEO.userPayloadLength);
      reply.set(new TextEncoder().encode(`answer to ${text.replace(/\0+$/, '')}`));
      const back = packetFromSurb(GEO, q.payload.subarray(0, GEO.surbLength), reply, aezSprp);
      bob.link.submit(back.firstHop, back.packet);
    }
    const answers = await fetchAll(alice.link, n);
    const texts = answers.map((a) => {
      const keys = surbKeys.get(Buffer.from(a.surbId!).toString('hex'))!;
      return new TextDecoder()
        .decode(decryptSurbPayload(a.payload, keys, aezSprp))
        .replace(/\0+$/, '');
    });
    expect(texts.sort()).toEqual(
      Array.from({ length: n }, (_, i) => `answer to question ${i}`).sort(),
    );
    return { doc, alice, bob };
  }

  it('carries packets out through every layer and the answers back on their SURBs', async () => {
    await roundTrips(18, [1, 2]);
    // 36 packets over 3 mixes a layer, chosen at random: each mix carried some.
    for (const mix of mixnet!.mixes)
      expect(
        await scrapeMetric(mix.metricsUrl!, 'hush_mix_packets_out_total'),
        mix.name,
      ).toBeGreaterThan(0);
    expect(
      await scrapeMetric(mixnet!.gateway.metricsUrl!, 'hush_mix_packets_delivered_total'),
    ).toBeGreaterThanOrEqual(36);
  });

  it('the gateway refuses a replayed and a tampered packet and counts each', async () => {
    const { document: doc } = await fetchDirectory(mixnet!.network, epochAt(Date.now(), EPOCH_MS));
    const gateway = doc.gateways[0]!.id;
    const mallory = await client(3, doc);
    const metrics = mixnet!.gateway.metricsUrl!;
    const replays = await scrapeMetric(metrics, 'hush_mix_packets_dropped_total{reason="replay"}');
    const badMacs = await scrapeMetric(metrics, 'hush_mix_packets_dropped_total{reason="bad-mac"}');
    const path = forwardRoute(doc, { entry: gateway, exit: gateway, recipient: mallory.id });
    const packet = createPacket(GEO, path, new Uint8Array(GEO.userPayloadLength), aezSprp);
    mallory.link.submit(gateway, packet);
    mallory.link.submit(gateway, packet);
    const tampered = packet.slice();
    tampered[40]! ^= 0x80;
    mallory.link.submit(gateway, tampered);
    await waitFor(
      async () =>
        (await scrapeMetric(metrics, 'hush_mix_packets_dropped_total{reason="replay"}')) ===
          replays + 1 &&
        (await scrapeMetric(metrics, 'hush_mix_packets_dropped_total{reason="bad-mac"}')) ===
          badMacs + 1,
      'the replay and the tampered packet counted',
    );
    // The packet itself went through, once.
    expect(await fetchAll(mallory.link, 1)).toHaveLength(1);
    expect((await mallory.link.fetch()).length).toBe(0);
  });

  it('goes on across an epoch change: new keys, a new document', async () => {
    const before = epochAt(Date.now(), EPOCH_MS);
    await waitFor(() => epochAt(Date.now(), EPOCH_MS) > before, 'the next epoch', 2 * EPOCH_MS);
    const doc = await waitForMixnet(mixnet!, { timeoutMs: 60_000 });
    expect(doc.epoch).toBeGreaterThan(before);
    const { doc: used } = await roundTrips(3, [4, 5]);
    expect(used.epoch).toBeGreaterThan(before);
  }, 180_000);
});
