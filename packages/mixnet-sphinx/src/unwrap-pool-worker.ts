/**
 * One worker thread of the unwrap pool (unwrap-pool.ts; specs/mixnet-sphinx/SPEC.md §9 "A
 * mix", the §5 step): it holds the mix keys it was sent (once each, by a small id), unwraps
 * the batches of packets it is given with `unwrapPacket` and AEZ, and answers each batch with
 * one message: per packet the hop, or the refusal's name, code and message. The packets made
 * for the next hop are transferred back, not copied.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { SphinxError } from './errors.js';
import { geometry } from './geometry.js';
import { aezSprp } from './sprp.js';
import { unwrapPacket } from './unwrap.js';
import type { FromWorker, ToWorker, WorkerResult } from './unwrap-pool-protocol.js';

const port = parentPort;
if (!port) throw new Error('unwrap-pool-worker runs as a worker thread');
const { hops, userPayloadLength } = workerData as { hops: number; userPayloadLength: number };
const geo = geometry(hops, userPayloadLength);
const keys = new Map<number, Uint8Array>();

port.on('message', (message: ToWorker) => {
  switch (message.type) {
    case 'key':
      keys.set(message.id, message.key);
      return;
    case 'forget':
      keys.delete(message.id);
      return;
    case 'batch': {
      const packets = new Uint8Array(message.packets);
      const length = geo.packetLength;
      const results: WorkerResult[] = [];
      const transfer: ArrayBuffer[] = [];
      for (let i = 0; i < message.keys.length; i++) {
        const key = keys.get(message.keys[i]!);
        try {
          // The pool sends a key before the first packet that names it; a missing one is its bug.
          if (!key) throw new Error(`unwrap-pool: no key ${message.keys[i]}`);
          const step = unwrapPacket(
            geo,
            key,
            packets.subarray(i * length, (i + 1) * length),
            aezSprp,
          );
          // The next hop's packet is a fresh buffer of its own: moved, not copied.
          if (step.kind === 'forward') transfer.push(step.packet.buffer as ArrayBuffer);
          results.push({ ok: step });
        } catch (error) {
          results.push(
            error instanceof SphinxError
              ? { name: 'SphinxError', code: error.code, message: error.message }
              : { name: 'Error', message: String((error as Error)?.message ?? error) },
          );
        }
      }
      const reply: FromWorker = { type: 'done', batch: message.batch, results };
      port.postMessage(reply, transfer);
      return;
    }
  }
});
const ready: FromWorker = { type: 'ready' };
port.postMessage(ready);
