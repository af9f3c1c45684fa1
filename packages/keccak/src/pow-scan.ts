/**
 * The proof-of-work scan kernel (specs/whisper-v6 SPEC §4.1, §4.4): over a range of nonces,
 * find the first whose PoW digest keccak256(prefix ‖ 24 zero bytes ‖ nonce big-endian) ends
 * in at least `targetBits` zero bits, read as a big-endian integer. The kernel tests at most
 * the last 64 bits; for larger targets it returns candidates that the caller must verify.
 */
import { keccak_256 } from '@noble/hashes/sha3.js';
import { POW_PREFIX_OFFSET, RATE } from './keccak-module.js';
import { DIGEST_OFFSET, INPUT_OFFSET, keccakInstance } from './runtime.js';

/** Largest nonce plus one. */
const NONCE_LIMIT = 1n << 64n;

/**
 * The mask that the WebAssembly kernel ANDs with digest lane 3 (bytes 24..31 read
 * little-endian): the low min(targetBits, 64) bits of the big-endian digest, byte-swapped.
 *
 * @param targetBits - required trailing zero bits, at least 1
 * @returns the mask as an unsigned 64-bit bigint
 * @throws RangeError if `targetBits` is not an integer of at least 1
 */
export function powScanMask(targetBits: number): bigint {
  if (!Number.isInteger(targetBits) || targetBits < 1) {
    throw new RangeError(`targetBits must be an integer >= 1, got ${targetBits}`);
  }
  const bits = Math.min(targetBits, 64);
  const low = (1n << BigInt(bits)) - 1n;
  let swapped = 0n;
  for (let i = 0n; i < 8n; i++) swapped |= ((low >> (8n * i)) & 0xffn) << (8n * (7n - i));
  return swapped;
}

/** True when the last min(targetBits, 64) bits of the big-endian digest are zero. */
function lowBitsClear(digest: Uint8Array, targetBits: number): boolean {
  let bits = Math.min(targetBits, 64);
  for (let i = 31; bits > 0; i--, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (1 << bits) - 1;
    if ((digest[i]! & mask) !== 0) return false;
  }
  return true;
}

function checkArguments(prefix: Uint8Array, start: bigint, count: number): void {
  if (!(prefix instanceof Uint8Array) || prefix.length !== 32) {
    throw new TypeError('prefix must be a 32-byte Uint8Array');
  }
  if (typeof start !== 'bigint' || start < 0n || start >= NONCE_LIMIT) {
    throw new RangeError('start must be a bigint nonce in [0, 2^64)');
  }
  if (!Number.isInteger(count) || count < 0 || count > 0x7fffffff) {
    throw new RangeError('count must be an integer in [0, 2^31)');
  }
  if (start + BigInt(count) > NONCE_LIMIT) throw new RangeError('start + count exceeds 2^64');
}

/**
 * Scans nonces start, start+1, …, start+count−1 and returns the index (nonce − start) of the
 * first candidate, or −1. For `targetBits` ≤ 64 every candidate qualifies; above 64 a
 * candidate has its last 64 bits clear and the caller checks the rest.
 *
 * @param prefix - keccak256(rlpWithoutNonce), 32 bytes
 * @param start - first nonce
 * @param count - how many nonces to try, below 2^31
 * @param targetBits - required trailing zero bits, at least 1
 * @returns the index of the first candidate, or −1
 * @throws TypeError if `prefix` is not 32 bytes
 * @throws RangeError if the range leaves [0, 2^64) or `targetBits` < 1
 */
export function powScan(
  prefix: Uint8Array,
  start: bigint,
  count: number,
  targetBits: number,
): number {
  checkArguments(prefix, start, count);
  const mask = powScanMask(targetBits);
  const wasm = keccakInstance();
  if (!wasm) return powScanJs(prefix, start, count, targetBits);
  wasm.bytes().set(prefix, POW_PREFIX_OFFSET);
  const { powScan2 } = wasm.exports;
  if (!powScan2) return wasm.exports.powScan(start, count, mask);
  // The two-lane kernel tests nonces in pairs; a hit on the extra last one is out of range.
  const index = powScan2(start, count + (count & 1), mask);
  return index < count ? index : -1;
}

/** The pure-JS scan: identical results, for engines without WebAssembly. */
function powScanJs(prefix: Uint8Array, start: bigint, count: number, targetBits: number): number {
  const buffer = new Uint8Array(64);
  buffer.set(prefix);
  const view = new DataView(buffer.buffer);
  for (let i = 0; i < count; i++) {
    view.setBigUint64(56, start + BigInt(i), false);
    if (lowBitsClear(keccak_256(buffer), targetBits)) return i;
  }
  return -1;
}

/** Trailing zero bits of a big-endian digest held at `at` in `bytes` (all zero counts 0). */
function trailingZeros(bytes: Uint8Array, at: number): number {
  for (let i = at + 31, bits = 0; i >= at; i--, bits += 8) {
    const byte = bytes[i]!;
    if (byte !== 0) return bits + 31 - Math.clz32(byte & -byte);
  }
  return 0;
}

/**
 * Trailing zero bits of keccak256(prefix ‖ 24 zero bytes ‖ nonce big-endian), read as a
 * big-endian integer (SPEC §4.2; an all-zero digest counts 0). The block is built in the
 * module's memory, so nothing is allocated per call.
 *
 * @param prefix - keccak256(rlpWithoutNonce), 32 bytes
 * @param nonce - uint64
 * @throws TypeError if `prefix` is not 32 bytes
 * @throws RangeError if `nonce` is not a uint64
 */
export function powHashBits(prefix: Uint8Array, nonce: bigint): number {
  checkArguments(prefix, nonce, 0);
  const wasm = keccakInstance();
  if (!wasm) {
    const buffer = new Uint8Array(64);
    buffer.set(prefix);
    new DataView(buffer.buffer).setBigUint64(56, nonce, false);
    return trailingZeros(keccak_256(buffer), 0);
  }
  const mem = wasm.bytes();
  mem.set(prefix, INPUT_OFFSET);
  mem.fill(0, INPUT_OFFSET + 32, INPUT_OFFSET + RATE);
  const high = Number(nonce >> 32n);
  const low = Number(nonce & 0xffffffffn);
  for (let i = 0; i < 4; i++) {
    mem[INPUT_OFFSET + 56 + i] = high >>> (24 - 8 * i);
    mem[INPUT_OFFSET + 60 + i] = low >>> (24 - 8 * i);
  }
  mem[INPUT_OFFSET + 64] = 0x01;
  mem[INPUT_OFFSET + RATE - 1] = 0x80;
  wasm.exports.absorb(INPUT_OFFSET, 1, DIGEST_OFFSET);
  return trailingZeros(mem, DIGEST_OFFSET);
}
