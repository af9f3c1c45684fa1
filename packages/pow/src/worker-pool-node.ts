/**
 * PoW scan workers on Node's worker_threads (Node-only path of `#worker-pool`).
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { POW_PREFIX_OFFSET } from '@hush/keccak';
import type { PowScanPool } from './scan-pool.js';
import { workerKernelSource } from './scan-pool.js';
import { createPool, type KernelWorker } from './worker-pool-shared.js';

const source = `
const { parentPort } = require('node:worker_threads');
${workerKernelSource(POW_PREFIX_OFFSET)}
parentPort.on('message', (msg) => handle(msg, (reply) => parentPort.postMessage(reply)));
`;

function spawn(): KernelWorker {
  const worker = new Worker(source, { eval: true });
  return {
    post: (message) => worker.postMessage(message),
    listen(onReply, onFailure) {
      worker.on('message', onReply);
      worker.on('error', onFailure);
      worker.on('exit', (code) => {
        if (code !== 1) onFailure(new Error(`worker exited with code ${code}`));
      });
    },
    setBusy: (busy) => (busy ? worker.ref() : worker.unref()),
    async terminate() {
      await worker.terminate();
    },
  };
}

/**
 * Starts a pool of PoW scan workers on worker threads. An idle pool does not keep the
 * process alive; close it when done.
 *
 * @param size - number of workers (default: available parallelism)
 * @returns the pool, to pass as `options.pool` when sealing
 * @throws RangeError if `size` is not an integer in [1, 256]
 */
export function createPowWorkerPool(size = availableParallelism()): Promise<PowScanPool> {
  return createPool(size, spawn);
}
