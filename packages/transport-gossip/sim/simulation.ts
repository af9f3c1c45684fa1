/**
 * A gossip network simulation: N in-process nodes on the in-memory transport (real engine,
 * real authentication), a random topology, envelopes posted at random nodes, time driven by a
 * manual clock one transmission cycle at a time. Deterministic for a seed: topology, posters,
 * topics and light nodes all come from it. A second mode runs nodes over loopback WebSockets
 * on the real clock.
 *
 * With `traceDir` (issue 17, item 5; specs/mixnet-sphinx/SPEC.md §13.2) a memory run writes
 * what a global observer of every link sees, and the truth, in the mixnet simulation's trace
 * format: every node is a client, each envelope sent on a link is a line, and times are the
 * manual clock's from the first post, one transmission cycle (TRANSMISSION_CYCLE_MS) a step,
 * a link delivering within the step it was sent in.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { topicsToBloom } from '@hush/bloom';
import { createEnvelope, type Envelope, encodeEnvelope } from '@hush/envelope';
import { ManualClock } from '@hush/interface';
import { generatePrivateKey } from '@hush/message';
import {
  createGossipNode,
  type GossipNode,
  MemoryNetwork,
  TRANSMISSION_CYCLE_MS,
  webSocketTransport,
} from '../src/index.js';

/** What to simulate. */
export interface SimulationOptions {
  readonly nodes: number;
  /** Connections each node dials (the graph is connected first, then random edges). */
  readonly degree: number;
  readonly messages: number;
  readonly seed: number;
  /** Share of nodes that are light clients with a bloom filter of `lightTopics` topics. */
  readonly lightShare?: number;
  readonly lightTopics?: number;
  /** Distinct topics envelopes are spread over. */
  readonly topics?: number;
  /** Envelope payload size. */
  readonly payloadBytes?: number;
  /** 'memory' (manual clock) or 'websocket' (loopback, real clock). */
  readonly transport?: 'memory' | 'websocket';
  /**
   * Writes the trace of the run to this directory (memory transport only; §13.2):
   * `links.jsonl`, `truth.jsonl`, `nodes.json`.
   */
  readonly traceDir?: string;
  readonly onProgress?: (line: string) => void;
}

/** What happened. */
export interface SimulationReport {
  readonly nodes: number;
  readonly edges: number;
  readonly messages: number;
  /** Deliveries over (message, interested node) pairs. */
  readonly deliveryRatio: number;
  /** Transmission cycles from posting to first arrival. */
  readonly latencyCycles: {
    readonly p50: number;
    readonly p95: number;
    readonly p99: number;
    readonly max: number;
  };
  /** Receptions of an envelope a node already had, per envelope. */
  readonly duplicatesPerEnvelope: number;
  /** Bytes sent plus received, per node. */
  readonly bytesPerNode: number;
  /** Light nodes: bytes they received, against what a full node received on average. */
  readonly light: {
    readonly count: number;
    readonly bytesReceived: number;
    readonly fullNodeBytesReceived: number;
    readonly saved: number;
  };
  readonly wallMs: number;
}

/** mulberry32: a small seeded PRNG. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

async function flush(rounds = 3): Promise<void> {
  for (let i = 0; i < rounds; i++) await settle();
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** A node's name in a trace: `n<index>`, the same in its three files. */
const nodeName = (index: number) => `n${index}`;

/** Envelopes one node sent one peer in one transmission cycle. */
interface Transmission {
  readonly cycle: number;
  readonly from: number;
  readonly to: number;
  readonly envelopes: number;
}

/**
 * Watches every node's per-peer count of envelopes sent; each `observe` records what each
 * link carried since the last one.
 */
function linkObserver(nodes: readonly GossipNode[]) {
  const indexOf = new Map(nodes.map((node, i) => [node.id, i]));
  const sent = new Map<string, number>();
  const transmissions: Transmission[] = [];
  return {
    transmissions,
    observe(cycle: number) {
      nodes.forEach((node, from) => {
        for (const peer of node.stats().peers) {
          const to = indexOf.get(peer.id)!;
          const link = `${from}>${to}`;
          const envelopes = peer.envelopesSent - (sent.get(link) ?? 0);
          if (envelopes > 0) transmissions.push({ cycle, from, to, envelopes });
          sent.set(link, peer.envelopesSent);
        }
      });
    },
  };
}

