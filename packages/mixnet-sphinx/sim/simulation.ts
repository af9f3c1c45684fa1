/**
 * `pnpm sim mixnet` (issue 17, item 4; specs/mixnet-sphinx/SPEC.md §9, §12, §13): a mixnet in
 * one process on a virtual clock, with the real packet code — every packet is made with
 * `createPacket` and unwrapped at every hop with `unwrapPacket`, held for the delay its sender
 * drew — and `LoopixClient`s sending their Poisson streams. Links take a fixed latency. What
 * it measures:
 * - end-to-end latency of real messages (queued to delivered at the recipient's gateway), and
 *   the time in the network alone;
 * - sender anonymity as the Loopix paper measures it: every packet carries a probability
 *   distribution over the clients that may have sent it (one-hot as it enters the first
 *   mix); a mix with exponential delays is memoryless, so a packet leaving it is equally
 *   likely any packet it holds at that moment, and leaves with the mean of their
 *   distributions; the entropy of a delivered message's distribution is its sender
 *   anonymity, beside the log2(clients) of a perfect mix;
 * - the bandwidth of cover traffic per client, and the unwrap CPU per client;
 * - every mix's and gateway's own loops (`MixLoops`, at λM, §13.4): sent, back, their round
 *   trip, and lost — with a mix failing midway, the loops through it are lost, which is how
 *   the other nodes notice;
 * - a mix failing midway: messages and loops lost before and after.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { ManualClock, MemoryMetrics } from '@hush/interface';
import { chacha20 } from '@noble/ciphers/chacha.js';
import { x25519 } from '@noble/curves/ed25519.js';
import {
  aezSprp,
  createPacket,
  type DirectoryDocument,
  DROP_RECIPIENT,
  exponentialSample,
  forwardRoute,
  geometry,
  LoopixClient,
  type MixDescriptor,
  MixLoops,
  mixNodeId,
  unwrapPacket,
} from '../src/index.js';

/** How a simulation is set up. */
export interface MixnetSimOptions {
  readonly clients?: number;
  readonly layers?: number;
  readonly mixesPerLayer?: number;
  readonly gateways?: number;
  /** Virtual time simulated, ms (default 60 s). */
  readonly durationMs?: number;
  /** 1/μ, the mean per-hop delay, ms (default 500). */
  readonly meanDelayMs?: number;
  /** Loopix rates per client, per second (default 1 each); `cover: false` sends without any. */
  readonly lambdaP?: number;
  readonly lambdaL?: number;
  readonly lambdaD?: number;
  /** λM, loops per second per mix and gateway (default λL); none with `cover: false`. */
  readonly lambdaM?: number;
  readonly cover?: boolean;
  /** Real messages each client queues per second, Poisson (default 0.05). */
  readonly messageRate?: number;
  /** One-way latency of every link, ms (default 5). */
  readonly linkLatencyMs?: number;
  /** A mix of the middle layer fails at this virtual time, ms. */
  readonly failMixAtMs?: number;
  readonly userPayloadLength?: number;
  readonly seed?: number;
  /**
   * Writes what a global observer sees, and the truth, to this directory (§13.2):
   * `links.jsonl`, `truth.jsonl`, `nodes.json`.
   */
  readonly traceDir?: string;
  readonly onProgress?: (line: string) => void;
}

/** Quantiles and moments of a sample, ms. */
export interface Distribution {
  readonly n: number;
  readonly mean: number;
  readonly sd: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
}

