/**
 * The sending side of the gossip ingest benchmark, run as a child process so that the node
 * being measured has its event loop to itself: it opens `peers` WebSocket connections to the
 * node, runs the link handshake (Noise, or the plaintext baseline), sends a status whose
 * all-zero bloom asks for nothing back, encodes every frame in advance, then on 'go' only
 * seals and writes them.
 *
 * Messages from the parent: { address, peers, perPeer, now, perFrame, link }, then 'go', then
 * 'stop'.
 * Messages to the parent: 'ready' (connected, frames encoded), 'sent' (every frame handed to
 * the sockets), and on 'stop' { cpuMs }: this process's CPU time since 'go'.
 */
import { pathToFileURL } from 'node:url';
import { benchEnvelopes } from '@hush/bench-support/envelopes';
import { createEnvelope, encodeMessagesPacket } from '@hush/envelope';
import type { RawChannel } from '@hush/interface';
import { keccakReady } from '@hush/keccak';
import { generatePrivateKey } from '@hush/message';
import { WebSocket } from 'ws';
import { encodeFrame, encodeStatus, gossipLinkEncrypter, MessageCode } from '../src/index.js';
import { plainLinkEncrypter } from './plain-link.js';

export interface IngestPlan {
  readonly address: string;
  readonly peers: number;
  readonly perPeer: number;
  readonly perFrame: number;
  /** Unix seconds: the envelopes expire 600 s after it. */
  readonly now: number;
  /** Noise links (what nodes run) or the plaintext link (the overhead's baseline). */
  readonly link: 'noise' | 'plain';
}

/** The senders queue everything at once: no backlog limit may close them. */
const SENDER_LIMITS = {
  maxFrameBytes: 4 * 1024 * 1024,
  highWaterMark: 2 ** 40,
  maxBacklog: 2 ** 40,
  idleTimeoutMs: 0,
};

async function rawPeer(address: string, link: IngestPlan['link']) {
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
  const privateKey = generatePrivateKey();
  const encrypter =
    link === 'noise'
      ? gossipLinkEncrypter({ privateKey, limits: SENDER_LIMITS })
      : plainLinkEncrypter(privateKey, SENDER_LIMITS);
  const connection = await encrypter.secureOutbound(raw);
  connection.onFrame(() => {});
  // An all-zero bloom admits nothing: the node has no reason to forward to these peers, so
  // the figure is ingest alone.
  connection.send(
    encodeFrame({
      code: MessageCode.status,
      payload: encodeStatus({ minPow: 0, bloom: new Uint8Array(64), lightNode: true }),
    }),
  );
  return connection;
}

async function main(): Promise<void> {
  await keccakReady();
  const plan = await new Promise<IngestPlan>((resolve) =>
    process.once('message', (m) => resolve(m as IngestPlan)),
  );
  const connections = await Promise.all(
    Array.from({ length: plan.peers }, () => rawPeer(plan.address, plan.link)),
  );
  const frames = connections.map((_, p) => {
    const all = benchEnvelopes(plan.perPeer, p, plan.now, createEnvelope);
    const out: Uint8Array[] = [];
    for (let i = 0; i < all.length; i += plan.perFrame) {
      out.push(
        encodeFrame({
          code: MessageCode.messages,
          payload: encodeMessagesPacket(all.slice(i, i + plan.perFrame)),
        }),
      );
    }
    return out;
  });
  let cpuAtGo = process.cpuUsage();
  process.on('message', (m) => {
    if (m === 'go') {
      cpuAtGo = process.cpuUsage();
      // Round robin, as 8 independent peers would interleave.
      const longest = Math.max(...frames.map((f) => f.length));
      // Each frame is sealed here as it is sent (the senders' CPU, not the node's).
      for (let i = 0; i < longest; i++)
        connections.forEach((connection, p) => {
          const frame = frames[p]![i];
          if (frame) connection.send(frame);
        });
      process.send?.('sent');
    } else if (m === 'stop') {
      const cpu = process.cpuUsage(cpuAtGo);
      process.send?.({ cpuMs: (cpu.user + cpu.system) / 1000 }, () => {
        for (const connection of connections) connection.close();
        process.disconnect();
      });
    }
  });
  process.send?.('ready');
}

// Only as the forked child, never when imported.
if (process.send && process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href)
  void main();