/** What the trace files are made of. */
interface TraceContent {
  readonly options: SimulationOptions & { readonly lightShare: number };
  readonly lightCount: number;
  readonly edges: number;
  readonly transmissions: readonly Transmission[];
  /** Per message: its poster, the cycle it was posted in, who it is meant for, arrivals. */
  readonly messages: readonly {
    readonly poster: number;
    readonly cycle: number;
    readonly meantFor: readonly number[];
    readonly arrival: ReadonlyMap<number, number>;
  }[];
  /** The wire size of every envelope of the run (one payload size, the same fields). */
  readonly envelopeBytes: number;
}

/**
 * Writes links.jsonl, truth.jsonl and nodes.json (§13.2). Gossip delivers to every node: a
 * message's recipient is one node drawn (from its own seeded stream, so the run is the one
 * without a trace) among those it is meant for, the full nodes and the light nodes whose
 * bloom admits its topic, the poster aside; delivered is when that node first had it.
 */
function writeTrace(dir: string, content: TraceContent): void {
  const { options } = content;
  const pick = prng(options.seed ^ 0x5bd1e995);
  const ms = (cycle: number) => cycle * TRANSMISSION_CYCLE_MS;
  const truth = content.messages.map((message, id) => {
    const recipient = message.meantFor[Math.floor(pick() * message.meantFor.length)]!;
    const at = message.arrival.get(recipient);
    return JSON.stringify({
      id: String(id),
      sender: nodeName(message.poster),
      recipient: nodeName(recipient),
      sent: ms(message.cycle),
      delivered: at === undefined ? null : ms(at),
    });
  });
  // One line an envelope on a link, at the time it was sent.
  const links = content.transmissions.flatMap((s) =>
    Array<string>(s.envelopes).fill(
      JSON.stringify({
        t: ms(s.cycle),
        from: nodeName(s.from),
        to: nodeName(s.to),
        bytes: content.envelopeBytes,
      }),
    ),
  );
  const lines = (items: readonly string[]) => (items.length ? `${items.join('\n')}\n` : '');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'links.jsonl'), lines(links));
  writeFileSync(join(dir, 'truth.jsonl'), lines(truth));
  writeFileSync(
    join(dir, 'nodes.json'),
    `${JSON.stringify(
      {
        clients: Array.from({ length: options.nodes }, (_, i) => nodeName(i)),
        gateways: [],
        mixes: [],
        params: {
          kind: 'gossip',
          nodes: options.nodes,
          degree: options.degree,
          edges: content.edges,
          messages: options.messages,
          lightShare: options.lightShare,
          lightNodes: content.lightCount,
          transmissionCycleMs: TRANSMISSION_CYCLE_MS,
          linkLatencyMs: 0,
          envelopeBytes: content.envelopeBytes,
        },
      },
      null,
      2,
    )}\n`,
  );
}

/**
 * Runs a simulation.
 *
 * @throws RangeError for impossible settings (fewer than 2 nodes, degree < 1), or a trace
 *   asked of the WebSocket mode (its real clock gives no step to time a link by)
 */