/** What a simulation measured. */
export interface MixnetSimReport {
  readonly options: Required<Omit<MixnetSimOptions, 'onProgress' | 'failMixAtMs' | 'traceDir'>> & {
    readonly failMixAtMs: number | undefined;
  };
  readonly messages: { readonly sent: number; readonly delivered: number };
  /** Queued to delivered, and in the network alone (first hop to delivery). */
  readonly latency: Distribution;
  readonly networkLatency: Distribution;
  /** Sender anonymity of delivered messages, bits, and the most a perfect mix gives. */
  readonly entropy: { readonly mean: number; readonly min: number; readonly max: number };
  readonly packets: {
    readonly real: number;
    readonly cover: number;
    readonly perClientPerSecond: number;
  };
  /** Cover bytes a client sends per hour (packets of the geometry's length). */
  readonly coverBytesPerClientHour: number;
  readonly loops: { readonly sent: number; readonly returned: number };
  /**
   * The mixes' and gateways' own loops: sent, back, lost (not back within their timeout),
   * the mean round trip of those back (ms), and the losses each node saw.
   */
  readonly mixLoops: {
    readonly sent: number;
    readonly returned: number;
    readonly lost: number;
    readonly meanRoundTripMs: number;
    readonly lostByNode: Readonly<Record<string, number>>;
  };
  /** Wall time of all unwraps, per client per simulated second, µs. */
  readonly unwrapMicrosPerClientSecond: number;
  readonly failure?: {
    readonly before: { readonly sent: number; readonly delivered: number };
    readonly after: { readonly sent: number; readonly delivered: number };
    readonly lostAtFailedMix: number;
    /** Mix loops among the packets lost at the failed mix. */
    readonly mixLoopsLostAtFailedMix: number;
  };
  readonly wallMs: number;
}

/** A deterministic random source: ChaCha20's keystream of the seed. */
function seededRandom(seed: number) {
  const key = new Uint8Array(32);
  new DataView(key.buffer).setUint32(0, seed);
  let counter = 1;
  return (length: number) => {
    const out = chacha20(key, new Uint8Array(12), new Uint8Array(length), undefined, counter);
    counter += Math.ceil(length / 64);
    return out;
  };
}

function distribution(values: number[]): Distribution {
  if (values.length === 0) return { n: 0, mean: 0, sd: 0, p50: 0, p90: 0, p99: 0 };
  const sorted = [...values].sort((a, b) => a - b);
  const mean = sorted.reduce((a, b) => a + b, 0) / sorted.length;
  const sd = Math.sqrt(sorted.reduce((a, b) => a + (b - mean) ** 2, 0) / sorted.length);
  const q = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
  return { n: sorted.length, mean, sd, p50: q(0.5), p90: q(0.9), p99: q(0.99) };
}

/**
 * The entropy of a distribution over the clients, normalised: a packet that shared a pool with
 * mix loops carries their share as mass on no client, and a message delivered to a client is
 * known to be a client's.
 */
function entropyOf(p: Float64Array): number {
  let total = 0;
  for (const x of p) total += x;
  let h = 0;
  for (const x of p) if (x > 0) h -= (x / total) * Math.log2(x / total);
  return h;
}

/** What travels with a packet in the simulation, never on the wire. */
interface Meta {
  /** The probability, per client, that it sent this packet. */
  dist: Float64Array;
  /** When it entered the network (first hop). */
  enteredAt: number;
  /** Whether it is a mix's or gateway's own loop. */
  mixLoop?: boolean;
}

/** A mix's pool for the anonymity accounting: the sum of the held packets' distributions. */
interface Pool {
  sum: Float64Array;
  held: number;
}

/**
 * Runs one simulation.
 *
 * @throws RangeError for counts or times that make no network
 */
