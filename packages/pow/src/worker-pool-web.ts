/**
 * PoW scan workers as Web Workers (browser path of `#worker-pool`). The worker runs from a
 * Blob URL, so no separate file has to be served.
 */
import { POW_PREFIX_OFFSET } from '@hush/keccak';
import type { PowScanPool } from './scan-pool.js';
import { workerKernelSource } from './scan-pool.js';
import { createPool, type KernelWorker } from './worker-pool-shared.js';

const source = `
${workerKernelSource(POW_PREFIX_OFFSET)}
self.onmessage = (event) => handle(event.data, (reply) => self.postMessage(reply));
`;

function spawn(): KernelWorker {
  const url = URL.createObjectURL(new Blob([source], { type: 'text/javascript' }));
  const worker = new Worker(url);
  URL.revokeObjectURL(url);
  return {
    post: (message) => worker.postMessage(message),
    listen(onReply, onFailure) {
      worker.onmessage = (event: MessageEvent<Parameters<typeof onReply>[0]>) =>
        onReply(event.data);
      worker.onerror = (event) => onFailure(new Error(event.message));
    },
    setBusy: () => {},
    async terminate() {
      worker.terminate();
    },
  };
}

/**
 * Starts a pool of PoW scan Web Workers.
 *
 * @param size - number of workers (default: navigator.hardwareConcurrency, at least 1)
 * @returns the pool, to pass as `options.pool` when sealing
 * @throws RangeError if `size` is not an integer in [1, 256]
 */
export function createPowWorkerPool(
  size = Math.max(1, globalThis.navigator?.hardwareConcurrency ?? 1),
): Promise<PowScanPool> {
  return createPool(size, spawn);
}
