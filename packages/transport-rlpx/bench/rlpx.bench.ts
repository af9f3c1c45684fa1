/**
 * RLPx ingest (issue 19, Speed): one node receiving from 8 RLPx peers on loopback, each
 * sending messages packets of 128 envelopes of 300 bytes, as the gossip ingest bench does over
 * WebSockets. Hush's node is a GossipNode over rlpxTransport; with `pnpm bench --geth PATH`
 * the same load goes, in the same run, to geth's own node (`geth-reference whisper-node`:
 * go-ethereum v1.8.27's p2p.Server with whisperv6), rounds alternating. The node, Hush's or
 * geth's, runs on one core and the senders (a child process, bench/rlpx-ingest-peers.ts) on
 * the others; a round's rate is envelopes over the time from 'go' until the node's pool holds
 * them all. The senders' status has an all-zero bloom, so neither node forwards anything back.
 */
import { type ChildProcess, fork, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import {
  compareWithGethProcess,
  cpusOf,
  type GethProcessRound,
  geth,
  measuredCore,
  pinTo,
  section,
} from '@hush/bench-support';
import { randomBytes } from '@hush/crypto';
import { keccakReady } from '@hush/keccak';
import { createGossipNode } from '@hush/transport-gossip';
import { rlpxTransport } from '../src/index.js';
import type { RlpxIngestPlan } from './rlpx-ingest-peers.js';

const PEERS = 8;
const PER_FRAME = 128;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** CPU time (ms, all threads) of process `pid` where Linux tells it (/proc, 10 ms ticks). */
function processCpuMs(pid: number | undefined): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return null;
  }
}

/** Where the node and the senders go: the node on `measuredCore()`, the senders elsewhere. */
interface Placement {
  readonly node: number | null;
  readonly senders: readonly number[] | null;
  readonly text: string;
}

function placement(): Placement {
  const core = measuredCore();
  if (core === null) return { node: null, senders: null, text: 'unpinned (no taskset)' };
  const own = cpusOf(process.pid) ?? [];
  const all = Array.from({ length: availableParallelism() }, (_, i) => i);
  const others = (own.length > 1 ? own : all).filter((c) => c !== core);
  if (others.length === 0)
    return { node: core, senders: [core], text: `node and senders on core ${core}` };
  return {
    node: core,
    senders: others,
    text: `node on core ${core}, senders on ${others.length > 1 ? 'cores' : 'core'} ${others.join(',')}`,
  };
}

/** The sender child: forked, pinned, told the plan; resolves once it is ready. */
async function senders(enode: string, cpus: readonly number[] | null, perPeer: number) {
  const child = fork(fileURLToPath(new URL('./rlpx-ingest-peers.ts', import.meta.url)), [], {
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
      void exited.then(() => reject(new Error('the RLPx ingest peers exited early')));
    });
  if (cpus && child.pid !== undefined) pinTo(child.pid, cpus);
  const plan: RlpxIngestPlan = {
    enode,
    peers: PEERS,
    perPeer,
    perFrame: PER_FRAME,
    now: Math.floor(Date.now() / 1000),
  };
  const ready = heard((m) => (m === 'ready' ? true : undefined));
  child.send(plan);
  await ready;
  return {
    go: () => child.send('go'),
    /** Stops the child; its CPU time since 'go'. */
    async stop(): Promise<number> {
      const cpu = heard((m) =>
        typeof m === 'object' && m !== null && 'cpuMs' in m
          ? (m as { cpuMs: number }).cpuMs
          : undefined,
      );
      child.send('stop');
      const ms = await cpu;
      await Promise.race([exited, sleep(2000)]);
      child.kill();
      return ms;
    },
    kill: () => child.kill(),
  };
}

interface Round {
  readonly rate: number;
  readonly elapsedMs: number;
  readonly senderCpuMs: number;
  /** The node's CPU time in the window (all its threads), when known. */
  readonly nodeCpuMs: number | null;
}

