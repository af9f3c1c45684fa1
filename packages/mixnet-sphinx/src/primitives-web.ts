/**
 * The symmetric primitives of the header (specs/mixnet-sphinx/SPEC.md §4) for browsers (the
 * `#primitives` import's default). Node has a node:crypto path with the same results
 * (`primitives-node.ts`; a property test compares them).
 *
 * HKDF-SHA256 expand and the ChaCha20 keystream are written out here rather than taken from
 * noble: a hop asks for 160 bytes of HKDF (five HMACs) and 32 bytes of ChaCha20, so the cost
 * is per call, not per byte, and noble's (and node:crypto's) per-call setup was a large part of it
 * (noble's expand ≈19.5 µs, this one ≈9 µs: its inner messages are padded once per call and
 * its outer hash is one block of words; ChaCha20 ≈3.3 µs against well under one). The
 * SHA-256 below is FIPS 180-4 §6.2, HMAC RFC 2104 with its pads computed once per key, HKDF
 * expand RFC 5869 §2.3, ChaCha20 RFC 8439 §2.3–2.4; tests check them against noble. Node
 * uses the same two functions: they are faster there than node:crypto's per-call objects.
 */
import { ctr } from '@noble/ciphers/aes.js';
import { expand } from '@noble/hashes/hkdf.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256, sha512_256 } from '@noble/hashes/sha2.js';

// ---------------------------------------------------------------------------------------
// SHA-256 (FIPS 180-4 §6.2), only what HMAC-expand needs: a compression over 64-byte blocks
// from a given chaining state, and the final padding of a message whose first 64 bytes (the
// HMAC pad) are already in that state.

