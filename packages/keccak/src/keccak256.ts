/**
 * Keccak-256 (the original Keccak padding 0x01…0x80, as Ethereum uses it; not SHA3-256).
 */
import { keccak_256 } from '@noble/hashes/sha3.js';
import { RATE } from './keccak-module.js';
import { powHashBits } from './pow-scan.js';
import {
  DIGEST_OFFSET,
  DIGEST2_OFFSET,
  INPUT_OFFSET,
  type KeccakInstance,
  keccakInstance,
} from './runtime.js';

function assertBytes(value: unknown, name: string): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array)) throw new TypeError(`${name} must be a Uint8Array`);
}

function totalLength(parts: readonly Uint8Array[], name: string): number {
  if (!Array.isArray(parts)) throw new TypeError(`${name} must be an array of Uint8Array`);
  let length = 0;
  for (let i = 0; i < parts.length; i++) {
    assertBytes(parts[i], `${name}[${i}]`);
    length += parts[i]!.length;
  }
  return length;
}

/** Bytes of the padded message of `length` bytes. */
function paddedLength(length: number): number {
  return (Math.floor(length / RATE) + 1) * RATE;
}

/** Writes `parts` with Keccak padding at `at` in the module's memory. */
function writePadded(
  mem: Uint8Array,
  at: number,
  parts: readonly Uint8Array[],
  padded: number,
): void {
  let end = at;
  for (const part of parts) {
    mem.set(part, end);
    end += part.length;
  }
  mem.fill(0, end, at + padded);
  mem[end] ^= 0x01;
  mem[at + padded - 1] ^= 0x80;
}

function jsDigest(parts: readonly Uint8Array[]): Uint8Array {
  const hash = keccak_256.create();
  for (const part of parts) hash.update(part);
  return hash.digest();
}

function wasmDigest(
  wasm: KeccakInstance,
  parts: readonly Uint8Array[],
  length: number,
): Uint8Array {
  const padded = paddedLength(length);
  wasm.reserve(INPUT_OFFSET + padded);
  const mem = wasm.bytes();
  writePadded(mem, INPUT_OFFSET, parts, padded);
  wasm.exports.absorb(INPUT_OFFSET, padded / RATE, DIGEST_OFFSET);
  return mem.slice(DIGEST_OFFSET, DIGEST_OFFSET + 32);
}

/**
 * Hashes the concatenation of `parts` without concatenating them first.
 *
 * @param parts - byte strings hashed as one message, in order
 * @returns the 32-byte digest
 * @throws TypeError if `parts` is not an array of Uint8Array
 */
export function keccak256Concat(parts: readonly Uint8Array[]): Uint8Array {
  const length = totalLength(parts, 'parts');
  const wasm = keccakInstance();
  return wasm ? wasmDigest(wasm, parts, length) : jsDigest(parts);
}

/**
 * Hashes two messages, each given as parts, at once: with WebAssembly SIMD the two share
 * every permutation when their padded lengths match (the envelope hash and the PoW prefix of
 * one envelope nearly always do), which halves the cost of the pair.
 *
 * @returns the two 32-byte digests, in order
 * @throws TypeError if an argument is not an array of Uint8Array
 */
export function keccak256Pair(
  first: readonly Uint8Array[],
  second: readonly Uint8Array[],
): [Uint8Array, Uint8Array] {
  const lengthA = totalLength(first, 'first');
  const lengthB = totalLength(second, 'second');
  const wasm = keccakInstance();
  if (!wasm) return [jsDigest(first), jsDigest(second)];
  const padded = paddedLength(lengthA);
  const absorb2 = wasm.exports.absorb2;
  if (!absorb2 || padded !== paddedLength(lengthB)) {
    return [wasmDigest(wasm, first, lengthA), wasmDigest(wasm, second, lengthB)];
  }
  const secondAt = INPUT_OFFSET + padded;
  wasm.reserve(secondAt + padded);
  const mem = wasm.bytes();
  writePadded(mem, INPUT_OFFSET, first, padded);
  writePadded(mem, secondAt, second, padded);
  absorb2(INPUT_OFFSET, secondAt, padded / RATE, DIGEST_OFFSET, DIGEST2_OFFSET);
  return [
    mem.slice(DIGEST_OFFSET, DIGEST_OFFSET + 32),
    mem.slice(DIGEST2_OFFSET, DIGEST2_OFFSET + 32),
  ];
}

/**
 * What a node computes for every envelope, in one pass (specs/whisper-v6 SPEC §3.4, §4.2):
 * keccak256 of `message` (the envelope's canonical encoding), and the proof-of-work bits of
 * `nonce` over the prefix keccak256(`prefixMessage`) (the encoding without the nonce), that
 * is `powHashBits(keccak256Concat(prefixMessage), nonce)`. With WebAssembly SIMD the two long
 * hashes share their permutations and the PoW block is hashed in the same call.
 *
 * @param message - the parts of the message whose digest is returned
 * @param prefixMessage - the parts of the message whose digest is the PoW prefix
 * @param nonce - uint64
 * @returns the digest of `message` and the trailing zero bits of the PoW digest
 * @throws TypeError if `message` or `prefixMessage` is not an array of Uint8Array
 * @throws RangeError if `nonce` is not a uint64
 */
export function keccak256WithPowBits(
  message: readonly Uint8Array[],
  prefixMessage: readonly Uint8Array[],
  nonce: bigint,
): [digest: Uint8Array, powBits: number] {
  const lengthA = totalLength(message, 'message');
  const lengthB = totalLength(prefixMessage, 'prefixMessage');
  if (typeof nonce !== 'bigint' || nonce < 0n || nonce >= 1n << 64n)
    throw new RangeError('nonce must be a bigint in [0, 2^64)');
  const wasm = keccakInstance();
  const padded = paddedLength(lengthA);
  const absorb2Pow = wasm?.exports.absorb2Pow;
  if (!wasm || !absorb2Pow || padded !== paddedLength(lengthB)) {
    const [digest, prefix] = keccak256Pair(message, prefixMessage);
    return [digest, powHashBits(prefix, nonce)];
  }
  const secondAt = INPUT_OFFSET + padded;
  wasm.reserve(secondAt + padded);
  const mem = wasm.bytes();
  writePadded(mem, INPUT_OFFSET, message, padded);
  writePadded(mem, secondAt, prefixMessage, padded);
  const bits = absorb2Pow(INPUT_OFFSET, secondAt, padded / RATE, DIGEST_OFFSET, nonce);
  return [mem.slice(DIGEST_OFFSET, DIGEST_OFFSET + 32), bits];
}

/**
 * Keccak-256 of `data`.
 *
 * @param data - the message
 * @returns the 32-byte digest
 * @throws TypeError if `data` is not a Uint8Array
 */
export function keccak256(data: Uint8Array): Uint8Array {
  assertBytes(data, 'data');
  return keccak256Concat([data]);
}
