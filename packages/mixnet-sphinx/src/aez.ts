/**
 * AEZ v5 (Hoang, Krovetz, Rogaway, "AEZ v5: Authenticated Encryption by Enciphering", 2017),
 * the wide-block cipher Katzenpost's Sphinx uses as its payload SPRP.
 *
 * The parts of the AEZ v5 specification this module follows, by the names the specification
 * gives its algorithms (the specification's text was not at hand to cite its section
 * numbers; Yawning Angel's Go port of the reference code, which Katzenpost uses, settled the
 * details, and Katzenpost's vectors check the result):
 * - Extract: a 48-byte key is used as is, any other length is first hashed with BLAKE2b to
 *   48 bytes (as the Go implementation does); the result is split into `I ‖ J ‖ L`.
 * - The tweakable block cipher `E^{j,i}_K`: `j = -1` is AES10 of `X ⊕ iL`, `j ≥ 0` is AES4
 *   of `X ⊕ jJ ⊕ 2^⌈i/8⌉ I ⊕ (i mod 8) L`, multiplication in GF(2^128) (`aez-aes.ts` holds
 *   the AES rounds).
 * - AEZ-hash: `Δ` from the tag length in bits, the nonce and each additional-data string
 *   (the nonce and the strings are the tweak).
 * - AEZ-prf: the output when the plaintext is empty.
 * - Encipher: AEZ-core for inputs of 32 bytes or more, AEZ-tiny (a Feistel network of 8 to
 *   24 rounds) below that.
 * - Encrypt / Decrypt: `tau` zero bytes appended before enciphering, checked after
 *   deciphering.
 *
 * Sphinx calls it with a 48-byte key, the 16-byte header IV as nonce, no additional data
 * and `tau = 0`, which makes AEZ a length-preserving tweakable SPRP: {@link aezEncipher}
 * and {@link aezDecipher}. Flipping any ciphertext bit scrambles the whole deciphered
 * payload, which Sphinx detects with its 32-byte zero tag.
 *
 * Pure TypeScript with BLAKE2b from @noble/hashes: runs in browsers as in Node. Not constant
 * time (the AES round uses look-up tables).
 *
 * @packageDocumentation
 */
import { blake2b } from '@noble/hashes/blake2.js';
import { aes4, aes10 } from './aez-aes.js';

/** The extracted key length (AEZ v5 Extract) and the SPRP key length Sphinx passes. */
export const AEZ_KEY_LENGTH = 48;

/** The nonce length Sphinx passes (its header IV). */
export const AEZ_SPHINX_NONCE_LENGTH = 16;

/** A 128-bit block as four big-endian 32-bit words. */
type Block = Uint32Array;

const newBlock = (): Block => new Uint32Array(4);

function loadBlock(src: Uint8Array, off: number, dst: Block): void {
  for (let w = 0; w < 4; w++) {
    const o = off + 4 * w;
    dst[w] = (src[o]! << 24) | (src[o + 1]! << 16) | (src[o + 2]! << 8) | src[o + 3]!;
  }
}

/** Loads `src[off..off+len]` (len < 16) followed by the `10*` padding. */
function loadPadded(src: Uint8Array, off: number, len: number, dst: Block): void {
  const buf = new Uint8Array(16);
  buf.set(src.subarray(off, off + len));
  buf[len] = 0x80;
  loadBlock(buf, 0, dst);
}

function storeBlock(src: Block, dst: Uint8Array, off: number): void {
  for (let w = 0; w < 4; w++) {
    const v = src[w]!;
    const o = off + 4 * w;
    dst[o] = v >>> 24;
    dst[o + 1] = v >>> 16;
    dst[o + 2] = v >>> 8;
    dst[o + 3] = v;
  }
}

function blockToBytes(src: Block): Uint8Array {
  const out = new Uint8Array(16);
  storeBlock(src, out, 0);
  return out;
}

/** `dst ← a ⊕ b`. */
function xor2(a: Block, b: Block, dst: Block): void {
  dst[0] = a[0]! ^ b[0]!;
  dst[1] = a[1]! ^ b[1]!;
  dst[2] = a[2]! ^ b[2]!;
  dst[3] = a[3]! ^ b[3]!;
}

