/**
 * DHT-inbox benchmarks (issue 14, "`pnpm bench` prints lookup and deposit costs";
 * specs/inbox-dht/SPEC.md §2.3 lookups, §5.1 admission, §5.2 deposit to the r closest, §6.7
 * fetch over the holders):
 *
 * (a) a lookup in 1,000 real routers over the in-memory network (every message encoded and
 *     decoded by the wire codec of §3): FIND_NODE requests and messages per lookup, hops, and
 *     the CPU time of one lookup (all routers run in this process, so it is the whole
 *     network's work for it), with d = 4 disjoint paths and with plain Kademlia (d = 1);
 * (b) deposit cost: the PoW a sender does to reach a descriptor's minPow for a 1 KiB
 *     envelope of 1 day TTL (@hush/envelope's real seal, one thread), the holder-side
 *     admission of one deposit (decode, hash and PoW, the rules of §5.1, a MemoryStore
 *     write), and one deposit to the r = 20 closest over real `hush-dht/1` Noise links
 *     (lookup, 20 DEPOSITs, 20 admissions; PoW excluded);
 * (c) one fetch over the 20 holders (signed once, verified by each, pages merged).
 *
 * Each figure is printed with what it is compared with: geth v1.8.27's recorded figure
 * (tools/geth-reference/recorded.json) where one does comparable work, Kademlia's bound for
 * hops, otherwise "no reference". Medians of rounds; nothing here is asserted.
 */

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compare, geth, section } from '@hush/bench-support';
import { randomBytes, secp256k1Identity, secp256k1Verifier } from '@hush/crypto';
import {
  createEnvelope,
  type Envelope,
  encodeEnvelope,
  envelopeSize,
  sealEnvelope,
} from '@hush/envelope';
import {
  type Connection,
  ManualClock,
  MemoryStore,
  type PeerId,
  peerIdFromPublicKey,
  systemClock,
} from '@hush/interface';
import { rawChannelPair } from '@hush/interface-compliance';
import { keccak256, keccakReady } from '@hush/keccak';
import { ed25519 } from '@noble/curves/ed25519.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { percentile as percentileOfSorted, prng } from '../sim/random.js';
import {
  type DescriptorFields,
  DhtNode,
  DhtRouter,
  decodeMessage,
  depositMessage,
  dhtLinkEncrypter,
  encodeMessage,
  epochOf,
  generateInboxKey,
  Holder,
  holderServer,
  inboxLocation,
  MemoryDhtNetwork,
  routerHandler,
  signDescriptor,
} from '../src/index.js';

const ROUTERS = 1_000;
const LOOKUPS = 100;
/** A 1 KiB envelope: Whisper size 20 + 1,004 bytes of data. */
const DATA_BYTES = 1_004;
const TTL = 86_400;
const TOPIC = Uint8Array.of(0x68, 0x75, 0x73, 0x68);
const encoder = new TextEncoder();

/** mulberry32: a small seeded PRNG. */
function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

/** The p-th percentile (nearest rank) of unsorted values. */
function percentile(values: readonly number[], p: number): number {
  return values.length
    ? percentileOfSorted(
        [...values].sort((a, b) => a - b),
        p,
      )
    : 0;
}

function cpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

/** One figure line: name, value, and what it is compared with. */
function figure(name: string, value: string, reference: string): void {
  console.log(`  ${name.padEnd(58)} ${value.padStart(16)}  [${reference}]`);
}

