/**
 * @hush/pow: Whisper v6 proof-of-work, exactly as go-ethereum v1.8.27 computes and seals it
 * (specs/whisper-v6 SPEC §4), with sealing in this thread or on worker threads / Web Workers.
 *
 * @packageDocumentation
 */

export { createPowWorkerPool } from '#worker-pool';
export { PowError, type PowErrorCode } from './errors.js';
export type { PowScanPool, ScanRequest } from './scan-pool.js';
export {
  type SealOptions,
  type SealProgress,
  type SealResult,
  sealForTime,
  sealToTarget,
} from './seal.js';
export {
  type PowWork,
  powBits,
  powBuffer,
  powOf,
  powValue,
  targetBits,
  trailingZeroBits,
} from './value.js';
