/**
 * Gossip benchmarks (SPEC §6–§7): ingest over loopback WebSockets from 8 peers, what the
 * Noise link costs on it, link handshakes, a pool of 100,000 envelopes (memory and sweep),
 * and a 1,000-node simulation.
 */
import { fork, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { compare, geth, report, section } from '@hush/bench-support';
import { benchEnvelopes } from '@hush/bench-support/envelopes';
import { webSocketCarrier } from '@hush/carrier-websocket';
import { createEnvelope } from '@hush/envelope';
import { ManualClock } from '@hush/interface';
import { keccakReady } from '@hush/keccak';
import { generatePrivateKey } from '@hush/message';
import { CIPHERS, CipherState, openFrame, sealFrame } from '@hush/noise';
import { formatReport, simulate } from '../sim/simulation.js';
import {
  createGossipNode,
  GossipEngine,
  linkTransport,
  MemoryNetwork,
  webSocketTransport,
} from '../src/index.js';
import { plainLinkEncrypter } from './plain-link.js';

// geth's counterpart is its decode + Hash + PoW of each envelope of a 128-envelope messages
// packet (this bench's frames), without transport, rules or pool.
const GETH_INGEST = geth('decode-packet-128', 'decode+hash+PoW only');

/** The CPUs `pid` may run on (taskset), or null without taskset. */
function cpusOf(pid: number): number[] | null {
  const result = spawnSync('taskset', ['-pc', String(pid)], { encoding: 'utf8' });
  const list = result.status === 0 ? /:\s*(\S+)\s*$/.exec(result.stdout)?.[1] : undefined;
  if (!list) return null;
  return list.split(',').flatMap((part) => {
    const [from, to] = part.split('-').map(Number) as [number, number | undefined];
    return Array.from({ length: (to ?? from) - from + 1 }, (_, i) => from + i);
  });
}

/**
 * CPU time (ms) of this process's main thread, where Linux tells it (/proc, in ticks of
 * 10 ms); else null.
 */
function mainThreadCpuMs(): number | null {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return null;
  }
}

/** Moves every thread of `pid` to `cpus`. */
function pinTo(pid: number, cpus: readonly number[]): void {
  spawnSync('taskset', ['-a', '-p', '-c', cpus.join(','), String(pid)], { stdio: 'ignore' });
}

interface IngestRound {
  readonly rate: number;
  readonly elapsedMs: number;
  /** Share of the window the node's event loop was busy. */
  readonly busy: number;
  /** CPU time of the node's process (all its threads) and of the senders' process. */
  readonly nodeCpuMs: number;
  readonly nodeSystemMs: number;
  /** The node's main thread alone (the event loop), when known. */
  readonly mainCpuMs: number | null;
  readonly senderCpuMs: number;
  /** Where each side ran, e.g. "node on core 1, senders on core 0". */
  readonly placement: string;
}

/**
 * One round: a fresh node and a child process (bench/ingest-peers.ts) holding 8 peers that
 * only write frames they encoded in advance, so the node's event loop does the node's work
 * alone. With taskset and two cores or more, the node (every thread, GC helpers too) runs on
 * one core and the senders on the others. The clock runs from the moment the child is told
 * to write until the node's pool holds every envelope.
 */