/** One Hush round: a fresh GossipNode over rlpxTransport in this process, on the node's core. */
async function hushRound(where: Placement, perPeer: number): Promise<Round> {
  const total = PEERS * perPeer;
  const key = randomBytes(32);
  const generous = {
    maxBytesPerSecond: 1e9,
    maxFramesPerSecond: 1e6,
    maxFrameBytes: 4 * 1024 * 1024,
  };
  const node = createGossipNode({
    key,
    transport: rlpxTransport({ privateKey: key, host: '127.0.0.1', port: 0, limits: generous }),
    minPow: 0,
    maxMessageSize: 4 * 1024 * 1024,
    // All 8 senders come from 127.0.0.1: let them all in.
    maxInboundPerAddress: PEERS,
  });
  const own = cpusOf(process.pid);
  let child: Awaited<ReturnType<typeof senders>> | undefined;
  try {
    await node.start();
    if (where.node !== null) pinTo(process.pid, [where.node]);
    child = await senders(node.addresses[0]!, where.senders, perPeer);
    while (node.engine.peers().filter((p) => p.ready).length < PEERS) await sleep(5);
    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    child.go();
    while (node.engine.poolStats().envelopes < total) await sleep(1);
    const elapsedMs = performance.now() - started;
    const cpu = process.cpuUsage(cpuBefore);
    return {
      rate: (total * 1000) / elapsedMs,
      elapsedMs,
      nodeCpuMs: (cpu.user + cpu.system) / 1000,
      senderCpuMs: await child.stop(),
    };
  } finally {
    child?.kill();
    if (own) pinTo(process.pid, own);
    await node.stop();
  }
}

/** geth's whisper node, started under taskset on the node's core, driven over stdin. */
async function gethNode(path: string, core: number | null) {
  const args = ['whisper-node', '32'];
  const proc: ChildProcess =
    core === null
      ? spawn(path, args, { stdio: ['pipe', 'pipe', 'inherit'] })
      : spawn('taskset', ['-c', String(core), path, ...args], {
          stdio: ['pipe', 'pipe', 'inherit'],
        });
  const lines = createInterface({ input: proc.stdout! });
  const waiting: ((line: string) => void)[] = [];
  const queued: string[] = [];
  lines.on('line', (line) => {
    const next = waiting.shift();
    if (next) next(line);
    else queued.push(line);
  });
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const nextLine = () =>
    new Promise<string>((resolve, reject) => {
      const early = queued.shift();
      if (early !== undefined) return resolve(early);
      waiting.push(resolve);
      void exited.then(() => reject(new Error(`${path} whisper-node exited`)));
    });
  const info = JSON.parse(await nextLine()) as { enode: string; geth: string; go: string };
  const ask = async (command: 'count' | 'envelopes' | 'peers') => {
    proc.stdin!.write(`${command}\n`);
    const answer = await nextLine();
    const n = Number(answer);
    if (!Number.isInteger(n)) throw new Error(`whisper-node ${command}: ${answer}`);
    return n;
  };
  return {
    info,
    ask,
    cpuMs: () => processCpuMs(proc.pid),
    async stop() {
      proc.stdin!.end();
      await Promise.race([exited, sleep(3000)]);
      proc.kill();
    },
  };
}

/** One geth round: the same senders, to a fresh `geth-reference whisper-node`. */
async function gethRound(
  path: string,
  where: Placement,
  perPeer: number,
): Promise<Round & GethProcessRound> {
  const total = PEERS * perPeer;
  const node = await gethNode(path, where.node);
  const own = cpusOf(process.pid);
  let child: Awaited<ReturnType<typeof senders>> | undefined;
  try {
    // This process only polls: it stays off geth's core, with the senders.
    if (where.senders && where.node !== null && where.senders.some((c) => c !== where.node))
      pinTo(process.pid, where.senders);
    child = await senders(node.info.enode, where.senders, perPeer);
    // The senders are ready once every connection had geth's status: geth runs shh for them.
    if ((await node.ask('peers')) < PEERS) throw new Error('geth has fewer peers than senders');
    const cpuBefore = node.cpuMs();
    const started = performance.now();
    child.go();
    while ((await node.ask('count')) < total) await sleep(1);
    const elapsedMs = performance.now() - started;
    const cpuAfter = node.cpuMs();
    const pooled = await node.ask('envelopes');
    if (pooled !== total)
      throw new Error(`geth's pool holds ${pooled} envelopes by Envelopes(), not ${total}`);
    return {
      rate: (total * 1000) / elapsedMs,
      elapsedMs,
      nodeCpuMs: cpuBefore === null || cpuAfter === null ? null : cpuAfter - cpuBefore,
      senderCpuMs: await child.stop(),
      geth: node.info.geth,
      go: node.info.go,
    };
  } finally {
    child?.kill();
    if (own) pinTo(process.pid, own);
    await node.stop();
  }
}