export async function simulateMixnet(options: MixnetSimOptions = {}): Promise<MixnetSimReport> {
  const o = {
    clients: options.clients ?? 100,
    layers: options.layers ?? 3,
    mixesPerLayer: options.mixesPerLayer ?? 3,
    gateways: options.gateways ?? 3,
    durationMs: options.durationMs ?? 60_000,
    meanDelayMs: options.meanDelayMs ?? 500,
    lambdaP: options.lambdaP ?? 1,
    lambdaL: options.lambdaL ?? 1,
    lambdaD: options.lambdaD ?? 1,
    lambdaM: options.lambdaM ?? options.lambdaL ?? 1,
    cover: options.cover ?? true,
    messageRate: options.messageRate ?? 0.05,
    linkLatencyMs: options.linkLatencyMs ?? 5,
    failMixAtMs: options.failMixAtMs,
    userPayloadLength: options.userPayloadLength ?? 256,
    seed: options.seed ?? 1,
  };
  if (!(o.clients >= 2 && o.layers >= 1 && o.mixesPerLayer >= 1 && o.gateways >= 1))
    throw new RangeError('a network needs 2 clients, a layer, a mix per layer and a gateway');
  const started = performance.now();
  const random = seededRandom(o.seed);
  const geo = geometry(o.layers + 2, o.userPayloadLength);
  const clock = new ManualClock(1_000_000_000);
  const t0 = clock.now();

  // The nodes: each an id, an X25519 key, a pool.
  const node = (name: string) => {
    const identity = random(64);
    // Any 32 bytes are an X25519 key (it is clamped): drawn from the seed, so runs repeat.
    const privateKey = random(32);
    const descriptor: MixDescriptor = {
      id: mixNodeId(identity),
      identity,
      publicKey: x25519.getPublicKey(privateKey),
      endpoints: ['ws://sim'],
    };
    return {
      name,
      descriptor,
      privateKey,
      pool: { sum: new Float64Array(o.clients), held: 0 } as Pool,
      failed: false,
      /** Its own loops (with cover), each node's counters apart: which nodes saw losses. */
      loops: undefined as MixLoops | undefined,
      metrics: new MemoryMetrics(),
    };
  };
  const layers = Array.from({ length: o.layers }, (_, l) =>
    Array.from({ length: o.mixesPerLayer }, (_, i) => node(`m${l}.${i}`)),
  );
  const gateways = Array.from({ length: o.gateways }, (_, i) => node(`g${i}`));
  const byId = new Map(
    [...layers.flat(), ...gateways].map((n) => [Buffer.from(n.descriptor.id).toString('hex'), n]),
  );
  const document: DirectoryDocument = {
    version: 1,
    epoch: 1,
    validFrom: 0,
    validUntil: Number.MAX_SAFE_INTEGER,
    layers: layers.map((l) => l.map((n) => n.descriptor)),
    gateways: gateways.map((n) => n.descriptor),
    sphinx: { hops: geo.hops, userPayloadLength: geo.userPayloadLength },
    parameters: {
      lambdaP: o.lambdaP || 1,
      lambdaL: o.lambdaL || 1,
      lambdaD: o.lambdaD || 1,
      lambdaM: o.lambdaM || 1,
      meanDelayMs: o.meanDelayMs,
    },
  };
  const failed = o.failMixAtMs !== undefined ? layers[Math.floor(o.layers / 2)]![0]! : undefined;

  let unwrapMs = 0;
  let lostAtFailedMix = 0;
  let mixLoopsLostAtFailedMix = 0;
  const lostAt = (meta: Meta) => {
    lostAtFailedMix++;
    if (meta.mixLoop) mixLoopsLostAtFailedMix++;
  };
  /** Without cover, the messages sent alone; with it, the clients' own counters. */
  let plainSent = 0;
  const metrics = new MemoryMetrics();
  // Without cover no client runs, and no metric was registered: nothing was sent on a stream.
  const counted = (name: string, labels: Record<string, string>) =>
    metrics.names().includes(name) ? metrics.value(name, labels) : 0;
  const sentOn = (stream: string) => counted('hush_loopix_packets_sent_total', { stream });
  /** Real messages: id → when queued, by whom, to whom, when delivered. */
  const messages = new Map<
    number,
    { queuedAt: number; delivered: boolean; sender: number; recipient: number; at?: number }
  >();
  /** What a global observer sees: every packet on a link (§13.2). */
  const links: string[] = [];
  const observe = (from: string, to: string, bytes: number) => {
    if (options.traceDir) links.push(JSON.stringify({ t: clock.now() - t0, from, to, bytes }));
  };
  const latencies: number[] = [];
  const networkLatencies: number[] = [];
  const entropies: number[] = [];
  const mixLoopRoundTrips: number[] = [];
  /** Ten times a mix loop's mean delays: the sim's links never take long to open. */
  const lossTimeoutMs = 10 * o.layers * o.meanDelayMs;

  // A packet arriving at a node after the link's latency: unwrapped, held, sent on.
  const arrive = (from: string, hop: Uint8Array, packet: Uint8Array, meta: Meta) => {
    const n = byId.get(Buffer.from(hop).toString('hex'))!;
    observe(from, n.name, packet.length);
    clock.setTimeout(() => {
      if (n.failed) {
        lostAt(meta);
        return;
      }
      const before = performance.now();
      const step = unwrapPacket(geo, n.privateKey, packet, aezSprp);
      unwrapMs += performance.now() - before;
      if (step.kind === 'final') return deliver(n, step.commands, step.payload, meta);
      // Into the pool; out after the delay the sender drew, as the mean of the pool.
      for (let i = 0; i < o.clients; i++) n.pool.sum[i]! += meta.dist[i]!;
      n.pool.held++;
      const delay = step.commands.find((c) => c.type === 'node-delay');
      clock.setTimeout(
        () => {
          // Held when the mix failed: lost there too.
          if (n.failed) {
            lostAt(meta);
            return;
          }
          const dist = new Float64Array(o.clients);
          for (let i = 0; i < o.clients; i++) {
            dist[i] = n.pool.sum[i]! / n.pool.held;
            n.pool.sum[i]! -= dist[i]!;
          }
          n.pool.held--;
          arrive(n.name, step.nextHop, step.packet, {
            dist,
            enteredAt: meta.enteredAt,
            ...(meta.mixLoop ? { mixLoop: true } : {}),
          });
        },
        delay?.type === 'node-delay' ? delay.delayMs : 0,
      );
    }, o.linkLatencyMs);
  };

  const clients: { loopix?: LoopixClient; id: Uint8Array; gateway: Uint8Array; name: string }[] =
    [];
  const deliver = (
    at: ReturnType<typeof node>,
    commands: readonly { type: string }[],
    payload: Uint8Array,
    meta: Meta,
  ) => {
    const recipient = commands.find((c) => c.type === 'recipient') as
      | { id: Uint8Array }
      | undefined;
    if (!recipient || Buffer.from(recipient.id).equals(Buffer.from(DROP_RECIPIENT))) return;
    if (Buffer.from(recipient.id).equals(Buffer.from(at.descriptor.id))) {
      const back = at.loops?.receive(payload);
      if (back) mixLoopRoundTrips.push(back.roundTripMs);
      return;
    }
    const to = clients.find((c) => Buffer.from(c.id).equals(Buffer.from(recipient.id)));
    if (!to) return;
    // The client fetches it from its gateway: a packet on that link too.
    observe(at.name, to.name, geo.packetLength);
    const read = to.loopix ? to.loopix.receive({ payload }) : readPlain(payload);
    if (read.kind !== 'message') return;
    const id = new DataView(read.data.buffer, read.data.byteOffset).getUint32(0);
    const message = messages.get(id);
    if (!message || message.delivered) return;
    message.delivered = true;
    message.at = clock.now();
    latencies.push(clock.now() - message.queuedAt);
    networkLatencies.push(clock.now() - meta.enteredAt);
    entropies.push(entropyOf(meta.dist));
  };
  const readPlain = (payload: Uint8Array) => {
    const length = new DataView(payload.buffer, payload.byteOffset).getUint32(0);
    return { kind: 'message' as const, data: payload.slice(4, 4 + length) };
  };

  for (let c = 0; c < o.clients; c++) {
    const id = random(32);
    const gateway = gateways[c % o.gateways]!.descriptor.id;
    const oneHot = () => {
      const dist = new Float64Array(o.clients);
      dist[c] = 1;
      return dist;
    };
    const submit = (firstHop: Uint8Array, packet: Uint8Array) =>
      arrive(`c${c}`, firstHop, packet, { dist: oneHot(), enteredAt: clock.now() });
    const loopix = o.cover
      ? new LoopixClient({
          geometry: geo,
          directory: () => document,
          self: { id, gateway },
          submit,
          rates: { lambdaP: o.lambdaP, lambdaL: o.lambdaL, lambdaD: o.lambdaD },
          clock,
          random,
          metrics,
        })
      : undefined;
    clients.push(loopix ? { loopix, id, gateway, name: `c${c}` } : { id, gateway, name: `c${c}` });
  }
  // Count real packets by the queue: wrap each client's send.
  let messageId = 0;
  const queueMessage = (from: number) => {
    const sender = clients[from]!;
    let to = Math.floor((random(1)[0]! / 256) * (o.clients - 1));
    if (to >= from) to++;
    const recipient = clients[to]!;
    const id = messageId++;
    messages.set(id, { queuedAt: clock.now(), delivered: false, sender: from, recipient: to });
    const data = new Uint8Array(8);
    new DataView(data.buffer).setUint32(0, id);
    if (sender.loopix) {
      sender.loopix.send({ id: recipient.id, gateway: recipient.gateway }, data);
      return;
    }
    // Without cover: the message leaves at once, alone.
    const payload = random(geo.userPayloadLength);
    new DataView(payload.buffer).setUint32(0, data.length);
    payload.set(data, 4);
    const path = forwardRoute(
      document,
      { entry: sender.gateway, exit: recipient.gateway, recipient: recipient.id },
      random,
    );
    plainSent++;
    const dist = new Float64Array(o.clients);
    dist[from] = 1;
    arrive(`c${from}`, path[0]!.id, createPacket(geo, path, payload, aezSprp, random), {
      dist,
      enteredAt: clock.now(),
    });
  };
  const gap = (rate: number) => exponentialSample(1000 / rate, random);
  for (let c = 0; c < o.clients; c++) {
    const next = () =>
      clock.setTimeout(() => {
        if (clock.now() - t0 < o.durationMs) {
          queueMessage(c);
          next();
        }
      }, gap(o.messageRate));
    next();
    clients[c]!.loopix?.start();
  }
  if (o.cover)
    for (const n of [...layers.flat(), ...gateways]) {
      n.loops = new MixLoops({
        geometry: geo,
        self: n.descriptor.id,
        // No document after the run: the stream ends with the clients', while the loops in
        // flight still come back or time out.
        directory: () => (clock.now() - t0 < o.durationMs ? document : undefined),
        send: (hop, packet) =>
          arrive(n.name, hop, packet, {
            dist: new Float64Array(o.clients),
            enteredAt: clock.now(),
            mixLoop: true,
          }),
        lambdaM: o.lambdaM,
        lossTimeoutMs,
        clock,
        random,
        metrics: n.metrics,
      });
      n.loops.start();
    }

  // Failure bookkeeping: messages queued before and after the failure.
  const step = 10;
  let failedAtMessage = -1;
  const tailMs = Math.max(30 * o.meanDelayMs, lossTimeoutMs) + 1000;
  for (let t = 0; t < o.durationMs + tailMs; t += step) {
    if (failed && o.failMixAtMs !== undefined && !failed.failed && t >= o.failMixAtMs) {
      failed.failed = true;
      failed.loops?.stop();
      failedAtMessage = messageId;
      options.onProgress?.(`t=${(t / 1000).toFixed(1)} s: a middle-layer mix fails`);
    }
    if (t === o.durationMs) for (const c of clients) c.loopix?.stop();
    clock.advance(step);
    if (t % 10_000 === 0) options.onProgress?.(`t=${t / 1000} s, ${messageId} messages queued`);
  }
  for (const c of clients) c.loopix?.stop();
  const nodes = [...layers.flat(), ...gateways];
  for (const n of nodes) n.loops?.stop();
  const mixLoopCount = (n: (typeof nodes)[number], what: 'sent' | 'received' | 'lost') =>
    n.loops ? n.metrics.value(`hush_mix_loops_${what}_total`) : 0;
  const mixLoopSum = (what: 'sent' | 'received' | 'lost') =>
    nodes.reduce((sum, n) => sum + mixLoopCount(n, what), 0);

  const sent = messages.size;
  const delivered = [...messages.values()].filter((m) => m.delivered).length;
  const real = o.cover ? sentOn('payload') : plainSent;
  const cover = sentOn('payload-drop') + sentOn('loop') + sentOn('drop');
  const seconds = o.durationMs / 1000;
  const split = (from: number, to: number) => {
    let s = 0;
    let d = 0;
    for (const [id, m] of messages)
      if (id >= from && id < to) {
        s++;
        if (m.delivered) d++;
      }
    return { sent: s, delivered: d };
  };
  if (options.traceDir) {
    mkdirSync(options.traceDir, { recursive: true });
    writeFileSync(
      join(options.traceDir, 'links.jsonl'),
      links.length ? `${links.join('\n')}\n` : '',
    );
    const truth = [...messages].map(([id, m]) =>
      JSON.stringify({
        id: String(id),
        sender: `c${m.sender}`,
        recipient: `c${m.recipient}`,
        sent: m.queuedAt - t0,
        delivered: m.at === undefined ? null : m.at - t0,
      }),
    );
    writeFileSync(
      join(options.traceDir, 'truth.jsonl'),
      truth.length ? `${truth.join('\n')}\n` : '',
    );
    writeFileSync(
      join(options.traceDir, 'nodes.json'),
      `${JSON.stringify(
        {
          clients: clients.map((c) => c.name),
          gateways: gateways.map((g) => g.name),
          mixes: layers.map((l) => l.map((m) => m.name)),
          params: {
            kind: 'mixnet',
            cover: o.cover,
            lambdaP: o.lambdaP,
            lambdaL: o.lambdaL,
            lambdaD: o.lambdaD,
            lambdaM: o.lambdaM,
            meanDelayMs: o.meanDelayMs,
            linkLatencyMs: o.linkLatencyMs,
            messageRate: o.messageRate,
            durationMs: o.durationMs,
            packetBytes: geo.packetLength,
            clientGateway: Object.fromEntries(
              clients.map((c, i) => [c.name, gateways[i % o.gateways]!.name]),
            ),
          },
        },
        null,
        2,
      )}\n`,
    );
  }
  return {
    options: o,
    messages: { sent, delivered },
    latency: distribution(latencies),
    networkLatency: distribution(networkLatencies),
    entropy: {
      mean: entropies.length ? entropies.reduce((a, b) => a + b, 0) / entropies.length : 0,
      min: entropies.length ? Math.min(...entropies) : 0,
      max: Math.log2(o.clients),
    },
    packets: { real, cover, perClientPerSecond: (real + cover) / o.clients / seconds },
    coverBytesPerClientHour: (cover / o.clients / seconds) * 3600 * geo.packetLength,
    loops: {
      sent: sentOn('loop'),
      returned: counted('hush_loopix_packets_received_total', { kind: 'loop' }),
    },
    mixLoops: {
      sent: mixLoopSum('sent'),
      returned: mixLoopSum('received'),
      lost: mixLoopSum('lost'),
      meanRoundTripMs: distribution(mixLoopRoundTrips).mean,
      lostByNode: Object.fromEntries(nodes.map((n) => [n.name, mixLoopCount(n, 'lost')])),
    },
    unwrapMicrosPerClientSecond: (unwrapMs * 1000) / o.clients / seconds,
    ...(failed
      ? {
          failure: {
            before: split(0, failedAtMessage < 0 ? messageId : failedAtMessage),
            after: split(failedAtMessage < 0 ? messageId : failedAtMessage, messageId),
            lostAtFailedMix,
            mixLoopsLostAtFailedMix,
          },
        }
      : {}),
    wallMs: performance.now() - started,
  };
}