const K = Uint32Array.from([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);
const IV = Uint32Array.from([
  0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
]);
// Scratch, reused: this code never yields, so no two calls share them at once.
const W = new Uint32Array(64);
const STATE = new Uint32Array(8);
const IPAD = new Uint32Array(8);
const OPAD = new Uint32Array(8);

/** One SHA-256 compression of the 16 words in `W[0..16]` into the chaining state `h`. */
function compress(h: Uint32Array): void {
  for (let i = 16; i < 64; i++) {
    const w15 = W[i - 15]!;
    const w2 = W[i - 2]!;
    const s0 = ((w15 >>> 7) | (w15 << 25)) ^ ((w15 >>> 18) | (w15 << 14)) ^ (w15 >>> 3);
    const s1 = ((w2 >>> 17) | (w2 << 15)) ^ ((w2 >>> 19) | (w2 << 13)) ^ (w2 >>> 10);
    W[i] = s1 + W[i - 7]! + s0 + W[i - 16]!;
  }
  let a = h[0]! | 0;
  let b = h[1]! | 0;
  let c = h[2]! | 0;
  let d = h[3]! | 0;
  let e = h[4]! | 0;
  let f = h[5]! | 0;
  let g = h[6]! | 0;
  let hh = h[7]! | 0;
  for (let i = 0; i < 64; i++) {
    const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
    const t1 = (hh + S1 + ((e & f) ^ (~e & g)) + K[i]! + W[i]!) | 0;
    const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
    const t2 = (S0 + ((a & b) ^ (a & c) ^ (b & c))) | 0;
    hh = g;
    g = f;
    f = e;
    e = (d + t1) | 0;
    d = c;
    c = b;
    b = a;
    a = (t1 + t2) | 0;
  }
  h[0] = h[0]! + a;
  h[1] = h[1]! + b;
  h[2] = h[2]! + c;
  h[3] = h[3]! + d;
  h[4] = h[4]! + e;
  h[5] = h[5]! + f;
  h[6] = h[6]! + g;
  h[7] = h[7]! + hh;
}

/** Compresses the 64-byte blocks of `bytes` (a multiple of 64 long) into `h`. */
function compressBytes(h: Uint32Array, bytes: Uint8Array): void {
  for (let off = 0; off < bytes.length; ) {
    for (let i = 0; i < 16; i++, off += 4)
      W[i] =
        (bytes[off]! << 24) | (bytes[off + 1]! << 16) | (bytes[off + 2]! << 8) | bytes[off + 3]!;
    compress(h);
  }
}

/**
 * `prefix ‖ msg` with SHA-256's padding for a hash whose first `prefix` bytes (HMAC's pad)
 * are already compressed: a multiple of 64 bytes, ready for {@link compressBytes}.
 */
function padded(msg: Uint8Array, prefix: number): Uint8Array {
  const out = new Uint8Array(Math.ceil((msg.length + 9) / 64) * 64);
  out.set(msg);
  out[msg.length] = 0x80;
  const bits = (prefix + msg.length) * 8;
  const view = new DataView(out.buffer);
  view.setUint32(out.length - 8, Math.floor(bits / 2 ** 32));
  view.setUint32(out.length - 4, bits >>> 0);
  return out;
}

/** The states after HMAC's inner and outer pads of `key` (≤ 64 bytes). */
function hmacPads(key: Uint8Array): void {
  const pad = new Uint8Array(64);
  pad.fill(0x36);
  for (let i = 0; i < key.length; i++) pad[i] = key[i]! ^ 0x36;
  IPAD.set(IV);
  compressBytes(IPAD, pad);
  pad.fill(0x5c);
  for (let i = 0; i < key.length; i++) pad[i] = key[i]! ^ 0x5c;
  OPAD.set(IV);
  compressBytes(OPAD, pad);
  pad.fill(0);
}

/**
 * HKDF-SHA256 expand only (RFC 5869 §2.3).
 *
 * @throws RangeError when `length` is more than 255 × 32 bytes
 */
export function hkdfExpandSha256(prk: Uint8Array, info: Uint8Array, length: number): Uint8Array {
  if (!Number.isInteger(length) || length < 0 || length > 255 * 32)
    throw new RangeError('HKDF-SHA256 expands to at most 8160 bytes');
  // A key longer than a block is hashed first (RFC 2104); a PRK never is, so noble does it.
  if (prk.length > 64) return expand(sha256, prk, info, length);
  hmacPads(prk);
  const out = new Uint8Array(length);
  // T(i) = HMAC(prk, T(i-1) ‖ info ‖ i), T(0) empty. The inner messages are padded once:
  // `first` is info ‖ 1, `later` is T(i-1) ‖ info ‖ i, whose T(i-1) and i change per round.
  const message = new Uint8Array(32 + info.length + 1);
  message.set(info, 32);
  message[32 + info.length] = 1;
  const first = padded(message.subarray(32), 64);
  const later = padded(message, 64);
  const counterAt = 32 + info.length;
  for (let i = 1, at = 0; at < length; i++, at += 32) {
    STATE.set(IPAD);
    if (i === 1) compressBytes(STATE, first);
    else {
      later[counterAt] = i;
      compressBytes(STATE, later);
    }
    // The outer hash's one block: the inner digest, its padding, 96 bytes in bits.
    W.set(STATE, 0);
    W[8] = 0x80000000;
    W.fill(0, 9, 15);
    W[15] = (64 + 32) * 8;
    STATE.set(OPAD);
    compress(STATE);
    for (let w = 0; w < 8; w++) {
      const v = STATE[w]!;
      later[4 * w] = v >>> 24;
      later[4 * w + 1] = v >>> 16;
      later[4 * w + 2] = v >>> 8;
      later[4 * w + 3] = v;
    }
    out.set(later.subarray(0, Math.min(32, length - at)), at);
  }
  for (const scratch of [IPAD, OPAD, STATE, W, first, later, message]) scratch.fill(0);
  return out;
}

/** HMAC-SHA256 over the parts. */
export function hmacSha256(key: Uint8Array, parts: readonly Uint8Array[]): Uint8Array {
  const mac = hmac.create(sha256, key);
  for (const part of parts) mac.update(part);
  return mac.digest();
}

/** `length` bytes of AES-256-CTR keystream from the 16-byte initial counter block. */
export function aes256CtrKeyStream(key: Uint8Array, iv: Uint8Array, length: number): Uint8Array {
  return ctr(key, iv).encrypt(new Uint8Array(length));
}

// ---------------------------------------------------------------------------------------
// ChaCha20 (RFC 8439 §2.3), zero nonce.

const SIGMA = Uint32Array.from([0x61707865, 0x3320646e, 0x79622d32, 0x6b206574]);
const CHACHA_IN = new Uint32Array(16);
const CHACHA_OUT = new Uint32Array(16);

function quarter(x: Uint32Array, a: number, b: number, c: number, d: number): void {
  let va = x[a]!;
  let vb = x[b]!;
  let vc = x[c]!;
  let vd = x[d]!;
  va = (va + vb) | 0;
  vd ^= va;
  vd = (vd << 16) | (vd >>> 16);
  vc = (vc + vd) | 0;
  vb ^= vc;
  vb = (vb << 12) | (vb >>> 20);
  va = (va + vb) | 0;
  vd ^= va;
  vd = (vd << 8) | (vd >>> 24);
  vc = (vc + vd) | 0;
  vb ^= vc;
  vb = (vb << 7) | (vb >>> 25);
  x[a] = va;
  x[b] = vb;
  x[c] = vc;
  x[d] = vd;
}

/**
 * `length` bytes of ChaCha20 keystream, zero nonce and counter (32-bit block counter).
 *
 * @throws RangeError for a key that is not 32 bytes
 */
export function chacha20KeyStream(key: Uint8Array, length: number): Uint8Array {
  if (key.length !== 32) throw new RangeError('ChaCha20 takes a 32-byte key');
  const out = new Uint8Array(length);
  CHACHA_IN.set(SIGMA);
  for (let i = 0; i < 8; i++)
    CHACHA_IN[4 + i] =
      key[4 * i]! | (key[4 * i + 1]! << 8) | (key[4 * i + 2]! << 16) | (key[4 * i + 3]! << 24);
  CHACHA_IN.fill(0, 12);
  const x = CHACHA_OUT;
  for (let counter = 0, at = 0; at < length; counter++, at += 64) {
    CHACHA_IN[12] = counter;
    x.set(CHACHA_IN);
    for (let r = 0; r < 10; r++) {
      quarter(x, 0, 4, 8, 12);
      quarter(x, 1, 5, 9, 13);
      quarter(x, 2, 6, 10, 14);
      quarter(x, 3, 7, 11, 15);
      quarter(x, 0, 5, 10, 15);
      quarter(x, 1, 6, 11, 12);
      quarter(x, 2, 7, 8, 13);
      quarter(x, 3, 4, 9, 14);
    }
    for (let i = 0; i < 16 && at + 4 * i < length; i++) {
      const v = (x[i]! + CHACHA_IN[i]!) | 0;
      for (let j = 0, o = at + 4 * i; j < 4 && o < length; j++, o++) out[o] = v >>> (8 * j);
    }
  }
  CHACHA_IN.fill(0);
  x.fill(0);
  return out;
}

/** SHA-512/256. */
export function sha512t256(data: Uint8Array): Uint8Array {
  return sha512_256(data);
}