/** `dst ← a ⊕ b ⊕ c`. */
function xor3(a: Block, b: Block, c: Block, dst: Block): void {
  dst[0] = a[0]! ^ b[0]! ^ c[0]!;
  dst[1] = a[1]! ^ b[1]! ^ c[1]!;
  dst[2] = a[2]! ^ b[2]! ^ c[2]!;
  dst[3] = a[3]! ^ b[3]! ^ c[3]!;
}

/** `dst ← a ⊕ b ⊕ c ⊕ d`. */
function xor4(a: Block, b: Block, c: Block, d: Block, dst: Block): void {
  dst[0] = a[0]! ^ b[0]! ^ c[0]! ^ d[0]!;
  dst[1] = a[1]! ^ b[1]! ^ c[1]! ^ d[1]!;
  dst[2] = a[2]! ^ b[2]! ^ c[2]! ^ d[2]!;
  dst[3] = a[3]! ^ b[3]! ^ c[3]! ^ d[3]!;
}

/** In place: `b ← 2·b` in GF(2^128) with AEZ's polynomial x^128 + x^7 + x^2 + x + 1. */
function double(b: Block): void {
  const carry = b[0]! >>> 31;
  b[0] = (b[0]! << 1) | (b[1]! >>> 31);
  b[1] = (b[1]! << 1) | (b[2]! >>> 31);
  b[2] = (b[2]! << 1) | (b[3]! >>> 31);
  b[3] = (b[3]! << 1) ^ (-carry & 0x87);
}

/** `dst ← x·src` in GF(2^128), for a small public integer `x`. */
function mult(x: number, src: Block, dst: Block): void {
  const t = Uint32Array.from(src);
  const r = newBlock();
  for (let n = x; n !== 0; n >>>= 1) {
    if (n & 1) xor2(r, t, r);
    double(t);
  }
  dst.set(r);
}

/** The key-derived state: the extracted key and the multiples of `I`, `J`, `L` AEZ uses. */
interface State {
  /** `I ‖ J ‖ L` as twelve big-endian words: the AES round keys. */
  readonly key: Uint32Array;
  /** `I`, `2I`. */
  readonly I: readonly [Block, Block];
  /** `J`, `2J`, `4J`. */
  readonly J: readonly [Block, Block, Block];
  /** `0L` … `7L`. */
  readonly L: readonly Block[];
}

/** Extract, then the key-derived blocks. */
function initState(k: Uint8Array): State {
  const extracted = k.length === AEZ_KEY_LENGTH ? k : blake2b(k, { dkLen: AEZ_KEY_LENGTH });
  const key = new Uint32Array(12);
  for (let w = 0; w < 3; w++) {
    const part = key.subarray(4 * w, 4 * w + 4);
    loadBlock(extracted, 16 * w, part);
  }
  if (extracted !== k) extracted.fill(0);
  const i1 = key.slice(0, 4);
  const i2 = newBlock();
  mult(2, i1, i2);
  const j1 = key.slice(4, 8);
  const j2 = newBlock();
  mult(2, j1, j2);
  const j4 = newBlock();
  mult(2, j2, j4);
  const L = Array.from({ length: 8 }, newBlock);
  L[1]!.set(key.subarray(8, 12));
  for (let n = 2; n < 8; n++) {
    if (n % 2 === 0) mult(2, L[n / 2]!, L[n]!);
    else xor2(L[n - 1]!, L[1]!, L[n]!);
  }
  return { key, I: [i1, i2], J: [j1, j2, j4], L };
}

function wipeState(s: State): void {
  s.key.fill(0);
  for (const b of [...s.I, ...s.J, ...s.L]) b.fill(0);
}

/**
 * Hashes one tweak string with `E^{j,i}`, i = 1, 2, … over its full blocks and
 * `E^{j,0}` over the padded last partial block (or over `10*` when the string is empty),
 * XORing each result into `sum` (AEZ-hash).
 */
