/**
 * Loads the generated Keccak WebAssembly module once per thread and exposes it. Where
 * WebAssembly is missing, or a browser's main thread refuses to compile synchronously, the
 * pure-JS backend (@noble/hashes) serves until the asynchronous compile finishes; both give
 * identical results, only speed differs.
 */
import { DIGEST_OFFSET, DIGEST2_OFFSET, INPUT_OFFSET, keccakModuleBytes } from './keccak-module.js';

/** Which implementation serves hashing in this thread. */
export type KeccakBackendName = 'wasm-simd' | 'wasm' | 'js';

/** The raw exports of the generated module. */
export interface KeccakExports {
  readonly memory: WebAssembly.Memory;
  absorb(ptr: number, blocks: number, out: number): void;
  powScan(start: bigint, count: number, mask: bigint): number;
  /** Present only in the SIMD variant. */
  powScan2?: (start: bigint, count: number, mask: bigint) => number;
  /** Present only in the SIMD variant. */
  absorb2?: (ptrA: number, ptrB: number, blocks: number, outA: number, outB: number) => void;
  /** Present only in the SIMD variant. */
  absorb2Pow?: (ptrA: number, ptrB: number, blocks: number, outA: number, nonce: bigint) => number;
}

/** A ready module instance with a byte view that follows memory growth. */
export interface KeccakInstance {
  readonly exports: KeccakExports;
  readonly simd: boolean;
  /** The current view of memory; valid until the next `reserve`. */
  bytes(): Uint8Array;
  /** Ensures memory holds at least `size` bytes. */
  reserve(size: number): void;
}

let instance: KeccakInstance | undefined;
let pending: Promise<void> | undefined;
let forcedJs = false;

function simdSupported(): boolean {
  return WebAssembly.validate(keccakModuleBytes(true));
}

function wrap(module: WebAssembly.Module, simd: boolean): KeccakInstance {
  const exports = new WebAssembly.Instance(module, {}).exports as unknown as KeccakExports;
  // Only `reserve` grows the memory, so the view is refreshed there and nowhere else: reading
  // `memory.buffer` is an API call that would otherwise cost every hash.
  let view = new Uint8Array(exports.memory.buffer);
  return {
    exports,
    simd,
    bytes: () => view,
    reserve(size) {
      if (size <= view.length) return;
      exports.memory.grow(Math.ceil((size - view.length) / 65536));
      view = new Uint8Array(exports.memory.buffer);
    },
  };
}

/** The compiled module for this engine (SIMD when the engine validates it). */
export async function keccakModule(): Promise<{ module: WebAssembly.Module; simd: boolean }> {
  const simd = simdSupported();
  return { module: await WebAssembly.compile(keccakModuleBytes(simd)), simd };
}

/**
 * The thread's module instance, or undefined while it is not available (no WebAssembly,
 * still compiling, or the JS backend forced).
 */
export function keccakInstance(): KeccakInstance | undefined {
  if (instance || forcedJs) return instance;
  if (typeof WebAssembly !== 'object') return undefined;
  if (!pending) {
    const simd = simdSupported();
    try {
      instance = wrap(new WebAssembly.Module(keccakModuleBytes(simd)), simd);
    } catch {
      // Browsers' main threads refuse synchronous compiles of larger modules.
      pending = keccakModule().then(
        ({ module, simd }) => {
          if (!forcedJs) instance = wrap(module, simd);
        },
        () => undefined,
      );
    }
  }
  return instance;
}

/**
 * Resolves once the fastest backend this engine supports is serving. Optional: hashing works
 * before it, only slower.
 */
export async function keccakReady(): Promise<KeccakBackendName> {
  keccakInstance();
  await pending;
  return keccakBackend();
}

/** The backend currently serving hashes in this thread. */
export function keccakBackend(): KeccakBackendName {
  const current = keccakInstance();
  if (!current) return 'js';
  return current.simd ? 'wasm-simd' : 'wasm';
}

/**
 * Forces the pure-JS backend on (true) or restores the automatic choice (false), so tests and
 * benchmarks can run the same inputs through both backends.
 */
export function useJsBackend(force: boolean): void {
  forcedJs = force;
  if (force) instance = undefined;
  else pending = undefined;
}

export { DIGEST_OFFSET, DIGEST2_OFFSET, INPUT_OFFSET };