const middle = (values: readonly number[]) =>
  [...values].sort((a, b) => a - b)[values.length >> 1]!;

/**
 * The two loads. geth v1.8.27 scans its whole pool for every peer every 300 ms
 * (whisperv6 Peer.broadcast: Envelopes(), then marked and bloomMatch per envelope), so its
 * ingest falls as the pool grows: with 160,000 envelopes that scan took 80 % of its CPU
 * (a Go CPU profile, GETH_REFERENCE_CPUPROFILE, 2026-12-03). The small load ends within a
 * few such cycles, so it shows ingest with the scan a small share.
 */
const LOADS = [
  { perPeer: 20_000, gethCase: 'rlpx-ingest-8' },
  { perPeer: 2_000, gethCase: 'rlpx-ingest-8-small' },
] as const;

export async function run(): Promise<void> {
  await keccakReady();
  section(
    `Ingest over RLPx: one node, ${PEERS} peers on loopback, packets of ${PER_FRAME} envelopes of 300 bytes (envelopes/s)`,
  );
  const where = placement();
  for (const { perPeer, gethCase } of LOADS) await measure(where, perPeer, gethCase);
}

async function measure(
  where: Placement,
  perPeer: number,
  gethCase: 'rlpx-ingest-8' | 'rlpx-ingest-8-small',
): Promise<void> {
  const total = PEERS * perPeer;

  const hush: Round[] = [];
  const gethRounds: Round[] = [];
  await compareWithGethProcess(
    `ingest ${total} envelopes from ${PEERS} RLPx peers (snappy, decode, hash, PoW, rules, pool)`,
    {
      unit: ' env/s',
      reference: geth(gethCase, 'geth v1.8.27 whisper node, same senders'),
      placement: `Hush node and geth node each ${where.node === null ? 'unpinned' : `on core ${where.node} in turn`}, senders ${where.senders ? `on ${where.senders.join(',')}` : 'unpinned'}`,
      how: `${PEERS} Hush RLPx peers (packages/transport-rlpx/bench) each sending ${perPeer} envelopes of 300 bytes in packets of ${PER_FRAME} to geth-reference whisper-node (p2p.Server + whisperv6), ${where.text}; time until its pool holds all ${total}`,
      hush: async () => {
        const round = await hushRound(where, perPeer);
        hush.push(round);
        return round.rate;
      },
      geth: async ({ path }) => {
        const round = await gethRound(path, where, perPeer);
        gethRounds.push(round);
        return round;
      },
    },
  );
  // The first round of each side is the warm-up.
  const describe = (name: string, rounds: readonly Round[]) => {
    const timed = rounds.slice(1);
    if (timed.length === 0) return;
    const cpu = timed.every((r) => r.nodeCpuMs !== null)
      ? `, node CPU ${middle(timed.map((r) => r.nodeCpuMs!)).toFixed(0)} ms`
      : '';
    console.log(
      `  ${name}: rounds ${timed.map((r) => (r.rate / 1000).toFixed(1)).join(', ')} k env/s; ` +
        `${middle(timed.map((r) => r.elapsedMs)).toFixed(0)} ms${cpu}; senders' CPU ${middle(timed.map((r) => r.senderCpuMs)).toFixed(0)} ms`,
    );
  };
  console.log(`  (medians of ${hush.length - 1} rounds after a warm-up; ${where.text})`);
  describe('Hush', hush);
  describe('geth', gethRounds);
}