export async function simulate(options: SimulationOptions): Promise<SimulationReport> {
  const { nodes: count, degree, messages, seed } = options;
  if (count < 2 || degree < 1 || messages < 1)
    throw new RangeError('need ≥ 2 nodes, degree ≥ 1, ≥ 1 message');
  const random = prng(seed);
  const mode = options.transport ?? 'memory';
  if (options.traceDir !== undefined && mode !== 'memory')
    throw new RangeError('a trace needs the memory transport');
  const started = performance.now();
  const clock = new ManualClock(1_800_000_000_000);
  const network = new MemoryNetwork();
  const topicCount = options.topics ?? 16;
  // Random topics: blooms of structured ones overlap and would hide what light nodes save.
  const topics = Array.from({ length: topicCount }, () =>
    Uint8Array.from({ length: 4 }, () => Math.floor(random() * 256)),
  );
  const lightCount = Math.floor(count * (options.lightShare ?? 0));
  const lightTopicCount = options.lightTopics ?? 2;

  const nodes: GossipNode[] = [];
  const lightTopicsOf = new Map<number, Set<number>>();
  for (let i = 0; i < count; i++) {
    const key = generatePrivateKey();
    // The first nodes are full, so light nodes always find full peers to hang on.
    const light = i >= count - lightCount;
    let bloom: Uint8Array | null = null;
    if (light) {
      const mine = new Set<number>();
      while (mine.size < Math.min(lightTopicCount, topicCount))
        mine.add(Math.floor(random() * topicCount));
      lightTopicsOf.set(i, mine);
      bloom = topicsToBloom([...mine].map((t) => topics[t]!));
    }
    const transport =
      mode === 'memory'
        ? network.transport({
            privateKey: key,
            clock,
            limits: { handshakeTimeoutMs: 60_000, idleTimeoutMs: 0 },
          })
        : webSocketTransport({ privateKey: key });
    nodes.push(
      createGossipNode({
        key,
        transport,
        ...(mode === 'memory' ? { clock } : {}),
        minPow: 0,
        maxPeers: 4 * degree + 8,
        lightClient: light,
        bloomFilter: bloom,
        random,
      }),
    );
  }
  for (const node of nodes) await node.start();

  // A random spanning tree among full nodes keeps the graph connected; random edges add degree.
  const fullCount = count - lightCount;
  const edges = new Set<string>();
  const link = (a: number, b: number) => {
    if (a === b || (a >= fullCount && b >= fullCount)) return false;
    const k = a < b ? `${a}-${b}` : `${b}-${a}`;
    if (edges.has(k)) return false;
    edges.add(k);
    nodes[a]!.connect(nodes[b]!.addresses[0]!);
    return true;
  };
  for (let i = 1; i < fullCount; i++) link(i, Math.floor(random() * i));
  for (let i = fullCount; i < count; i++) link(i, Math.floor(random() * fullCount));
  for (let i = 0; i < count; i++) {
    for (let tries = 0, added = 0; added < degree - 1 && tries < 20 * degree; tries++) {
      if (link(i, Math.floor(random() * count))) added++;
    }
  }
  const ready = () =>
    nodes.reduce((n, node) => n + node.stats().peers.filter((p) => p.ready).length, 0) ===
    2 * edges.size;
  for (let i = 0; i < 10_000 && !ready(); i++)
    await (mode === 'memory' ? flush(1) : new Promise((r) => setTimeout(r, 10)));
  options.onProgress?.(`${count} nodes, ${edges.size} connections up`);

  // Who receives what, and when (in cycles).
  const arrival = new Map<string, Map<number, number>>();
  let cycle = 0;
  nodes.forEach((node, index) => {
    node.engine.on('envelope', (accepted) => {
      const key = String.fromCharCode(...accepted.hash);
      let at = arrival.get(key);
      if (!at) {
        at = new Map();
        arrival.set(key, at);
      }
      if (!at.has(index)) at.set(index, cycle);
    });
  });

  // What a global observer sees (§13.2): the envelopes each node sent each peer in a step,
  // from the growth of its per-peer count.
  const trace = options.traceDir === undefined ? undefined : linkObserver(nodes);

  // Post one message per cycle-slot; then let the network settle.
  const posted: {
    key: string;
    topic: number;
    cycle: number;
    poster: number;
    envelope: Envelope;
  }[] = [];
  const perCycle = Math.max(1, Math.ceil(messages / 50));
  const step = async () => {
    cycle++;
    if (mode === 'memory') {
      clock.advance(TRANSMISSION_CYCLE_MS);
      await flush(4);
    } else {
      await new Promise((r) => setTimeout(r, TRANSMISSION_CYCLE_MS));
    }
    trace?.observe(cycle);
  };
  const now = () => Math.floor((mode === 'memory' ? clock.now() : Date.now()) / 1000);
  for (let m = 0; m < messages; ) {
    for (let k = 0; k < perCycle && m < messages; k++, m++) {
      const topic = Math.floor(random() * topicCount);
      const poster = Math.floor(random() * fullCount);
      const data = new Uint8Array(options.payloadBytes ?? 256);
      new DataView(data.buffer).setUint32(0, m);
      const envelope = createEnvelope({
        expiry: now() + 600,
        ttl: 600,
        topic: topics[topic]!,
        data,
      });
      const hash = nodes[poster]!.post(envelope);
      posted.push({ key: String.fromCharCode(...hash), topic, cycle, poster, envelope });
    }
    await step();
  }
  const diameterGuess = Math.ceil(Math.log2(count)) * 4 + 10;
  for (let i = 0; i < diameterGuess; i++) await step();

  // Figures. A message is meant for the full nodes and the light ones whose bloom admits it.
  const meantFor = (node: number, topic: number) =>
    node < fullCount || lightTopicsOf.get(node)!.has(topic);
  let wanted = 0;
  let delivered = 0;
  const latencies: number[] = [];
  for (const message of posted) {
    const at = arrival.get(message.key) ?? new Map<number, number>();
    for (let i = 0; i < count; i++) {
      if (!meantFor(i, message.topic)) continue;
      wanted++;
      const when = at.get(i);
      if (when !== undefined) {
        delivered++;
        latencies.push(when - message.cycle);
      }
    }
  }
  latencies.sort((a, b) => a - b);
  let duplicates = 0;
  let bytes = 0;
  let lightBytes = 0;
  let fullBytes = 0;
  nodes.forEach((node, i) => {
    for (const peer of node.stats().peers) {
      duplicates += peer.envelopesDuplicate;
      bytes += peer.bytesReceived + peer.bytesSent;
      if (i >= fullCount) lightBytes += peer.bytesReceived;
      else fullBytes += peer.bytesReceived;
    }
  });
  if (trace)
    writeTrace(options.traceDir!, {
      options: { ...options, lightShare: options.lightShare ?? 0 },
      lightCount,
      edges: edges.size,
      transmissions: trace.transmissions,
      messages: posted.map((message) => ({
        poster: message.poster,
        cycle: message.cycle,
        meantFor: [...Array(count).keys()].filter(
          (i) => i !== message.poster && meantFor(i, message.topic),
        ),
        arrival: arrival.get(message.key) ?? new Map<number, number>(),
      })),
      envelopeBytes: encodeEnvelope(posted[0]!.envelope).length,
    });
  const report: SimulationReport = {
    nodes: count,
    edges: edges.size,
    messages,
    deliveryRatio: wanted === 0 ? 1 : delivered / wanted,
    latencyCycles: {
      p50: percentile(latencies, 50),
      p95: percentile(latencies, 95),
      p99: percentile(latencies, 99),
      max: latencies.at(-1) ?? 0,
    },
    duplicatesPerEnvelope: duplicates / messages,
    bytesPerNode: bytes / count,
    light: {
      count: lightCount,
      bytesReceived: lightCount === 0 ? 0 : lightBytes / lightCount,
      fullNodeBytesReceived: fullBytes / fullCount,
      saved: lightCount === 0 ? 0 : 1 - lightBytes / lightCount / (fullBytes / fullCount),
    },
    wallMs: performance.now() - started,
  };
  await Promise.all(nodes.map((n) => n.stop()));
  return report;
}

/** The report as the CLI prints it. */
export function formatReport(r: SimulationReport): string {
  const kb = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
  return [
    `nodes ${r.nodes}, connections ${r.edges}, messages ${r.messages}`,
    `delivery ratio        ${r.deliveryRatio.toFixed(4)}`,
    `latency (cycles)      p50 ${r.latencyCycles.p50}  p95 ${r.latencyCycles.p95}  p99 ${r.latencyCycles.p99}  max ${r.latencyCycles.max}`,
    `duplicates/envelope   ${r.duplicatesPerEnvelope.toFixed(2)}`,
    `bytes per node        ${kb(r.bytesPerNode)}`,
    r.light.count > 0
      ? `light nodes           ${r.light.count}: received ${kb(r.light.bytesReceived)} each against ${kb(r.light.fullNodeBytesReceived)} for a full node (${(100 * r.light.saved).toFixed(1)}% saved)`
      : 'light nodes           none',
    `wall time             ${(r.wallMs / 1000).toFixed(2)} s`,
  ].join('\n');
}