const ms = (x: number) => `${(x / 1000).toFixed(2)} s`;

/** The report as the lines `pnpm sim mixnet` prints. */
export function formatReport(r: MixnetSimReport): string {
  const o = r.options;
  const lines = [
    `mixnet simulation: ${o.clients} clients, ${o.layers} layers × ${o.mixesPerLayer} mixes, ${o.gateways} gateways, ${o.durationMs / 1000} s virtual, per-hop mean delay ${o.meanDelayMs} ms, links ${o.linkLatencyMs} ms`,
    o.cover
      ? `  Loopix cover on: λP ${o.lambdaP}/s, λL ${o.lambdaL}/s, λD ${o.lambdaD}/s per client; messages ${o.messageRate}/s per client`
      : `  no cover traffic: each message leaves alone when queued (${o.messageRate}/s per client)`,
    `  messages      ${r.messages.delivered} of ${r.messages.sent} delivered (${r.messages.sent ? ((100 * r.messages.delivered) / r.messages.sent).toFixed(1) : '0'} %; those queued at the end never left)`,
    `  latency       queued → delivered: mean ${ms(r.latency.mean)}, SD ${ms(r.latency.sd)}, p50 ${ms(r.latency.p50)}, p90 ${ms(r.latency.p90)}, p99 ${ms(r.latency.p99)}`,
    `                in the network: mean ${ms(r.networkLatency.mean)}, SD ${ms(r.networkLatency.sd)}, p50 ${ms(r.networkLatency.p50)}, p99 ${ms(r.networkLatency.p99)}  (Loopix measured: mean 1.93 s, SD 0.87 s, quoted)`,
    `  anonymity     sender entropy of delivered messages: mean ${r.entropy.mean.toFixed(2)} bits, min ${r.entropy.min.toFixed(2)}, of at most log2(${o.clients}) = ${r.entropy.max.toFixed(2)}`,
    `  packets       ${r.packets.real} real, ${r.packets.cover} cover: ${r.packets.perClientPerSecond.toFixed(2)} packets/s a client; cover ${(r.coverBytesPerClientHour / 1e6).toFixed(1)} MB a client per hour`,
    `  loops         ${r.loops.returned} of ${r.loops.sent} came back`,
    o.cover
      ? `  mix loops     λM ${o.lambdaM}/s per mix and gateway: ${r.mixLoops.returned} of ${r.mixLoops.sent} came back, mean round trip ${ms(r.mixLoops.meanRoundTripMs)}; ${r.mixLoops.lost} lost`
      : '  mix loops     none (no cover)',
    `  mix CPU       ${r.unwrapMicrosPerClientSecond.toFixed(0)} µs of unwrapping per client per second, all mixes together`,
  ];
  if (r.failure)
    lines.push(
      `  mix failure   at ${ms(o.failMixAtMs ?? 0)}: delivered ${r.failure.before.delivered}/${r.failure.before.sent} of the messages queued before, ${r.failure.after.delivered}/${r.failure.after.sent} after; ${r.failure.lostAtFailedMix} packets lost at the failed mix`,
      `                ${r.failure.mixLoopsLostAtFailedMix} of them mix loops; mix loops lost, by the node that sent them (how it notices): ${Object.entries(
        r.mixLoops.lostByNode,
      )
        .map(([name, lost]) => `${name} ${lost}`)
        .join(', ')}`,
    );
  lines.push(`  wall time     ${ms(r.wallMs)}`);
  return lines.join('\n');
}
