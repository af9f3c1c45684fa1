/**
 * Direct channels against gossip, and over the node's LevelDB store (issue 13, Speed). Here
 * because the app is where both transports and the LevelDB store meet: protocol packages
 * never import each other (ARCHITECTURE.md), so transport-direct's own bench
 * (packages/transport-direct/bench) cannot hold the comparison. The direct rounds are that
 * bench's (its bench/ helpers, imported by path).
 *
 * - Latency of one 300-byte message between the same two nodes over loopback WebSockets: the
 *   direct path (wrap, no PoW → DirectNode.send → Noise `hush-direct/1` → the other
 *   DirectNode's envelope event) and the gossip path (wrap and seal with PoW 0.2 on the PoW
 *   workers, as the node's shh_post does → GossipNode.post → the other GossipNode's envelope
 *   event), each message after a random pause so that it meets gossip's 300 ms transmission
 *   cycle at a random phase.
 * - Bytes on the wire per delivered message, and envelopes received per delivered message in a
 *   4-node fully connected gossip mesh.
 * - Messages/s over one channel and the 10,000-message outbox flush, with LevelDB stores.
 *
 * Figures are medians of rounds; nothing is asserted.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { section } from '@hush/bench-support';
import { webSocketCarrier } from '@hush/carrier-websocket';
import { randomBytes } from '@hush/crypto';
import type { Envelope } from '@hush/envelope';
import type { Store } from '@hush/interface';
import { keccakReady } from '@hush/keccak';
import { generatePrivateKey, wrapMessage } from '@hush/message';
import { createPowWorkerPool, type PowScanPool } from '@hush/pow';
import {
  createGossipNode,
  type GossipNode,
  gossipLinkEncrypter,
  linkTransport,
} from '@hush/transport-gossip';
import {
  countedCarrier,
  directEnvelopes,
  LoopbackContacts,
  median,
  payload,
  quantile,
  rounds,
  TOPIC,
  until,
  WireCount,
} from '../../../packages/transport-direct/bench/loopback.js';
import {
  type FlushRound,
  flushRound,
  memoryStore,
  printFlush,
  printThroughput,
  type ThroughputRound,
  throughputRound,
} from '../../../packages/transport-direct/bench/scenarios.js';
import { LevelStore } from '../src/index.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A gossip node on a loopback WebSocket whose raw channels are counted. */
async function gossipNode(key: Uint8Array, bootstrap: string[] = []) {
  const wire = new WireCount();
  const node = createGossipNode({
    key,
    transport: linkTransport(
      countedCarrier(webSocketCarrier({ host: '127.0.0.1' }), wire),
      gossipLinkEncrypter({ privateKey: key }),
    ),
    bootstrap,
    maxInboundPerAddress: 8,
  });
  await node.start();
  return { node, wire };
}

const ready = (node: GossipNode) => node.stats().peers.filter((p) => p.ready).length;

/** Seals a 300-byte message with PoW 0.2 as shh_post does (same wrap, same workers). */
function sealGossip(i: number, symKey: Uint8Array, pool: PowScanPool): Promise<Envelope> {
  return wrapMessage({
    topic: TOPIC,
    payload: payload(i),
    symKey,
    pow: 0.2,
    workTime: 2,
    ttl: 60,
    pool,
  });
}