function hashString(s: State, jJ: Block, str: Uint8Array, sum: Block): void {
  const I = Uint32Array.from(s.I[1]);
  const t = newBlock();
  let off = 0;
  for (let i = 1; str.length - off >= 16; i++, off += 16) {
    loadBlock(str, off, t);
    xor4(t, jJ, I, s.L[i % 8]!, t);
    aes4(t, s.key);
    xor2(sum, t, sum);
    if (i % 8 === 0) double(I);
  }
  const rest = str.length - off;
  if (rest > 0 || str.length === 0) {
    loadPadded(str, off, rest, t);
    xor3(t, jJ, s.I[0], t);
    aes4(t, s.key);
    xor2(sum, t, sum);
  }
}

/** AEZ-hash: `Δ` from `tau` (in bits), the nonce and the additional data. */
function aezHash(s: State, nonce: Uint8Array, ad: readonly Uint8Array[], tauBits: number): Block {
  const sum = newBlock();
  // E^{3,1}(tau as a 128-bit big-endian integer)
  sum[3] = tauBits;
  const j3 = newBlock();
  xor2(s.J[0], s.J[1], j3);
  xor4(sum, j3, s.I[1], s.L[1]!, sum);
  aes4(sum, s.key);
  hashString(s, s.J[2], nonce, sum);
  const jk = newBlock();
  ad.forEach((str, k) => {
    mult(5 + k, s.J[0], jk);
    hashString(s, jk, str, sum);
  });
  return sum;
}

/** AEZ-prf: `tau` bytes of `E^{-1,3}(Δ ⊕ ctr)`, ctr = 0, 1, … */
function aezPrf(s: State, delta: Block, tau: number): Uint8Array {
  const out = new Uint8Array(tau);
  const ctr = newBlock();
  const t = newBlock();
  const buf = new Uint8Array(16);
  for (let off = 0; off < tau; off += 16) {
    xor3(delta, ctr, s.L[3]!, t);
    aes10(t, s.key);
    storeBlock(t, buf, 0);
    out.set(buf.subarray(0, Math.min(16, tau - off)), off);
    // ctr += 1, a 128-bit big-endian counter
    for (let w = 3; w >= 0; w--) {
      ctr[w] = ctr[w]! + 1;
      if (ctr[w] !== 0) break;
    }
  }
  return out;
}

/**
 * AEZ-core, for `input.length >= 32`: `d = 0` enciphers, `d = 1` deciphers.
 * The input is pairs of blocks `(M_i, M_i')`, a fragment of 0..31 bytes (`M_u`, `M_v`),
 * then the last two blocks `(M_x, M_y)`.
 */