async function ingestRound(link: 'noise' | 'plain' = 'noise'): Promise<IngestRound> {
  const key = generatePrivateKey();
  const generous = {
    maxBytesPerSecond: 1e9,
    maxFramesPerSecond: 1e6,
    maxFrameBytes: 4 * 1024 * 1024,
  };
  const node = createGossipNode({
    key,
    transport:
      link === 'noise'
        ? webSocketTransport({ privateKey: key, limits: generous })
        : linkTransport(webSocketCarrier({ limits: generous }), plainLinkEncrypter(key, generous)),
    minPow: 0,
    maxMessageSize: 4 * 1024 * 1024,
    // All 8 senders come from 127.0.0.1: let them all in.
    maxInboundPerAddress: 8,
  });
  await node.start();
  const plan = {
    address: node.addresses[0]!,
    peers: 8,
    perPeer: 20_000,
    perFrame: 128,
    now: Math.floor(Date.now() / 1000),
    link,
  };
  const total = plan.peers * plan.perPeer;
  const child = fork(fileURLToPath(new URL('./ingest-peers.ts', import.meta.url)), [], {
    execArgv: process.execArgv,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const heard = <T>(accept: (m: unknown) => T | undefined) =>
    new Promise<T>((resolve, reject) => {
      const on = (m: unknown) => {
        const value = accept(m);
        if (value === undefined) return;
        child.off('message', on);
        resolve(value);
      };
      child.on('message', on);
      exited.then(() => reject(new Error('the ingest peers exited early')));
    });
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  const own = cpusOf(process.pid);
  let placement = 'unpinned (no taskset)';
  try {
    if (own && child.pid !== undefined) {
      const all = Array.from({ length: availableParallelism() }, (_, i) => i);
      const core = own[own.length - 1]!;
      const others = (own.length > 1 ? own : all).filter((c) => c !== core);
      if (others.length > 0) {
        pinTo(child.pid, others);
        if (own.length > 1) pinTo(process.pid, [core]);
        placement = `node on core ${core}, senders on ${others.length > 1 ? 'cores' : 'core'} ${others.join(',')}`;
      } else placement = `node and senders on core ${core}`;
    }
    const ready = heard((m) => (m === 'ready' ? true : undefined));
    child.send(plan);
    await ready;
    while (node.engine.peers().filter((p) => p.ready).length < plan.peers) await sleep(5);
    const cpuBefore = process.cpuUsage();
    const mainBefore = mainThreadCpuMs();
    const loopBefore = performance.eventLoopUtilization();
    const started = performance.now();
    child.send('go');
    while (node.engine.poolStats().envelopes < total) await sleep(1);
    const elapsedMs = performance.now() - started;
    const loop = performance.eventLoopUtilization(loopBefore);
    const cpu = process.cpuUsage(cpuBefore);
    const mainAfter = mainThreadCpuMs();
    const senderCpu = heard((m) =>
      typeof m === 'object' && m !== null && 'cpuMs' in m
        ? (m as { cpuMs: number }).cpuMs
        : undefined,
    );
    child.send('stop');
    return {
      rate: (total * 1000) / elapsedMs,
      elapsedMs,
      busy: loop.utilization,
      nodeCpuMs: (cpu.user + cpu.system) / 1000,
      nodeSystemMs: cpu.system / 1000,
      mainCpuMs: mainBefore === null || mainAfter === null ? null : mainAfter - mainBefore,
      senderCpuMs: await senderCpu,
      placement,
    };
  } finally {
    if (own && own.length > 1) pinTo(process.pid, own);
    await Promise.race([exited, sleep(2000)]);
    child.kill();
    await node.stop();
  }
}

/** One node receiving from 8 peers over loopback WebSockets: see `ingestRound`. */
export async function ingest(): Promise<void> {
  section('Ingest: one node, 8 peers over loopback WebSockets, ~300-byte envelopes (envelopes/s)');
  const total = 160_000;
  const rounds: IngestRound[] = [];
  await compare(
    `ingest ${total} envelopes from 8 peers (decode, hash, PoW, rules, pool)`,
    async () => {
      const round = await ingestRound();
      rounds.push(round);
      return round.rate;
    },
    { unit: ' env/s', reference: GETH_INGEST, warmUp: ingestRound },
  );
  const middle = (values: number[]) => values.sort((a, b) => a - b)[values.length >> 1]!;
  const nodeCpu = middle(rounds.map((r) => r.nodeCpuMs));
  const system = middle(rounds.map((r) => r.nodeSystemMs));
  const main = rounds.every((r) => r.mainCpuMs !== null)
    ? middle(rounds.map((r) => r.mainCpuMs!))
    : null;
  console.log(
    `  (medians of ${rounds.length} rounds after a warm-up; ${rounds[0]!.placement})\n` +
      `  node's event loop busy ${(middle(rounds.map((r) => r.busy)) * 100).toFixed(0)}% of ${middle(rounds.map((r) => r.elapsedMs)).toFixed(0)} ms; ` +
      `node CPU ${nodeCpu.toFixed(0)} ms = ${(total / nodeCpu).toFixed(1)} k env per CPU-second ` +
      `(kernel ${system.toFixed(0)} ms${main === null ? '' : `, main thread ${main.toFixed(0)} ms, other threads (GC helpers, libuv) ${(nodeCpu - main).toFixed(0)} ms`}); ` +
      `senders' CPU ${middle(rounds.map((r) => r.senderCpuMs)).toFixed(0)} ms`,
  );
}

/**
 * What Noise costs on ingest: rounds with the plaintext link and with Noise, alternately, in
 * the same run and placement (the overhead is the ratio of their medians), then the
 * decryption of one frame alone.
 */
async function encryptionOverhead(): Promise<void> {
  section('Encryption overhead on ingest (same run: plaintext link vs Noise link, alternating)');
  await ingestRound('plain');
  const plain: number[] = [];
  const noise: number[] = [];
  for (let i = 0; i < 5; i++) {
    plain.push((await ingestRound('plain')).rate);
    noise.push((await ingestRound('noise')).rate);
  }
  const middle = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1]!;
  const [p, n] = [middle(plain), middle(noise)];
  console.log(
    `  plaintext link   ${(p / 1000).toFixed(1)} k env/s   (rounds: ${plain.map((r) => (r / 1000).toFixed(1)).join(', ')})\n` +
      `  Noise link       ${(n / 1000).toFixed(1)} k env/s   (rounds: ${noise.map((r) => (r / 1000).toFixed(1)).join(', ')})\n` +
      `  overhead         ${((p / n - 1) * 100).toFixed(1)} % more time per envelope (goal ≤ 10 %)`,
  );
  // The decryption itself, alone: steadier than the end-to-end rounds on a shared machine.
  const key = crypto.getRandomValues(new Uint8Array(32));
  const frame = crypto.getRandomValues(new Uint8Array(128 * 336));
  const sender = new CipherState(CIPHERS.ChaChaPoly!, key);
  const receiver = new CipherState(CIPHERS.ChaChaPoly!, key);
  const sealed = Array.from({ length: 2000 }, () => sealFrame(sender, frame));
  const started = performance.now();
  for (const message of sealed) openFrame(receiver, message);
  const perFrameUs = ((performance.now() - started) / sealed.length) * 1000;
  console.log(
    `  decrypting one 128-envelope frame (${frame.length} B) ${perFrameUs.toFixed(1)} µs = ` +
      `${(perFrameUs / 128).toFixed(3)} µs per envelope, ${((perFrameUs / 128 / (1e6 / n)) * 100).toFixed(1)} % of the Noise link's time per envelope`,
  );
}

/** Link handshakes over the in-memory carrier: XX (3 messages) and IK (2 and a confirmation). */
async function handshakes(): Promise<void> {
  section('Noise link handshakes (in-memory carrier, both sides in this thread)');
  const network = new MemoryNetwork();
  const serverKey = generatePrivateKey();
  const server = network.transport({ privateKey: serverKey });
  await server.listen((connection) => connection.close());
  const client = network.transport({ privateKey: generatePrivateKey() });
  const hex = Array.from(server.staticKey, (b) => b.toString(16).padStart(2, '0')).join('');
  for (const [name, address] of [
    ['XX (peer key learned in the handshake)', server.addresses[0]!],
    ['IK (peer key from address#key)', `${server.addresses[0]!}#${hex}`],
  ] as const) {
    const runs: number[] = [];
    for (let round = 0; round < 4; round++) {
      const count = 200;
      const started = performance.now();
      for (let i = 0; i < count; i++) (await client.dial(address)).close();
      runs.push((count * 1000) / (performance.now() - started));
    }
    runs.shift(); // warm-up
    const rate = runs.sort((a, b) => a - b)[1]!;
    report({ name: `handshake ${name}`, rate, unit: ' /s' });
    console.log(`    = ${(1000 / rate).toFixed(2)} ms per handshake, both sides' work`);
  }
  await client.close();
  await server.close();
}

function pool(): void {
  section('Pool of 100,000 live envelopes');
  const gc = (globalThis as { gc?: () => void }).gc;
  const now = 1_800_000_000;
  const clock = new ManualClock(now * 1000);
  const engine = new GossipEngine({ clock, minPow: 0, maxPoolBytes: 1 << 30 });
  gc?.();
  gc?.();
  const before = process.memoryUsage();
  const batch = benchEnvelopes(100_000, 99, now, createEnvelope);
  const started = performance.now();
  for (const envelope of batch) engine.post(envelope);
  const postMs = performance.now() - started;
  gc?.();
  gc?.();
  const after = process.memoryUsage();
  const perEnvelope =
    (after.heapUsed + after.arrayBuffers - before.heapUsed - before.arrayBuffers) / batch.length;
  console.log(
    `  memory per pooled envelope, all included (300-byte data)   ${perEnvelope.toFixed(0)} B${gc ? '' : ' (run with --expose-gc for a steadier figure)'}`,
  );
  report({
    name: 'local posts into the pool',
    rate: (batch.length * 1000) / postMs,
    unit: ' env/s',
  });
  const sweepStarted = performance.now();
  engine.expire();
  console.log(
    `  sweep with nothing expired                                 ${(performance.now() - sweepStarted).toFixed(3)} ms`,
  );
  clock.advance(601_000);
  const expireStarted = performance.now();
  engine.expire();
  console.log(
    `  sweep expiring all 100,000                                 ${(performance.now() - expireStarted).toFixed(1)} ms (pool now ${engine.poolStats().envelopes})`,
  );
  engine.stop();
}

async function simulation(): Promise<void> {
  section('Simulation: 1,000 nodes, degree 6, 200 messages, 20% light nodes (in-memory transport)');
  const result = await simulate({
    nodes: 1000,
    degree: 6,
    messages: 200,
    seed: 1,
    lightShare: 0.2,
  });
  console.log(
    formatReport(result)
      .split('\n')
      .map((line) => `  ${line}`)
      .join('\n'),
  );
}

export async function run(): Promise<void> {
  await keccakReady();
  // The pool's memory figure first, before other benchmarks leave garbage behind.
  pool();
  await ingest();
  await encryptionOverhead();
  await handshakes();
  await simulation();
}