/** geth's recorded Seal hash rate (tools/geth-reference/recorded.json), if recorded. */
function recordedSealRate(): { rate: number; source: string } | undefined {
  try {
    const file = JSON.parse(
      readFileSync(
        join(import.meta.dirname, '..', '..', '..', 'tools', 'geth-reference', 'recorded.json'),
        'utf8',
      ),
    ) as { cases: Record<string, { rate: number; date: string; cpu: string; cores: number }> };
    const seal = file.cases['seal-hashrate'];
    return seal
      ? { rate: seal.rate, source: `recorded ${seal.date} on ${seal.cpu}, ${seal.cores} cores` }
      : undefined;
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------
// (a) lookups

async function lookups(): Promise<void> {
  section(
    `(a) Lookup of a random id in ${ROUTERS.toLocaleString('en')} routers over MemoryDhtNetwork (real wire codec, zero latency, honest nodes); ${LOOKUPS} lookups each`,
  );
  const random = prng(14);
  const clock = new ManualClock(1_800_000_000_000);
  const network = new MemoryDhtNetwork({ clock });
  const routers: DhtRouter[] = [];
  const built = performance.now();
  for (let i = 0; i < ROUTERS; i++) {
    const publicKey = secp256k1.getPublicKey(
      keccak256(encoder.encode(`hush-dht-bench ${i}`)),
      false,
    );
    const peer = peerIdFromPublicKey(publicKey);
    const endpoints = [`memory://${i}`];
    const router = new DhtRouter({
      publicKey,
      endpoints,
      rpc: network.rpc(peer, endpoints),
      clock,
      refreshIntervalMs: 0,
      randomBytes: (n) => Uint8Array.from({ length: n }, () => Math.floor(random() * 256)),
      rateLimit: { perSecond: 1e9, burst: 1e9 },
    });
    network.attach(peer, routerHandler(router));
    routers.push(router);
    if (i > 0) await router.start([routers[Math.floor(random() * i)]!.self]);
  }
  for (const router of routers) await router.refresh();
  const sizes = routers.map((r) => r.table.size);
  console.log(
    `  network built in ${((performance.now() - built) / 1000).toFixed(1)} s (each joins through a random earlier node, then every node refreshes once); ` +
      `table size p50 ${percentile(sizes, 50)}, max ${Math.max(...sizes)}`,
  );
  for (const paths of [4, 1]) {
    const hops: number[] = [];
    const queried: number[] = [];
    const messages: number[] = [];
    const cpu: number[] = [];
    const wall: number[] = [];
    // Warm-up lookups, not counted.
    for (let i = 0; i < 20; i++)
      await routers[Math.floor(random() * ROUTERS)]!.lookup(
        Uint8Array.from({ length: 32 }, () => Math.floor(random() * 256)),
        { paths },
      );
    for (let i = 0; i < LOOKUPS; i++) {
      const from = routers[Math.floor(random() * ROUTERS)]!;
      const target = Uint8Array.from({ length: 32 }, () => Math.floor(random() * 256));
      const sent = network.messages;
      const cpuStart = cpuMs();
      const start = performance.now();
      const result = await from.lookup(target, { paths });
      wall.push(performance.now() - start);
      cpu.push(cpuMs() - cpuStart);
      messages.push(network.messages - sent);
      queried.push(result.queried);
      hops.push(result.hops);
    }
    const label = paths === 4 ? 'd = 4 (S/Kademlia, the default)' : 'd = 1 (plain Kademlia)';
    console.log(`  ${label}`);
    figure(
      '  FIND_NODE requests per lookup (median, p90)',
      `${median(queried)}, ${percentile(queried, 90)}`,
      `Kademlia: α = 3 per step; bound min(640, 8·k·d) = ${Math.min(640, 8 * 20 * paths)}`,
    );
    figure(
      '  messages per lookup (requests + answers, median)',
      `${median(messages)}`,
      'no reference',
    );
    figure(
      '  hops to the closest node (p50, p90, max)',
      `${percentile(hops, 50)}, ${percentile(hops, 90)}, ${Math.max(...hops)}`,
      `Kademlia's O(log₂ N) bound: ⌈log₂ ${ROUTERS}⌉ = ${Math.ceil(Math.log2(ROUTERS))}; no measured IPFS figure recorded here`,
    );
    figure(
      '  CPU per lookup, whole network in this process (median)',
      `${median(cpu).toFixed(2)} ms`,
      `no reference; wall ${median(wall).toFixed(2)} ms`,
    );
  }
}

// ---------------------------------------------------------------------------------------
// (b) PoW to a descriptor's minimum

function envelopeOf(data: Uint8Array, nowS: number): Envelope {
  return createEnvelope({ expiry: nowS + TTL, ttl: TTL, topic: TOPIC, data });
}

async function pow(): Promise<void> {
  section(
    `(b) Deposit PoW: a ${20 + DATA_BYTES}-byte (Whisper size) envelope, TTL 1 day, sealed to a descriptor's minPow (@hush/envelope sealEnvelope, 1 thread)`,
  );
  const backend = await keccakReady();
  const envelope = envelopeOf(randomBytes(DATA_BYTES), Math.floor(Date.now() / 1000));
  const size = envelopeSize(envelope);
  const gethSeal = recordedSealRate();
  // One real seal at the lowest target gives the hash rate; the expected work at a target is
  // 2^bits hashes (a nonce with `bits` trailing zero bits), bits = ⌈log₂(minPow × size × ttl)⌉.
  let last = { hashes: 0, elapsedMs: 0 };
  // The seal is capped at 10 s, so that an unlucky draw does not hold up the run.
  const started = performance.now();
  let reached = true;
  try {
    await sealEnvelope(envelope, {
      pow: 0.2,
      workTime: 10,
      onProgress: (p) => {
        last = p;
      },
    });
  } catch {
    reached = false;
  }
  const sealMs = performance.now() - started;
  const rate = (last.hashes * 1000) / sealMs;
  figure(
    `minPow 0.2, measured: hashes, ms (${backend})`,
    `${(last.hashes / 1e6).toFixed(1)} M, ${sealMs.toFixed(0)} ms`,
    `${reached ? 'one seal' : 'not reached in the 10 s cap'}: its hash count is one draw of a geometric law; rate ${(rate / 1e6).toFixed(2)} M H/s`,
  );
  for (const minPow of [0.2, 1, 2]) {
    const bits = Math.max(1, Math.ceil(Math.log2(minPow * size * TTL)));
    const expected = 2 ** bits;
    const ms = (expected / rate) * 1000;
    const ref = gethSeal
      ? `geth Envelope.Seal at the same target: ${((expected / gethSeal.rate) * 1000).toFixed(0)} ms at ${(gethSeal.rate / 1e6).toFixed(2)} M H/s (${gethSeal.source}); ratio ${(gethSeal.rate / rate).toFixed(2)}× of geth's time`
      : 'geth [seal-hashrate]: no recorded figure';
    figure(
      `minPow ${minPow}: ${bits} bits, expected hashes, ms at this rate`,
      `${(expected / 1e6).toFixed(1)} M, ${ms.toFixed(0)} ms`,
      ref,
    );
  }
}

// ---------------------------------------------------------------------------------------
// (b) holder-side admission

async function admission(): Promise<void> {
  section(
    'Holder admission of one deposit (1 KiB envelope): decode, hash + PoW, the rules of §5.1, a MemoryStore batch',
  );
  const PER_ROUND = 8_000;
  const T = Date.now();
  const nowS = Math.floor(T / 1000);
  const key = generateInboxKey();
  const epoch = epochOf(T);
  const fields: DescriptorFields = {
    epoch,
    seq: 1n,
    minPow: 0,
    maxSize: 4096,
    maxTtl: TTL,
    encryptionKey: secp256k1.getPublicKey(secp256k1.utils.randomSecretKey(), false),
  };
  const descriptor = signDescriptor(fields, key.secretKey);
  const location = inboxLocation(key.publicKey, epoch);
  const unlimited = {
    maxItems: 1e9,
    maxBytes: 1e12,
    maxItemsPerLocation: 1e9,
    maxBytesPerLocation: 1e12,
    maxItemsPerPeer: 1e9,
  };
  const envelopes = (n: number) =>
    Array.from({ length: n }, () => encodeEnvelope(envelopeOf(randomBytes(DATA_BYTES), nowS)));
  const fresh = async () => {
    const holder = await Holder.open(new MemoryStore(), {
      clock: new ManualClock(T),
      limits: unlimited,
    });
    await holder.put(descriptor);
    return holder;
  };
  const peer = 'ab'.repeat(32) as PeerId;
  const reference = geth(
    'decode-single',
    'geth: decode + hash + PoW of a 300-byte-data envelope, no rules, no store',
  );
  await compare(
    'Holder.deposit of encoded envelopes',
    async () => {
      const holder = await fresh();
      const batch = envelopes(PER_ROUND);
      const start = performance.now();
      for (const bytes of batch) await holder.deposit(location, bytes, { peer });
      return (PER_ROUND * 1000) / (performance.now() - start);
    },
    { unit: ' dep/s', reference, runs: 3 },
  );
  await compare(
    'the same from DEPOSIT frames (decodeMessage, holderServer)',
    async () => {
      const holder = await fresh();
      const serve = holderServer(holder);
      const frames = envelopes(PER_ROUND).map((bytes) =>
        encodeMessage({ ...depositMessage(location, bytes), requestId: 1 }),
      );
      const start = performance.now();
      for (const frame of frames) await serve(peer, decodeMessage(frame));
      return (PER_ROUND * 1000) / (performance.now() - start);
    },
    { unit: ' dep/s', reference, runs: 3 },
  );
}

// ---------------------------------------------------------------------------------------
// (b, c) deposit to the r = 20 closest and fetch over them, on real hush-dht/1 links

const verifier = secp256k1Verifier();

async function network(): Promise<void> {
  const NODES = 30;
  const ROUNDS = 40;
  section(
    `Deposit to the r = 20 closest, and fetch over them: ${NODES} DhtNodes over real hush-dht/1 Noise links (in-memory channels), MemoryStore holders; PoW excluded (envelopes sealed beforehand)`,
  );
  let wireBytes = 0;
  let frames = 0;
  const parties = new Map<
    PeerId,
    {
      node: DhtNode;
      identity: ReturnType<typeof secp256k1Identity>;
      encrypter: ReturnType<typeof dhtLinkEncrypter>;
    }
  >();
  const link = async (from: PeerId, to: PeerId): Promise<[Connection, Connection]> => {
    const a = parties.get(from)!;
    const b = parties.get(to)!;
    const [ra, rb] = rawChannelPair(({ bytes }) => {
      wireBytes += bytes.length;
      frames++;
      return [bytes];
    });
    return Promise.all([
      a.encrypter.secureOutbound(ra, { remotePeer: to }),
      b.encrypter.secureInbound(rb),
    ]);
  };
  const nodes: DhtNode[] = [];
  for (let i = 0; i < NODES; i++) {
    const identity = secp256k1Identity(randomBytes(32));
    const encrypter = dhtLinkEncrypter({ identity, verifier, staticKey: randomBytes(32) });
    const peer = identity.peerId as PeerId;
    const node: DhtNode = new DhtNode({
      publicKey: identity.publicKey,
      holder: await Holder.open(new MemoryStore(), { clock: systemClock }),
      endpoints: [`memory:${i}`],
      router: { refreshIntervalMs: 0, rateLimit: { perSecond: 1e6, burst: 1e6 } },
      dial: async (contact) => {
        const other = parties.get(contact.peer);
        if (!other) throw new Error('nobody there');
        const [outbound, inbound] = await link(peer, contact.peer);
        other.node.accept(inbound);
        return outbound;
      },
    });
    parties.set(peer, { node, identity, encrypter });
    nodes.push(node);
  }
  for (const node of nodes.slice(1)) await node.start([nodes[0]!.self]);
  for (const node of nodes) await node.router.refresh();

  const key = generateInboxKey();
  const epoch = epochOf(Date.now());
  const minPow = 0.001;
  const descriptor = signDescriptor(
    {
      epoch,
      seq: 1n,
      minPow,
      maxSize: 4096,
      maxTtl: TTL,
      encryptionKey: secp256k1.getPublicKey(secp256k1.utils.randomSecretKey(), false),
    },
    key.secretKey,
  );
  const location = inboxLocation(key.publicKey, epoch);
  const owner = nodes[0]!;
  const depositor = nodes[NODES - 1]!;
  const published = await owner.publish(descriptor);
  const nowS = Math.floor(Date.now() / 1000);
  const sealed: Envelope[] = [];
  for (let i = 0; i < ROUNDS + 5; i++)
    sealed.push(
      await sealEnvelope(envelopeOf(randomBytes(DATA_BYTES), nowS), { pow: minPow, workTime: 10 }),
    );
  // Warm-up: every connection the depositor and the owner need is dialed here.
  for (const e of sealed.slice(0, 5)) await depositor.deposit(location, e);
  await owner.fetch(key.secretKey, location, { limit: 10 });

  const depositCpu: number[] = [];
  const lookupCpu: number[] = [];
  const depositWall: number[] = [];
  let accepted = 0;
  let depositBytes = 0;
  let depositFrames = 0;
  for (const e of sealed.slice(5)) {
    const b0 = wireBytes;
    const f0 = frames;
    const c0 = cpuMs();
    const t0 = performance.now();
    const outcome = await depositor.deposit(location, e);
    depositWall.push(performance.now() - t0);
    depositCpu.push(cpuMs() - c0);
    depositBytes += wireBytes - b0;
    depositFrames += frames - f0;
    accepted += outcome.accepted;
    // The lookup alone, interleaved with the deposits so that both see the same machine.
    const c1 = cpuMs();
    await depositor.holders(location);
    lookupCpu.push(cpuMs() - c1);
  }
  figure(
    'one deposit to the r = 20 closest: CPU, all parties (median)',
    `${median(depositCpu).toFixed(2)} ms`,
    `no reference; wall ${median(depositWall).toFixed(2)} ms; lookup + 20 DEPOSITs + 20 admissions; ${(accepted / ROUNDS).toFixed(1)} holders accepted`,
  );
  figure(
    '  its frames and bytes on the links (Noise framing included)',
    `${(depositFrames / ROUNDS).toFixed(0)}, ${(depositBytes / ROUNDS / 1024).toFixed(1)} KiB`,
    `no reference; ${published.accepted} holders of the descriptor`,
  );
  figure(
    '  of which the lookup of the location (median)',
    `${median(lookupCpu).toFixed(2)} ms`,
    'no reference',
  );

  const fetchCpu: number[] = [];
  const fetchWall: number[] = [];
  let items = 0;
  let fetchBytes = 0;
  for (let i = 0; i < ROUNDS; i++) {
    const b0 = wireBytes;
    const c0 = cpuMs();
    const t0 = performance.now();
    const fetched = await owner.fetch(key.secretKey, location, { limit: 10 });
    fetchWall.push(performance.now() - t0);
    fetchCpu.push(cpuMs() - c0);
    fetchBytes += wireBytes - b0;
    items = fetched.page.items.length;
  }
  figure(
    `(c) one fetch of a ${items}-item page over 20 holders: CPU (median)`,
    `${median(fetchCpu).toFixed(2)} ms`,
    `no reference; wall ${median(fetchWall).toFixed(2)} ms; one signed request, 20 ed25519 verifications, 20 pages merged`,
  );
  const verify: number[] = [];
  const message = randomBytes(300);
  const signature = ed25519.sign(message, key.secretKey);
  for (let i = 0; i < 220; i++) {
    const t0 = performance.now();
    ed25519.verify(signature, message, key.publicKey, { zip215: false });
    if (i >= 20) verify.push(performance.now() - t0);
  }
  figure(
    '  of which 20 ed25519 verifications (@noble/curves, pure JS)',
    `${(20 * median(verify)).toFixed(2)} ms`,
    'no reference; one holder checks one signed request with one',
  );
  figure(
    '  its bytes on the links',
    `${(fetchBytes / ROUNDS / 1024).toFixed(1)} KiB`,
    'no reference; each holder sends the whole page',
  );
  for (const node of nodes) node.stop();
}

export async function run(): Promise<void> {
  await lookups();
  await pow();
  await admission();
  await network();
}