function aezCore(s: State, delta: Block, input: Uint8Array, d: 0 | 1): Uint8Array {
  const n = input.length;
  const out = new Uint8Array(n);
  const frag = n % 32;
  const pairs = n - frag - 32; // bytes in whole pairs
  const { key, L } = s;
  const [I1, I2] = s.I;
  const [J1, J2] = s.J;
  // Pass 1 leaves W_i, X_i here (words), for pass 2.
  const mid = new Uint32Array(pairs / 4);
  const X = newBlock();
  const Y = newBlock();
  const I = Uint32Array.from(I2);
  const a = newBlock();
  const b = newBlock();
  const t = newBlock();

  // Pass 1: W_i = M_i ⊕ E^{1,i}(M_i'); X_i = M_i' ⊕ E^{0,0}(W_i); X = ⊕ X_i.
  // Written on the words of `mid` (a = mid[w..w+4], b = mid[w+4..w+8]) with no block
  // objects or views per pair: this loop and pass 2's are most of a Sphinx hop's AEZ.
  const tweak = newBlock();
  for (let i = 1, off = 0; off < pairs; i++, off += 32) {
    const li = L[i % 8]!;
    const w = off >>> 2;
    for (let k = 0, o = off; k < 8; k++, o += 4)
      mid[w + k] = (input[o]! << 24) | (input[o + 1]! << 16) | (input[o + 2]! << 8) | input[o + 3]!;
    xor3(J1, I, li, tweak);
    t[0] = mid[w + 4]! ^ tweak[0]!;
    t[1] = mid[w + 5]! ^ tweak[1]!;
    t[2] = mid[w + 6]! ^ tweak[2]!;
    t[3] = mid[w + 7]! ^ tweak[3]!;
    aes4(t, key);
    t[0] = mid[w]! ^ t[0]!;
    t[1] = mid[w + 1]! ^ t[1]!;
    t[2] = mid[w + 2]! ^ t[2]!;
    t[3] = mid[w + 3]! ^ t[3]!;
    mid.set(t, w);
    xor2(t, I1, t);
    aes4(t, key);
    for (let k = 0; k < 4; k++) {
      const x = mid[w + 4 + k]! ^ t[k]!;
      mid[w + 4 + k] = x;
      X[k] = X[k]! ^ x;
    }
    if (i % 8 === 0) double(I);
  }

  // The fragment's share of X: E^{0,4}(M_u) ⊕ E^{0,5}(M_v 10*), or E^{0,4}(M_u 10*).
  if (frag >= 16) {
    loadBlock(input, pairs, t);
    xor3(t, I2, L[4]!, t);
    aes4(t, key);
    xor2(X, t, X);
    loadPadded(input, pairs + 16, frag - 16, t);
    xor3(t, I2, L[5]!, t);
    aes4(t, key);
    xor2(X, t, X);
  } else if (frag > 0) {
    loadPadded(input, pairs, frag, t);
    xor3(t, I2, L[4]!, t);
    aes4(t, key);
    xor2(X, t, X);
  }

  // S_x = M_x ⊕ Δ ⊕ X ⊕ E^{0,1+d}(M_y); S_y = M_y ⊕ E^{-1,1+d}(S_x); S = S_x ⊕ S_y.
  const Sx = newBlock();
  const Sy = newBlock();
  const S = newBlock();
  loadBlock(input, n - 32, Sx);
  loadBlock(input, n - 16, Sy);
  xor3(Sy, I2, L[1 + d]!, t);
  aes4(t, key);
  xor4(Sx, delta, X, t, Sx);
  xor2(Sx, L[1 + d]!, t);
  aes10(t, key);
  xor2(Sy, t, Sy);
  xor2(Sx, Sy, S);

  // Pass 2: S' = E^{2,i}(S); W' = W_i ⊕ S'; X' = X_i ⊕ S'; Y = ⊕ W';
  // C_i' = W' ⊕ E^{0,0}(X'); C_i = X' ⊕ E^{1,i}(C_i').
  I.set(I2);
  for (let i = 1, off = 0; off < pairs; i++, off += 32) {
    const li = L[i % 8]!;
    const w = off >>> 2;
    xor4(S, J2, I, li, t);
    aes4(t, key);
    for (let k = 0; k < 4; k++) {
      const x = mid[w + k]! ^ t[k]!;
      a[k] = x;
      b[k] = mid[w + 4 + k]! ^ t[k]!;
      Y[k] = Y[k]! ^ x;
    }
    xor2(b, I1, t);
    aes4(t, key);
    xor2(a, t, a);
    xor4(a, J1, I, li, t);
    aes4(t, key);
    xor2(b, t, b);
    storeBlock(b, out, off);
    storeBlock(a, out, off + 16);
    if (i % 8 === 0) double(I);
  }

  // The fragment: C_u = M_u ⊕ E^{-1,4}(S), C_v = M_v ⊕ E^{-1,5}(S) (truncated), and their
  // share of Y, E^{0,4}(C_u) ⊕ E^{0,5}(C_v 10*), or E^{0,4}(C_u 10*) for a short fragment.
  if (frag >= 16) {
    xor2(S, L[4]!, t);
    aes10(t, key);
    loadBlock(input, pairs, a);
    xor2(a, t, a);
    storeBlock(a, out, pairs);
    xor3(a, I2, L[4]!, t);
    aes4(t, key);
    xor2(Y, t, Y);
    xorFragment(s, S, L[5]!, input, out, pairs + 16, frag - 16, Y);
  } else if (frag > 0) {
    xorFragment(s, S, L[4]!, input, out, pairs, frag, Y);
  }

  // The last two blocks: C_y' = S_x ⊕ E^{-1,2-d}(S_y); C_x' = S_y ⊕ Δ ⊕ Y ⊕ E^{0,2-d}(C_y');
  // output C_x' ‖ C_y'.
  xor2(Sy, L[2 - d]!, t);
  aes10(t, key);
  xor2(Sx, t, a);
  xor3(a, I2, L[2 - d]!, t);
  aes4(t, key);
  xor4(t, Sy, delta, Y, b);
  storeBlock(b, out, n - 32);
  storeBlock(a, out, n - 16);

  for (const blk of [X, Y, I, a, b, t, tweak, Sx, Sy, S]) blk.fill(0);
  mid.fill(0);
  return out;
}

