/**
 * The proof-of-work value of an envelope (specs/whisper-v6 SPEC §4.1–§4.3), computed exactly
 * as go-ethereum v1.8.27 does: float64 arithmetic, divisions in geth's order.
 */
import { powHashBits } from '@hush/keccak';

/** The envelope facts the PoW depends on, besides the nonce. */
export interface PowWork {
  /** keccak256(RLP [expiry, ttl, topic, data]): the first 32 bytes of the PoW buffer. */
  readonly prefix: Uint8Array;
  /** Envelope size: 20 + data length (SPEC §3.5). */
  readonly size: number;
  /** Envelope TTL in seconds (uint32). */
  readonly ttl: number;
}

function assertUint(value: unknown, name: string, max: number): asserts value is number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > max) {
    throw new RangeError(`${name} must be an integer in [0, ${max}], got ${String(value)}`);
  }
}

function assertPrefix(prefix: unknown): asserts prefix is Uint8Array {
  if (!(prefix instanceof Uint8Array) || prefix.length !== 32) {
    throw new TypeError('prefix must be a 32-byte Uint8Array');
  }
}

/**
 * The 64-byte PoW buffer: prefix ‖ 24 zero bytes ‖ nonce big-endian (SPEC §4.1).
 *
 * @throws TypeError if `prefix` is not 32 bytes
 * @throws RangeError if `nonce` is not a uint64
 */
export function powBuffer(prefix: Uint8Array, nonce: bigint): Uint8Array {
  assertPrefix(prefix);
  if (typeof nonce !== 'bigint' || nonce < 0n || nonce >= 1n << 64n) {
    throw new RangeError('nonce must be a bigint in [0, 2^64)');
  }
  const buffer = new Uint8Array(64);
  buffer.set(prefix);
  new DataView(buffer.buffer).setBigUint64(56, nonce, false);
  return buffer;
}

/**
 * Trailing zero bits of a digest read as a big-endian integer; an all-zero digest counts 0,
 * as geth's `math.FirstBitSet` does.
 *
 * @throws TypeError if `digest` is not a Uint8Array
 */
export function trailingZeroBits(digest: Uint8Array): number {
  if (!(digest instanceof Uint8Array)) throw new TypeError('digest must be a Uint8Array');
  for (let i = digest.length - 1, bits = 0; i >= 0; i--, bits += 8) {
    const byte = digest[i]!;
    if (byte !== 0) return bits + 31 - Math.clz32(byte & -byte);
  }
  return 0;
}

/**
 * The number of trailing zero bits of keccak256(PoW buffer) for `nonce` (SPEC §4.2).
 *
 * @throws TypeError if `prefix` is not 32 bytes
 * @throws RangeError if `nonce` is not a uint64
 */
export function powBits(prefix: Uint8Array, nonce: bigint): number {
  return powHashBits(prefix, nonce);
}

/**
 * PoW = 2^bits / size / (ttl + diff), in float64 and in that order (SPEC §4.2). `ttl + diff`
 * is uint32 arithmetic, as in geth's node-side recomputation for envelopes from the future;
 * a zero divisor gives +Infinity.
 *
 * @param bits - trailing zero bits of the PoW digest
 * @param size - envelope size (20 + data length)
 * @param ttl - envelope TTL (uint32)
 * @param diff - added to ttl in uint32 (default 0)
 * @throws RangeError if an argument is out of range
 */
export function powValue(bits: number, size: number, ttl: number, diff = 0): number {
  assertUint(bits, 'bits', 512);
  assertUint(size, 'size', Number.MAX_SAFE_INTEGER);
  assertUint(ttl, 'ttl', 0xffffffff);
  assertUint(diff, 'diff', 0xffffffff);
  let x = 2 ** bits;
  x /= size;
  x /= (ttl + diff) >>> 0;
  return x;
}

/**
 * The PoW of a nonce for the given work (SPEC §4.2).
 *
 * @throws TypeError if `work.prefix` is not 32 bytes
 * @throws RangeError if `nonce`, `work.size` or `work.ttl` is out of range
 */
export function powOf(work: PowWork, nonce: bigint, diff = 0): number {
  return powValue(powBits(work.prefix, nonce), work.size, work.ttl, diff);
}

/**
 * The trailing-zero bits a nonce needs to reach PoW `target` (SPEC §4.3):
 * max(1, ceil(log2(target · size · ttl))) in float64. A product of 0 or +Infinity gives 1,
 * as geth's conversion does on amd64.
 *
 * @throws RangeError if `target` is not a positive finite number or size/ttl are out of range
 */
export function targetBits(target: number, size: number, ttl: number): number {
  if (typeof target !== 'number' || !(target > 0) || !Number.isFinite(target)) {
    throw new RangeError(`target must be a positive finite number, got ${String(target)}`);
  }
  assertUint(size, 'size', Number.MAX_SAFE_INTEGER);
  assertUint(ttl, 'ttl', 0xffffffff);
  let x = target;
  x *= size;
  x *= ttl;
  const bits = Math.ceil(goLog2(x));
  // Go converts NaN/±Inf to the minimum int64 on amd64, which the max(1, …) then lifts to 1.
  if (!Number.isFinite(bits)) return 1;
  return Math.max(1, bits);
}

/**
 * log2 as Go's math.Log2 computes it: frexp, exact for powers of two, otherwise
 * log(frac) · (1/ln 2) + exp. Engines' own log2 may round differently in the last place,
 * which could move ceil() for a product just above a power of two.
 */
function goLog2(x: number): number {
  if (!(x > 0) || !Number.isFinite(x)) return Math.log2(x);
  const [frac, exp] = frexp(x);
  if (frac === 0.5) return exp - 1;
  return Math.log(frac) * (1 / Math.LN2) + exp;
}

/** x = frac · 2^exp with frac in [0.5, 1), for positive finite x. */
function frexp(x: number): [number, number] {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  let biased = (view.getUint16(0) >> 4) & 0x7ff;
  let adjust = 0;
  if (biased === 0) {
    // Subnormal: scale into the normal range first.
    view.setFloat64(0, x * 2 ** 64);
    biased = (view.getUint16(0) >> 4) & 0x7ff;
    adjust = -64;
  }
  const exp = biased - 1022 + adjust;
  view.setUint16(0, (view.getUint16(0) & 0x800f) | (1022 << 4));
  return [view.getFloat64(0), exp];
}
