/**
 * The part of a worker pool that does not depend on the platform: request ids, the queue of
 * waiting requests, and failure handling. Platform files supply the worker itself.
 */
import { keccakModule, powScanMask } from '@hush/keccak';
import { PowError } from './errors.js';
import type { PowScanPool, ScanRequest } from './scan-pool.js';

/** What a platform worker must do. */
export interface KernelWorker {
  post(message: unknown): void;
  /** Registers the handler for replies and the handler for a crash. */
  listen(onReply: (reply: KernelReply) => void, onFailure: (error: unknown) => void): void;
  /** Marks the worker busy (keeps a Node process alive) or idle. */
  setBusy(busy: boolean): void;
  terminate(): Promise<void>;
}

export interface KernelReply {
  id: number;
  index?: number;
  error?: string;
}

interface Slot {
  worker: KernelWorker;
  busy: boolean;
}

interface Waiting {
  request: ScanRequest;
  resolve: (index: number) => void;
  reject: (error: unknown) => void;
}

/**
 * Builds a pool over `size` workers made by `spawn`, after sending each the compiled module.
 *
 * @throws RangeError if `size` is not an integer in [1, 256]
 */
export async function createPool(size: number, spawn: () => KernelWorker): Promise<PowScanPool> {
  if (!Number.isInteger(size) || size < 1 || size > 256) {
    throw new RangeError(`size must be an integer in [1, 256], got ${size}`);
  }
  const { module } = await keccakModule();
  const slots: Slot[] = [];
  const queue: Waiting[] = [];
  const inFlight = new Map<number, { slot: Slot; waiting: Waiting }>();
  let nextId = 1;
  let failure: PowError | undefined;

  const fail = (error: unknown) => {
    failure ??= new PowError('worker-failed', `PoW worker failed: ${String(error)}`, {
      cause: error,
    });
    for (const { waiting } of inFlight.values()) waiting.reject(failure);
    for (const waiting of queue.splice(0)) waiting.reject(failure);
    inFlight.clear();
  };

  const dispatch = () => {
    for (const slot of slots) {
      if (slot.busy || queue.length === 0) continue;
      const waiting = queue.shift()!;
      const id = nextId++;
      slot.busy = true;
      slot.worker.setBusy(true);
      inFlight.set(id, { slot, waiting });
      const { prefix, start, count, targetBits } = waiting.request;
      slot.worker.post({ type: 'scan', id, prefix, start, count, mask: powScanMask(targetBits) });
    }
  };

  for (let i = 0; i < size; i++) {
    const worker = spawn();
    const slot: Slot = { worker, busy: false };
    worker.listen((reply) => {
      const entry = inFlight.get(reply.id);
      if (!entry) return;
      inFlight.delete(reply.id);
      slot.busy = false;
      worker.setBusy(false);
      if (reply.error !== undefined)
        entry.waiting.reject(new PowError('worker-failed', reply.error));
      else entry.waiting.resolve(reply.index ?? -1);
      dispatch();
    }, fail);
    worker.post({ type: 'init', module });
    worker.setBusy(false);
    slots.push(slot);
  }

  return {
    size,
    scan(request) {
      if (failure) return Promise.reject(failure);
      return new Promise<number>((resolve, reject) => {
        queue.push({ request, resolve, reject });
        dispatch();
      });
    },
    async close() {
      fail(new Error('pool closed'));
      await Promise.all(slots.map((slot) => slot.worker.terminate()));
    },
  };
}