/**
 * A partial fragment block (0..15 bytes) of AEZ-core's pass 2: `C = M ⊕ E^{-1,k}(S)`
 * truncated to `len` bytes, written to `out`, and `E^{0,k}(C 10*)` XORed into `Y`.
 */
function xorFragment(
  s: State,
  S: Block,
  lk: Block,
  input: Uint8Array,
  out: Uint8Array,
  off: number,
  len: number,
  Y: Block,
): void {
  const t = newBlock();
  xor2(S, lk, t);
  aes10(t, s.key);
  const pad = blockToBytes(t);
  for (let k = 0; k < len; k++) out[off + k] = input[off + k]! ^ pad[k]!;
  loadPadded(out, off, len, t);
  xor3(t, s.I[1], lk, t);
  aes4(t, s.key);
  xor2(Y, t, Y);
  pad.fill(0);
}

/** `E^{0,i}` on a 16-byte buffer (in place), for AEZ-tiny's byte-oriented rounds. */
function e0Bytes(s: State, li: Block, buf: Uint8Array): void {
  const t = newBlock();
  loadBlock(buf, 0, t);
  xor3(t, s.I[1], li, t);
  aes4(t, s.key);
  storeBlock(t, buf, 0);
}

/**
 * AEZ-tiny, for `1 <= input.length < 32`: a balanced Feistel network over the
 * two halves (which share a nibble when the length is odd), 24 rounds for 1 byte, 16 for 2,
 * 10 below 16 bytes and 8 from 16 to 31; below 16 bytes the first bit is further tweaked by
 * `E^{0,3}` to make the cipher a permutation on the whole domain. `d = 0` enciphers,
 * `d = 1` deciphers (the round constants run backwards).
 */
