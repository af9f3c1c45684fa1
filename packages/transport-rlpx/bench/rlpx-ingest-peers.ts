/**
 * The sending side of the RLPx ingest benchmark, run as a child process so that the node
 * being measured (a Hush gossip node or geth's whisper node) has its core to itself: it dials
 * `peers` RLPx connections to the node's enode URL, each with its own key (geth refuses a
 * second connection from one node id), sends a status whose all-zero bloom asks for nothing
 * back, waits for the node's status on every connection (its shh protocol runs), encodes every
 * messages packet in advance, then on 'go' only hands them to the connections (which compress
 * them with snappy and seal them, on this process's CPU).
 *
 * Messages from the parent: { enode, peers, perPeer, perFrame, now }, then 'go', then 'stop'.
 * Messages to the parent: 'ready' (connected, statuses exchanged, packets encoded), 'sent'
 * (every frame handed to the sockets), and on 'stop' { cpuMs }: this process's CPU time
 * since 'go'.
 */
import { pathToFileURL } from 'node:url';
import { benchEnvelopes } from '@hush/bench-support/envelopes';
import { randomBytes } from '@hush/crypto';
import { createEnvelope, encodeMessagesPacket } from '@hush/envelope';
import type { Connection } from '@hush/interface';
import { keccakReady } from '@hush/keccak';
import { decodeFrame, encodeFrame, encodeStatus, MessageCode } from '@hush/transport-gossip';
import { rlpxTransport } from '../src/index.js';

export interface RlpxIngestPlan {
  /** The node's enode URL. */
  readonly enode: string;
  readonly peers: number;
  readonly perPeer: number;
  readonly perFrame: number;
  /** Unix seconds: the envelopes expire 600 s after it. */
  readonly now: number;
}

/** The senders queue everything at once: no backlog limit may close them, no idle timeout. */
const SENDER_LIMITS = {
  maxFrameBytes: 4 * 1024 * 1024,
  maxBytesPerSecond: 1e12,
  maxFramesPerSecond: 1e9,
  highWaterMark: 2 ** 40,
  maxBacklog: 2 ** 40,
  idleTimeoutMs: 0,
};

/** One peer: its own transport and key, dialed to the node, statuses exchanged. */
async function peer(enode: string): Promise<{ connection: Connection; close(): Promise<void> }> {
  const transport = rlpxTransport({ privateKey: randomBytes(32), limits: SENDER_LIMITS });
  const connection = await transport.dial(enode);
  const status = new Promise<void>((resolve, reject) => {
    connection.onFrame((frame) => {
      if (decodeFrame(frame).code === MessageCode.status) resolve();
    });
    connection.onClose((reason, detail) =>
      reject(new Error(`${enode}: closed before its status (${reason}: ${detail ?? ''})`)),
    );
  });
  // An all-zero bloom admits nothing: the node has no reason to forward to these peers, so
  // the figure is ingest alone. (geth's whisper node is not a light node; these say they are.)
  connection.send(
    encodeFrame({
      code: MessageCode.status,
      payload: encodeStatus({ minPow: 0, bloom: new Uint8Array(64), lightNode: true }),
    }),
  );
  await status;
  return { connection, close: () => transport.close() };
}

async function main(): Promise<void> {
  await keccakReady();
  const plan = await new Promise<RlpxIngestPlan>((resolve) =>
    process.once('message', (m) => resolve(m as RlpxIngestPlan)),
  );
  const peers = await Promise.all(Array.from({ length: plan.peers }, () => peer(plan.enode)));
  const frames = peers.map((_, p) => {
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
      for (let i = 0; i < longest; i++)
        peers.forEach(({ connection }, p) => {
          const frame = frames[p]![i];
          if (frame) connection.send(frame);
        });
      process.send?.('sent');
    } else if (m === 'stop') {
      const cpu = process.cpuUsage(cpuAtGo);
      process.send?.({ cpuMs: (cpu.user + cpu.system) / 1000 }, () => {
        void Promise.all(peers.map((p) => p.close())).finally(() => process.disconnect());
      });
    }
  });
  process.send?.('ready');
}

// Only as the forked child, never when imported.
if (process.send && process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href)
  void main();
