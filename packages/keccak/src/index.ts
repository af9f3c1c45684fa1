/**
 * @hush/keccak: Keccak-256 and the Whisper proof-of-work scan kernel, in WebAssembly
 * generated at run time (SIMD where the engine has it), with a pure-JS fallback that gives
 * identical results.
 *
 * @packageDocumentation
 */

export { POW_PREFIX_OFFSET } from './keccak-module.js';
export {
  keccak256,
  keccak256Concat,
  keccak256Pair,
  keccak256WithPowBits,
} from './keccak256.js';
export { powHashBits, powScan, powScanMask } from './pow-scan.js';
export {
  type KeccakBackendName,
  keccakBackend,
  keccakModule,
  keccakReady,
  useJsBackend,
} from './runtime.js';