function aezTiny(s: State, delta: Block, input: Uint8Array, d: 0 | 1): Uint8Array {
  const n = input.length;
  const half = n >>> 1; // floor(n/2)
  const halfUp = (n + 1) >>> 1; // ceil(n/2)
  const odd = (n & 1) !== 0;
  let rounds: number;
  let li: Block;
  if (n === 1) rounds = 24;
  else if (n === 2) rounds = 16;
  else if (n < 16) rounds = 10;
  else rounds = 8;
  if (n < 16) li = s.L[7]!;
  else li = s.L[6]!;
  const deltaBytes = blockToBytes(delta);
  const left = new Uint8Array(16);
  const right = new Uint8Array(16);
  const buf = new Uint8Array(16);
  const mask = odd ? 0xf0 : 0x00;
  const pad = odd ? 0x08 : 0x80;

  // L = the first n·4 bits, R = the last n·4 bits, both left aligned.
  left.set(input.subarray(0, halfUp));
  right.set(input.subarray(half, half + halfUp));
  if (odd) {
    for (let k = 0; k < half; k++) right[k] = (right[k]! << 4) | (right[k + 1]! >>> 4);
    right[half] = right[half]! << 4;
  }

  /** `buf ← (half 10*) ⊕ Δ ⊕ [round constant in the last byte]`, then E^{0,i}. */
  const feistel = (src: Uint8Array, j: number): void => {
    buf.fill(0);
    buf.set(src.subarray(0, halfUp));
    buf[half] = (buf[half]! & mask) | pad;
    for (let k = 0; k < 16; k++) buf[k] = buf[k]! ^ deltaBytes[k]!;
    buf[15] = buf[15]! ^ (j & 0xff);
    e0Bytes(s, li, buf);
  };
  /** The E^{0,3} bit that ties the first bit to the rest when n < 16. */
  const firstBit = (src: Uint8Array): number => {
    buf.fill(0);
    buf.set(src.subarray(0, n));
    buf[0] = buf[0]! | 0x80;
    for (let k = 0; k < 16; k++) buf[k] = buf[k]! ^ deltaBytes[k]!;
    e0Bytes(s, s.L[3]!, buf);
    return buf[0]! & 0x80;
  };

  let j: number;
  let step: number;
  if (d === 1) {
    if (n < 16) left[0] = left[0]! ^ firstBit(input);
    j = rounds - 1;
    step = -1;
  } else {
    j = 0;
    step = 1;
  }
  for (let k = 0; k < rounds / 2; k++, j += 2 * step) {
    feistel(right, j);
    for (let m = 0; m < 16; m++) left[m] = left[m]! ^ buf[m]!;
    feistel(left, j + step);
    for (let m = 0; m < 16; m++) right[m] = right[m]! ^ buf[m]!;
  }

  // Output R ‖ L, rejoining the shared nibble when n is odd.
  const out = new Uint8Array(32);
  out.set(right.subarray(0, half));
  out.set(left.subarray(0, halfUp), half);
  if (odd) {
    for (let k = n - 1; k > half; k--) out[k] = (out[k]! >>> 4) | ((out[k - 1]! << 4) & 0xff);
    out[half] = (left[0]! >>> 4) | (right[half]! & 0xf0);
  }
  const result = out.slice(0, n);
  if (n < 16 && d === 0) result[0] = result[0]! ^ firstBit(result);

  for (const b of [left, right, buf, out, deltaBytes]) b.fill(0);
  return result;
}

function encipher(s: State, delta: Block, input: Uint8Array): Uint8Array {
  if (input.length === 0) return new Uint8Array(0);
  return input.length < 32 ? aezTiny(s, delta, input, 0) : aezCore(s, delta, input, 0);
}

function decipher(s: State, delta: Block, input: Uint8Array): Uint8Array {
  if (input.length === 0) return new Uint8Array(0);
  return input.length < 32 ? aezTiny(s, delta, input, 1) : aezCore(s, delta, input, 1);
}

function checkTau(tau: number): void {
  // tau is hashed as a 32-bit count of bits.
  if (!Number.isInteger(tau) || tau < 0 || tau * 8 > 0xffffffff) {
    throw new RangeError(`AEZ: tau must be an integer byte count from 0 to 2^29 - 1, not ${tau}`);
  }
}

/**
 * AEZ v5 Encrypt: appends `tau` zero bytes to the plaintext and enciphers the whole
 * under the tweak (nonce, additional data, tau), or returns `tau` bytes of AEZ-prf when the
 * plaintext is empty. The ciphertext is `tau` bytes longer than the plaintext.
 *
 * @param key - any length; 48 bytes are used as is, others are hashed with BLAKE2b
 * @param nonce - the nonce, any length (Sphinx: 16 bytes)
 * @param ad - the additional-data strings, or `undefined` for none (an empty array is the
 *   same; `[new Uint8Array(0)]` is one empty string, which is different)
 * @param tau - the authenticator length in bytes (0 for a pure SPRP)
 * @param plaintext - the message
 * @returns a new array with the ciphertext
 * @throws RangeError if `tau` is not an integer from 0 to 2^29 - 1
 */
export function aezEncrypt(
  key: Uint8Array,
  nonce: Uint8Array,
  ad: readonly Uint8Array[] | undefined,
  tau: number,
  plaintext: Uint8Array,
): Uint8Array {
  checkTau(tau);
  const s = initState(key);
  try {
    const delta = aezHash(s, nonce, ad ?? [], tau * 8);
    if (plaintext.length === 0) return aezPrf(s, delta, tau);
    const x = new Uint8Array(plaintext.length + tau);
    x.set(plaintext);
    const out = encipher(s, delta, x);
    x.fill(0);
    return out;
  } finally {
    wipeState(s);
  }
}