async function latency(pool: PowScanPool, workers: number): Promise<void> {
  section(
    'Latency of one 300-byte message between the same two nodes over loopback WebSockets (direct vs gossip)',
  );
  const keys = [generatePrivateKey(), generatePrivateKey()];
  const direct = new LoopbackContacts();
  const a = await direct.add(undefined, keys[0]);
  const b = await direct.add(undefined, keys[1]);
  await direct.connect(a, b);
  const ga = await gossipNode(keys[0]!);
  const gb = await gossipNode(keys[1]!, [ga.node.linkAddresses[0]!]);
  await until(() => ready(ga.node) === 1 && ready(gb.node) === 1, 'the gossip peers');
  const symKey = randomBytes(32);
  let i = 0;
  const arrival = (subscribe: (handler: (hash: Uint8Array) => void) => () => void) => {
    let wanted: string | undefined;
    let resolve: (() => void) | undefined;
    const early = new Set<string>();
    subscribe((hash) => {
      const hex = Buffer.from(hash).toString('hex');
      if (hex === wanted) resolve?.();
      else early.add(hex);
    });
    return (hash: Uint8Array) =>
      new Promise<void>((done) => {
        wanted = Buffer.from(hash).toString('hex');
        if (early.delete(wanted)) return done();
        resolve = done;
      });
  };
  const directArrived = arrival((h) => b.node.onEnvelope(({ hash }) => h(hash)));
  const gossipArrived = arrival((h) => gb.node.onEnvelope(({ hash }) => h(hash)));
  const directSample = async () => {
    const started = performance.now();
    const envelope = await wrapMessage({
      topic: TOPIC,
      payload: payload(i++),
      symKey,
      pow: 0,
      workTime: 0,
      ttl: 60,
    });
    const wrapped = performance.now();
    const { hash } = await a.node.send(b.peer, envelope);
    await directArrived(hash);
    return { total: performance.now() - started, prepare: wrapped - started };
  };
  const gossipSample = async () => {
    const started = performance.now();
    const envelope = await sealGossip(i++, symKey, pool);
    const sealed = performance.now();
    const hash = ga.node.post(envelope);
    await gossipArrived(hash);
    return { total: performance.now() - started, prepare: sealed - started };
  };
  type Figures = { p50: number[]; p95: number[]; prepare: number[] };
  const figures: Record<'direct' | 'gossip', Figures> = {
    direct: { p50: [], p95: [], prepare: [] },
    gossip: { p50: [], p95: [], prepare: [] },
  };
  const perRound = 20;
  for (let round = 0; round < 6; round++) {
    for (const [name, sample] of [
      ['direct', directSample],
      ['gossip', gossipSample],
    ] as const) {
      const totals: number[] = [];
      const prepares: number[] = [];
      for (let k = 0; k < perRound; k++) {
        await sleep(Math.random() * 300);
        const { total, prepare } = await sample();
        totals.push(total);
        prepares.push(prepare);
      }
      if (round === 0) continue; // warm-up: JIT, workers, the channel's first frames
      figures[name].p50.push(median(totals));
      figures[name].p95.push(quantile(totals, 0.95));
      figures[name].prepare.push(median(prepares));
    }
  }
  const d = figures.direct;
  const g = figures.gossip;
  console.log(
    `  direct (wrap, no PoW; DirectNode → Noise hush-direct/1 → DirectNode)   p50 ${rounds(d.p50, 2, ' ms')}\n` +
      `      p95 ${median(d.p95).toFixed(2)} ms; of which the wrap ${median(d.prepare).toFixed(2)} ms\n` +
      `  gossip (wrap + PoW 0.2 on ${workers} worker${workers > 1 ? 's' : ''}; GossipNode → GossipNode)   p50 ${rounds(g.p50, 1, ' ms')}\n` +
      `      p95 ${median(g.p95).toFixed(1)} ms; of which the seal ${median(g.prepare).toFixed(1)} ms, ` +
      `the rest mostly the wait for the 300 ms transmission cycle (geth's, ~150 ms on average)\n` +
      `  ratio gossip / direct: p50 ${(median(g.p50) / median(d.p50)).toFixed(0)}×, p95 ${(median(g.p95) / median(d.p95)).toFixed(0)}×   ` +
      `(the proposal promised a 2–5× reduction)\n` +
      `  (${perRound} messages per round and path, rounds alternating, after a warm-up round; each after a random 0–300 ms pause)`,
  );
  await direct.close();
  await gb.node.stop();
  await ga.node.stop();
}

