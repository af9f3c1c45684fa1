/**
 * Gossip benchmarks (SPEC §6–§7): ingest over loopback WebSockets from 8 peers, a pool of
 * 100,000 envelopes (memory and sweep), and a 1,000-node simulation.
 */
import { geth, report, section } from '@hush/bench-support';
import { createEnvelope, type Envelope, encodeMessagesPacket } from '@hush/envelope';
import { keccakReady } from '@hush/keccak';
import { generatePrivateKey } from '@hush/message';
import { WebSocket } from 'ws';
import { formatReport, simulate } from '../sim/simulation.js';
import {
  createGossipNode,
  encodeFrame,
  encodeStatus,
  GossipEngine,
  ManualClock,
  MessageCode,
  type RawChannel,
  secureChannel,
  webSocketTransport,
} from '../src/index.js';

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

async function rawPeer(address: string) {
  const socket = new WebSocket(address, { perMessageDeflate: false });
  let deliver: ((m: Uint8Array) => void) | undefined;
  const early: Uint8Array[] = [];
  socket.on('message', (data) => {
    const bytes = new Uint8Array(data as Buffer);
    if (deliver) deliver(bytes);
    else early.push(bytes);
  });
  await new Promise((resolve) => socket.once('open', resolve));
  const raw: RawChannel = {
    remoteAddress: address,
    send: (m) => socket.send(m),
    bufferedAmount: () => socket.bufferedAmount,
    onMessage: (h) => {
      deliver = h;
      for (const m of early.splice(0)) h(m);
    },
    onClose: (h) => socket.on('close', () => h()),
    close: () => socket.close(),
  };
  const connection = await secureChannel(raw, true, { privateKey: generatePrivateKey() });
  connection.onFrame(() => {});
  // An all-zero bloom admits nothing: the node has no reason to forward to these peers, so
  // the figure is ingest alone.
  const nothing = new Uint8Array(64);
  connection.send(
    encodeFrame({
      code: MessageCode.status,
      payload: encodeStatus({ minPow: 0, bloom: nothing, lightNode: true }),
    }),
  );
  return { connection, socket };
}

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
  const peers = await Promise.all(Array.from({ length: 8 }, () => rawPeer(node.addresses[0]!)));
  const now = Math.floor(Date.now() / 1000);
  const perPeer = 20_000;
  const frames = peers.map((_, p) => {
    const all = envelopes(perPeer, p, now);
    const out: Uint8Array[] = [];
    for (let i = 0; i < all.length; i += 128) {
      out.push(
        encodeFrame({
          code: MessageCode.messages,
          payload: encodeMessagesPacket(all.slice(i, i + 128)),
        }),
      );
    }
    return out;
  });
  const total = perPeer * peers.length;
  const started = performance.now();
  peers.forEach((peer, p) => {
    for (const frame of frames[p]!) peer.socket.send(frame);
  });
  while (node.stats().pool.envelopes < total)
    await new Promise((resolve) => setTimeout(resolve, 5));
  const rate = (total * 1000) / (performance.now() - started);
  report({
    name: `ingest ${total} envelopes from 8 peers (decode, hash, PoW, rules, pool)`,
    rate,
    unit: ' env/s',
    reference: GETH_INGEST,
  });
  for (const peer of peers) peer.socket.terminate();
  await node.stop();
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