/**
 * AEZ v5 Decrypt: deciphers and checks that the last `tau` bytes are zero (or, for a
 * ciphertext of exactly `tau` bytes, that it equals AEZ-prf).
 *
 * @param key - as for {@link aezEncrypt}
 * @param nonce - as for {@link aezEncrypt}
 * @param ad - as for {@link aezEncrypt}
 * @param tau - the authenticator length in bytes (0 for a pure SPRP, which never fails)
 * @param ciphertext - the ciphertext
 * @returns the plaintext, or `undefined` if the ciphertext is shorter than `tau` or does not
 *   authenticate
 * @throws RangeError if `tau` is not an integer from 0 to 2^29 - 1
 */
export function aezDecrypt(
  key: Uint8Array,
  nonce: Uint8Array,
  ad: readonly Uint8Array[] | undefined,
  tau: number,
  ciphertext: Uint8Array,
): Uint8Array | undefined {
  checkTau(tau);
  if (ciphertext.length < tau) return undefined;
  const s = initState(key);
  try {
    const delta = aezHash(s, nonce, ad ?? [], tau * 8);
    let diff = 0;
    if (ciphertext.length === tau) {
      const expected = aezPrf(s, delta, tau);
      for (let k = 0; k < tau; k++) diff |= expected[k]! ^ ciphertext[k]!;
      return diff === 0 ? new Uint8Array(0) : undefined;
    }
    const x = decipher(s, delta, ciphertext);
    const body = ciphertext.length - tau;
    for (let k = body; k < x.length; k++) diff |= x[k]!;
    if (diff !== 0) {
      x.fill(0);
      return undefined;
    }
    return tau === 0 ? x : x.slice(0, body);
  } finally {
    wipeState(s);
  }
}

function checkSphinxArgs(key: Uint8Array, nonce: Uint8Array): void {
  if (key.length !== AEZ_KEY_LENGTH) {
    throw new RangeError(`AEZ SPRP: the key must be ${AEZ_KEY_LENGTH} bytes, not ${key.length}`);
  }
  if (nonce.length !== AEZ_SPHINX_NONCE_LENGTH) {
    throw new RangeError(
      `AEZ SPRP: the nonce must be ${AEZ_SPHINX_NONCE_LENGTH} bytes, not ${nonce.length}`,
    );
  }
}

/**
 * Sphinx's payload SPRP, encrypting direction: AEZ v5 with `tau = 0` and no additional data
 * (Katzenpost's `SPRPEncrypt`). The output has the input's length.
 *
 * @param key - the 48-byte SPRP key
 * @param nonce - the 16-byte nonce (the header IV)
 * @param plaintext - the payload, any length
 * @returns a new array with the ciphertext
 * @throws RangeError if the key is not 48 bytes or the nonce not 16
 */
export function aezEncipher(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array): Uint8Array {
  checkSphinxArgs(key, nonce);
  return aezEncrypt(key, nonce, undefined, 0, plaintext);
}

/**
 * Sphinx's payload SPRP, decrypting direction: the inverse of {@link aezEncipher}
 * (Katzenpost's `SPRPDecrypt`). With `tau = 0` it cannot fail; a tampered input comes back
 * as unrelated bytes, which the caller's zero tag catches.
 *
 * @param key - the 48-byte SPRP key
 * @param nonce - the 16-byte nonce (the header IV)
 * @param ciphertext - the payload, any length
 * @returns a new array with the plaintext
 * @throws RangeError if the key is not 48 bytes or the nonce not 16
 */
export function aezDecipher(
  key: Uint8Array,
  nonce: Uint8Array,
  ciphertext: Uint8Array,
): Uint8Array {
  checkSphinxArgs(key, nonce);
  return aezDecrypt(key, nonce, undefined, 0, ciphertext)!;
}
