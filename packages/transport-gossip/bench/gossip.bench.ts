/**
 * Gossip benchmarks (SPEC §6–§7): ingest over loopback WebSockets from 8 peers, a pool of
 * 100,000 envelopes (memory and sweep), and a 1,000-node simulation.
 */
import { fork } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { geth, report, section } from '@hush/bench-support';
import { createEnvelope, type Envelope } from '@hush/envelope';
import { keccakReady } from '@hush/keccak';
import { generatePrivateKey } from '@hush/message';
import { formatReport, simulate } from '../sim/simulation.js';
import { createGossipNode, GossipEngine, ManualClock, webSocketTransport } from '../src/index.js';

// geth's counterpart is its decode + Hash + PoW of each envelope of a 128-envelope messages
// packet (this bench's frames), without transport, rules or pool.
const GETH_INGEST = geth('decode-packet-128', 'decode+hash+PoW only');

function envelopes(count: number, salt: number, now: number): Envelope[] {
  return Array.from({ length: count }, (_, i) => {
    const data = new Uint8Array(300);
    new DataView(data.buffer).setUint32(0, i);
    new DataView(data.buffer).setUint32(4, salt);
    return createEnvelope({
      expiry: now + 600,
      ttl: 600,
      topic: Uint8Array.of(1, 2, 3, 4),
      data,
      nonce: BigInt(i),
    });
  });
}

/**
 * One node receiving from 8 peers over loopback WebSockets. The peers live in a child process
 * (bench/ingest-peers.ts) that only writes frames it encoded in advance, so the node's event
 * loop does the node's work alone (on 2 cores, the child has the other). The clock runs from
 * the moment the child is told to write until the node's pool holds every envelope.
 */
export async function ingest(): Promise<void> {
  section('Ingest: one node, 8 peers over loopback WebSockets, ~300-byte envelopes (envelopes/s)');
  const key = generatePrivateKey();
  const generous = {
    maxBytesPerSecond: 1e9,
    maxFramesPerSecond: 1e6,
    maxFrameBytes: 4 * 1024 * 1024,
  };
  const node = createGossipNode({
    key,
    transport: webSocketTransport({ privateKey: key, limits: generous }),
    minPow: 0,
    maxMessageSize: 4 * 1024 * 1024,
  });
  await node.start();
  const plan = {
    address: node.addresses[0]!,
    peers: 8,
    perPeer: 20_000,
    perFrame: 128,
    now: Math.floor(Date.now() / 1000),
  };
  const total = plan.peers * plan.perPeer;
  const child = fork(fileURLToPath(new URL('./ingest-peers.ts', import.meta.url)), [], {
    execArgv: process.execArgv,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const heard = (word: string) =>
    new Promise<void>((resolve, reject) => {
      const on = (m: unknown) => {
        if (m !== word) return;
        child.off('message', on);
        resolve();
      };
      child.on('message', on);
      exited.then(() => reject(new Error(`ingest peers exited before '${word}'`)));
    });
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  try {
    const ready = heard('ready');
    child.send(plan);
    await ready;
    while (node.engine.peers().filter((p) => p.ready).length < plan.peers) await sleep(5);
    const cpuBefore = process.cpuUsage();
    const loopBefore = performance.eventLoopUtilization();
    const started = performance.now();
    child.send('go');
    while (node.engine.poolStats().envelopes < total) await sleep(1);
    const elapsed = performance.now() - started;
    const loop = performance.eventLoopUtilization(loopBefore);
    const cpu = process.cpuUsage(cpuBefore);
    report({
      name: `ingest ${total} envelopes from 8 peers (decode, hash, PoW, rules, pool)`,
      rate: (total * 1000) / elapsed,
      unit: ' env/s',
      reference: GETH_INGEST,
    });
    const cpuMs = (cpu.user + cpu.system) / 1000;
    console.log(
      `  node process: event loop busy ${(loop.utilization * 100).toFixed(0)}% of ${elapsed.toFixed(0)} ms, CPU ${cpuMs.toFixed(0)} ms (${((total * 1000) / cpuMs / 1000).toFixed(1)} k env per CPU-second)`,
    );
  } finally {
    if (child.connected) child.send('stop');
    await Promise.race([exited, sleep(2000)]);
    child.kill();
    await node.stop();
  }
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
  const batch = envelopes(100_000, 99, now);
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
  (engine as unknown as { expire(): void }).expire();
  console.log(
    `  sweep with nothing expired                                 ${(performance.now() - sweepStarted).toFixed(3)} ms`,
  );
  clock.advance(601_000);
  const expireStarted = performance.now();
  (engine as unknown as { expire(): void }).expire();
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
  await simulation();
}