async function wireBytes(pool: PowScanPool): Promise<void> {
  section('Bytes on the wire per delivered message and duplicates: gossip (PoW 0.2 envelopes)');
  const symKey = randomBytes(32);
  const count = 500;
  const envelopes: Envelope[] = [];
  for (let i = 0; i < count; i++) envelopes.push(await sealGossip(1_000_000 + i, symKey, pool));
  const size = envelopes[0]!.data.length;

  // Two nodes: one peer, every envelope delivered once.
  {
    const ga = await gossipNode(generatePrivateKey());
    const gb = await gossipNode(generatePrivateKey(), [ga.node.linkAddresses[0]!]);
    await until(() => ready(ga.node) === 1 && ready(gb.node) === 1, 'the gossip peers');
    await sleep(700); // status and settings exchanged, nothing else in flight
    let got = 0;
    gb.node.onEnvelope(() => got++);
    const before = ga.wire.bytes;
    for (const envelope of envelopes) ga.node.post(envelope);
    await until(() => got === count, 'every envelope at the peer');
    await sleep(700);
    const bytes = ga.wire.bytes - before;
    const stats = gb.node.stats().peers[0]!;
    console.log(
      `  2 nodes, ${count} envelopes (data ${size} B) posted at once: ${(bytes / count).toFixed(1)} B on the wire per delivered message ` +
        `(both ways, no acknowledgements); envelopes received per delivered ${(stats.envelopesReceived / count).toFixed(2)}`,
    );
    await gb.node.stop();
    await ga.node.stop();
  }

  // Four nodes, fully connected: node 0 posts, the three others each want every envelope.
  {
    const nodes = [await gossipNode(generatePrivateKey())];
    for (let i = 1; i < 4; i++)
      nodes.push(
        await gossipNode(
          generatePrivateKey(),
          nodes.map((n) => n.node.linkAddresses[0]!),
        ),
      );
    await until(() => nodes.every((n) => ready(n.node) === 3), 'the 4-node mesh');
    await sleep(700);
    const got = [0, 0, 0, 0];
    for (const [i, n] of nodes.entries())
      n.node.onEnvelope(({ source }) => {
        if (source !== 'local') got[i]!++;
      });
    const received = () =>
      nodes.reduce(
        (sum, n) => sum + n.node.stats().peers.reduce((s, p) => s + p.envelopesReceived, 0),
        0,
      );
    const receivedBefore = received();
    const before = nodes.reduce((sum, n) => sum + n.wire.sentBytes, 0);
    for (const envelope of envelopes) nodes[0]!.node.post(envelope);
    await until(() => got.slice(1).every((g) => g === count), 'every envelope at every node');
    await sleep(1500); // the relays' own cycles: the duplicates they send
    const delivered = 3 * count;
    const receptions = received() - receivedBefore;
    const bytes = nodes.reduce((sum, n) => sum + n.wire.sentBytes, 0) - before;
    console.log(
      `  4 nodes fully connected, ${count} envelopes posted at node 0, delivered to 3: ` +
        `envelopes received per delivered message ${(receptions / delivered).toFixed(2)} ` +
        `(${receptions - delivered} duplicates), ${(bytes / delivered).toFixed(1)} B on the wire per delivered message\n` +
        `  (direct: one channel per contact, each message received once (duplicates only after a lost acknowledgement); ` +
        `its bytes per message are in "One channel" below and in packages/transport-direct/bench)`,
    );
    for (const n of nodes.reverse()) await n.node.stop();
  }
}

async function levelStore(): Promise<{ store: Store; close(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'hush-bench-direct-'));
  const store = await LevelStore.open(dir);
  return {
    store,
    close: async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function overLevelDb(): Promise<void> {
  // Fewer messages and rounds than over MemoryStore: with LevelDB the receiver's inbox is
  // slower than the 2 s retransmission timer (see the transmissions per message), and a
  // 20,000-message round takes minutes.
  const count = 5_000;
  section(
    `One channel: ${count.toLocaleString('en')} messages of 300-byte payloads, LevelDB stores (the node’s) vs MemoryStore`,
  );
  const level: ThroughputRound[] = [];
  const memory: ThroughputRound[] = [];
  for (let round = 0; round < 3; round++) {
    level.push(await throughputRound(await directEnvelopes(count), levelStore));
    memory.push(await throughputRound(await directEnvelopes(count), memoryStore));
  }
  printThroughput(level, 'LevelDB, send() of all → all acknowledged');
  printThroughput(memory, 'MemoryStore, same run');

  section('Outbox flush of 10,000 messages accepted while the contact is offline, LevelDB stores');
  const flushes: FlushRound[] = [];
  for (let round = 0; round < 2; round++)
    flushes.push(await flushRound(await directEnvelopes(10_000), levelStore));
  printFlush(flushes, 10_000, 'LevelDB, contact comes online → all acknowledged');
}

export async function run(): Promise<void> {
  await keccakReady();
  const workers = Math.max(1, availableParallelism() - 1);
  const pool = await createPowWorkerPool(workers);
  try {
    await latency(pool, workers);
    await wireBytes(pool);
  } finally {
    await pool.close();
  }
  await overLevelDb();
}
