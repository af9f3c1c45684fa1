/**
 * The messages between the unwrap pool and its worker threads (specs/mixnet-sphinx/SPEC.md §9
 * "A mix"): types only. Keys go to each worker once and are named by id after; packets go in
 * batches, copied into one transferred buffer, each with its key's id.
 */
import type { SphinxErrorCode } from './errors.js';
import type { Unwrapped } from './unwrap.js';

/** What the pool sends a worker. */
export type ToWorker =
  | { readonly type: 'key'; readonly id: number; readonly key: Uint8Array }
  | { readonly type: 'forget'; readonly id: number }
  | {
      readonly type: 'batch';
      readonly batch: number;
      /** The key id of each packet, in order. */
      readonly keys: readonly number[];
      /** The packets one after another, `keys.length` × the geometry's packet length or more. */
      readonly packets: ArrayBuffer;
    };

/** One packet's answer: the hop, or the refusal. */
export type WorkerResult =
  | { readonly ok: Unwrapped }
  | { readonly name: 'SphinxError'; readonly code: SphinxErrorCode; readonly message: string }
  | { readonly name: 'Error'; readonly message: string };

/** What a worker sends the pool. */
export type FromWorker =
  | { readonly type: 'ready' }
  | { readonly type: 'done'; readonly batch: number; readonly results: readonly WorkerResult[] };
