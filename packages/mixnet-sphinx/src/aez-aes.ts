/**
 * The unkeyed AES round that AEZ v5 builds its tweakable block cipher from (AES4 and AES10
 * in the AEZ v5 specification): one round is SubBytes, ShiftRows, MixColumns, then an XOR of a
 * 128-bit round key. AEZ uses the full round every time (there is no short last round) and
 * no AES key schedule: its round keys are the three 128-bit parts `I`, `J`, `L` of the
 * extracted key, and the zero block.
 *
 * A block is four 32-bit big-endian words (`w[c]` holds bytes 4c..4c+3, the AES state's
 * column c), so the round is the classic four-table form. Pure TypeScript, no platform
 * crypto, so it runs in a browser as it does in Node.
 *
 * Not constant time: the table look-ups are indexed by secret bytes and so leak through the
 * cache to an attacker who shares the CPU.
 *
 * @packageDocumentation
 */

/** The AES S-box, computed once from its definition (inverse in GF(2^8), then the affine map). */
const SBOX = /* @__PURE__ */ buildSbox();

function buildSbox(): Uint8Array {
  const sbox = new Uint8Array(256);
  // p walks the multiplicative group by powers of 3, q by powers of 3^-1, so q = p^-1.
  let p = 1;
  let q = 1;
  sbox[0] = 0x63;
  do {
    p = (p ^ ((p << 1) & 0xff) ^ (p & 0x80 ? 0x1b : 0)) & 0xff;
    q ^= q << 1;
    q ^= q << 2;
    q ^= q << 4;
    q &= 0xff;
    if (q & 0x80) q ^= 0x09;
    const rotl = (x: number, s: number): number => ((x << s) | (x >>> (8 - s))) & 0xff;
    sbox[p] = q ^ rotl(q, 1) ^ rotl(q, 2) ^ rotl(q, 3) ^ rotl(q, 4) ^ 0x63;
  } while (p !== 1);
  return sbox;
}

/** `T0[x]` is the MixColumns image of a column holding `S[x]` in row 0: (2s, s, s, 3s). */
const T0 = new Uint32Array(256);
const T1 = new Uint32Array(256);
const T2 = new Uint32Array(256);
const T3 = new Uint32Array(256);
for (let x = 0; x < 256; x++) {
  const s = SBOX[x]!;
  const s2 = ((s << 1) ^ (s & 0x80 ? 0x1b : 0)) & 0xff;
  const s3 = s2 ^ s;
  const t = ((s2 << 24) | (s << 16) | (s << 8) | s3) >>> 0;
  T0[x] = t;
  T1[x] = ((t >>> 8) | (t << 24)) >>> 0;
  T2[x] = ((t >>> 16) | (t << 16)) >>> 0;
  T3[x] = ((t >>> 24) | (t << 8)) >>> 0;
}

/** The S-box, for tests. */
export const aesSbox: Readonly<Uint8Array> = SBOX;

// The round keys are the words of the extracted key `k = I ‖ J ‖ L`: `I` is `k[0..3]`, `J`
// is `k[4..7]`, `L` is `k[8..11]`. The rounds below are written out: a loop over them was
// slower.

/**
 * AEZ's AES4: four rounds with the round keys `J`, `I`, `L`, `0`, in place on `s`.
 * The caller has already XORed the tweak offset into `s`.
 *
 * @param s - the block, four big-endian words, overwritten with the result
 * @param k - the extracted key `I ‖ J ‖ L` as twelve big-endian words
 */
export function aes4(s: Uint32Array, k: Uint32Array): void {
  let s0 = s[0]!;
  let s1 = s[1]!;
  let s2 = s[2]!;
  let s3 = s[3]!;
  let t0: number;
  let t1: number;
  let t2: number;
  let t3: number;
  // round 1
  t0 = T0[s0 >>> 24]! ^ T1[(s1 >>> 16) & 0xff]! ^ T2[(s2 >>> 8) & 0xff]! ^ T3[s3 & 0xff]! ^ k[4]!;
  t1 = T0[s1 >>> 24]! ^ T1[(s2 >>> 16) & 0xff]! ^ T2[(s3 >>> 8) & 0xff]! ^ T3[s0 & 0xff]! ^ k[5]!;
  t2 = T0[s2 >>> 24]! ^ T1[(s3 >>> 16) & 0xff]! ^ T2[(s0 >>> 8) & 0xff]! ^ T3[s1 & 0xff]! ^ k[6]!;
  t3 = T0[s3 >>> 24]! ^ T1[(s0 >>> 16) & 0xff]! ^ T2[(s1 >>> 8) & 0xff]! ^ T3[s2 & 0xff]! ^ k[7]!;
  s0 = t0;
  s1 = t1;
  s2 = t2;
  s3 = t3;
  // round 2
  t0 = T0[s0 >>> 24]! ^ T1[(s1 >>> 16) & 0xff]! ^ T2[(s2 >>> 8) & 0xff]! ^ T3[s3 & 0xff]! ^ k[0]!;
  t1 = T0[s1 >>> 24]! ^ T1[(s2 >>> 16) & 0xff]! ^ T2[(s3 >>> 8) & 0xff]! ^ T3[s0 & 0xff]! ^ k[1]!;
  t2 = T0[s2 >>> 24]! ^ T1[(s3 >>> 16) & 0xff]! ^ T2[(s0 >>> 8) & 0xff]! ^ T3[s1 & 0xff]! ^ k[2]!;
  t3 = T0[s3 >>> 24]! ^ T1[(s0 >>> 16) & 0xff]! ^ T2[(s1 >>> 8) & 0xff]! ^ T3[s2 & 0xff]! ^ k[3]!;
  s0 = t0;
  s1 = t1;
  s2 = t2;
  s3 = t3;
  // round 3
  t0 = T0[s0 >>> 24]! ^ T1[(s1 >>> 16) & 0xff]! ^ T2[(s2 >>> 8) & 0xff]! ^ T3[s3 & 0xff]! ^ k[8]!;
  t1 = T0[s1 >>> 24]! ^ T1[(s2 >>> 16) & 0xff]! ^ T2[(s3 >>> 8) & 0xff]! ^ T3[s0 & 0xff]! ^ k[9]!;
  t2 = T0[s2 >>> 24]! ^ T1[(s3 >>> 16) & 0xff]! ^ T2[(s0 >>> 8) & 0xff]! ^ T3[s1 & 0xff]! ^ k[10]!;
  t3 = T0[s3 >>> 24]! ^ T1[(s0 >>> 16) & 0xff]! ^ T2[(s1 >>> 8) & 0xff]! ^ T3[s2 & 0xff]! ^ k[11]!;
  s0 = t0;
  s1 = t1;
  s2 = t2;
  s3 = t3;
  // round 4
  t0 = T0[s0 >>> 24]! ^ T1[(s1 >>> 16) & 0xff]! ^ T2[(s2 >>> 8) & 0xff]! ^ T3[s3 & 0xff]!;
  t1 = T0[s1 >>> 24]! ^ T1[(s2 >>> 16) & 0xff]! ^ T2[(s3 >>> 8) & 0xff]! ^ T3[s0 & 0xff]!;
  t2 = T0[s2 >>> 24]! ^ T1[(s3 >>> 16) & 0xff]! ^ T2[(s0 >>> 8) & 0xff]! ^ T3[s1 & 0xff]!;
  t3 = T0[s3 >>> 24]! ^ T1[(s0 >>> 16) & 0xff]! ^ T2[(s1 >>> 8) & 0xff]! ^ T3[s2 & 0xff]!;
  s0 = t0;
  s1 = t1;
  s2 = t2;
  s3 = t3;
  s[0] = s0;
  s[1] = s1;
  s[2] = s2;
  s[3] = s3;
}

/**
 * AEZ's AES10: ten rounds with the round keys `I, J, L, I, J, L, I, J, L, I`, in
 * place on `s`. The caller has already XORed the tweak offset into `s`.
 *
 * @param s - the block, four big-endian words, overwritten with the result
 * @param k - the extracted key `I ‖ J ‖ L` as twelve big-endian words
 */
export function aes10(s: Uint32Array, k: Uint32Array): void {
  let s0 = s[0]!;
  let s1 = s[1]!;
  let s2 = s[2]!;
  let s3 = s[3]!;
  let t0: number;
  let t1: number;
  let t2: number;
  let t3: number;
  // round 1
  t0 = T0[s0 >>> 24]! ^ T1[(s1 >>> 16) & 0xff]! ^ T2[(s2 >>> 8) & 0xff]! ^ T3[s3 & 0xff]! ^ k[0]!;
  t1 = T0[s1 >>> 24]! ^ T1[(s2 >>> 16) & 0xff]! ^ T2[(s3 >>> 8) & 0xff]! ^ T3[s0 & 0xff]! ^ k[1]!;
  t2 = T0[s2 >>> 24]! ^ T1[(s3 >>> 16) & 0xff]! ^ T2[(s0 >>> 8) & 0xff]! ^ T3[s1 & 0xff]! ^ k[2]!;
  t3 = T0[s3 >>> 24]! ^ T1[(s0 >>> 16) & 0xff]! ^ T2[(s1 >>> 8) & 0xff]! ^ T3[s2 & 0xff]! ^ k[3]!;
  s0 = t0;
  s1 = t1;
  s2 = t2;
  s3 = t3;
  // round 2
  t0 = T0[s0 >>> 24]! ^ T1[(s1 >>> 16) & 0xff]! ^ T2[(s2 >>> 8) & 0xff]! ^ T3[s3 & 0xff]! ^ k[4]!;
  t1 = T0[s1 >>> 24]! ^ T1[(s2 >>> 16) & 0xff]! ^ T2[(s3 >>> 8) & 0xff]! ^ T3[s0 & 0xff]! ^ k[5]!;
  t2 = T0[s2 >>> 24]! ^ T1[(s3 >>> 16) & 0xff]! ^ T2[(s0 >>> 8) & 0xff]! ^ T3[s1 & 0xff]! ^ k[6]!;
  t3 = T0[s3 >>> 24]! ^ T1[(s0 >>> 16) & 0xff]! ^ T2[(s1 >>> 8) & 0xff]! ^ T3[s2 & 0xff]! ^ k[7]!;
  s0 = t0;
  s1 = t1;
  s2 = t2;
  s3 = t3;
  // round 3
  t0 = T0[s0 >>> 24]! ^ T1[(s1 >>> 16) & 0xff]! ^ T2[(s2 >>> 8) & 0xff]! ^ T3[s3 & 0xff]! ^ k[8]!;
  t1 = T0[s1 >>> 24]! ^ T1[(s2 >>> 16) & 0xff]! ^ T2[(s3 >>> 8) & 0xff]! ^ T3[s0 & 0xff]! ^ k[9]!;
  t2 = T0[s2 >>> 24]! ^ T1[(s3 >>> 16) & 0xff]! ^ T2[(s0 >>> 8) & 0xff]! ^ T3[s1 & 0xff]! ^ k[10]!;
  t3 = T0[s3 >>> 24]! ^ T1[(s0 >>> 16) & 0xff]! ^ T2[(s1 >>> 8) & 0xff]! ^ T3[s2 & 0xff]! ^ k[11]!;
  s0 = t0;
  s1 = t1;
  s2 = t2;
  s3 = t3;
  // round 4
  t0 = T0[s0 >>> 24]! ^ T1[(s1 >>> 16) & 0xff]! ^ T2[(s2 >>> 8) & 0xff]! ^ T3[s3 & 0xff]! ^ k[0]!;
  t1 = T0[s1 >>> 24]! ^ T1[(s2 >>> 16) & 0xff]! ^ T2[(s3 >>> 8) & 0xff]! ^ T3[s0 & 0xff]! ^ k[1]!;
  t2 = T0[s2 >>> 24]! ^ T1[(s3 >>> 16) & 0xff]! ^ T2[(s0 >>> 8) & 0xff]! ^ T3[s1 & 0xff]! ^ k[2]!;
  t3 = T0[s3 >>> 24]! ^ T1[(s0 >>> 16) & 0xff]! ^ T2[(s1 >>> 8) & 0xff]! ^ T3[s2 & 0xff]! ^ k[3]!;
  s0 = t0;
  s1 = t1;
  s2 = t2;
  s3 = t3;
  // round 5
  t0 = T0[s0 >>> 24]! ^ T1[(s1 >>> 16) & 0xff]! ^ T2[(s2 >>> 8) & 0xff]! ^ T3[s3 & 0xff]! ^ k[4]!;
  t1 = T0[s1 >>> 24]! ^ T1[(s2 >>> 16) & 0xff]! ^ T2[(s3 >>> 8) & 0xff]! ^ T3[s0 & 0xff]! ^ k[5]!;
  t2 = T0[s2 >>> 24]! ^ T1[(s3 >>> 16) & 0xff]! ^ T2[(s0 >>> 8) & 0xff]! ^ T3[s1 & 0xff]! ^ k[6]!;
  t3 = T0[s3 >>> 24]! ^ T1[(s0 >>> 16) & 0xff]! ^ T2[(s1 >>> 8) & 0xff]! ^ T3[s2 & 0xff]! ^ k[7]!;
  s0 = t0;
  s1 = t1;
  s2 = t2;
  s3 = t3;
  // round 6
  t0 = T0[s0 >>> 24]! ^ T1[(s1 >>> 16) & 0xff]! ^ T2[(s2 >>> 8) & 0xff]! ^ T3[s3 & 0xff]! ^ k[8]!;
  t1 = T0[s1 >>> 24]! ^ T1[(s2 >>> 16) & 0xff]! ^ T2[(s3 >>> 8) & 0xff]! ^ T3[s0 & 0xff]! ^ k[9]!;
  t2 = T0[s2 >>> 24]! ^ T1[(s3 >>> 16) & 0xff]! ^ T2[(s0 >>> 8) & 0xff]! ^ T3[s1 & 0xff]! ^ k[10]!;
  t3 = T0[s3 >>> 24]! ^ T1[(s0 >>> 16) & 0xff]! ^ T2[(s1 >>> 8) & 0xff]! ^ T3[s2 & 0xff]! ^ k[11]!;
  s0 = t0;
  s1 = t1;
  s2 = t2;
  s3 = t3;
  // round 7
  t0 = T0[s0 >>> 24]! ^ T1[(s1 >>> 16) & 0xff]! ^ T2[(s2 >>> 8) & 0xff]! ^ T3[s3 & 0xff]! ^ k[0]!;
  t1 = T0[s1 >>> 24]! ^ T1[(s2 >>> 16) & 0xff]! ^ T2[(s3 >>> 8) & 0xff]! ^ T3[s0 & 0xff]! ^ k[1]!;
  t2 = T0[s2 >>> 24]! ^ T1[(s3 >>> 16) & 0xff]! ^ T2[(s0 >>> 8) & 0xff]! ^ T3[s1 & 0xff]! ^ k[2]!;
  t3 = T0[s3 >>> 24]! ^ T1[(s0 >>> 16) & 0xff]! ^ T2[(s1 >>> 8) & 0xff]! ^ T3[s2 & 0xff]! ^ k[3]!;
  s0 = t0;
  s1 = t1;
  s2 = t2;
  s3 = t3;
  // round 8
  t0 = T0[s0 >>> 24]! ^ T1[(s1 >>> 16) & 0xff]! ^ T2[(s2 >>> 8) & 0xff]! ^ T3[s3 & 0xff]! ^ k[4]!;
  t1 = T0[s1 >>> 24]! ^ T1[(s2 >>> 16) & 0xff]! ^ T2[(s3 >>> 8) & 0xff]! ^ T3[s0 & 0xff]! ^ k[5]!;
  t2 = T0[s2 >>> 24]! ^ T1[(s3 >>> 16) & 0xff]! ^ T2[(s0 >>> 8) & 0xff]! ^ T3[s1 & 0xff]! ^ k[6]!;
  t3 = T0[s3 >>> 24]! ^ T1[(s0 >>> 16) & 0xff]! ^ T2[(s1 >>> 8) & 0xff]! ^ T3[s2 & 0xff]! ^ k[7]!;
  s0 = t0;
  s1 = t1;
  s2 = t2;
  s3 = t3;
  // round 9
  t0 = T0[s0 >>> 24]! ^ T1[(s1 >>> 16) & 0xff]! ^ T2[(s2 >>> 8) & 0xff]! ^ T3[s3 & 0xff]! ^ k[8]!;
  t1 = T0[s1 >>> 24]! ^ T1[(s2 >>> 16) & 0xff]! ^ T2[(s3 >>> 8) & 0xff]! ^ T3[s0 & 0xff]! ^ k[9]!;
  t2 = T0[s2 >>> 24]! ^ T1[(s3 >>> 16) & 0xff]! ^ T2[(s0 >>> 8) & 0xff]! ^ T3[s1 & 0xff]! ^ k[10]!;
  t3 = T0[s3 >>> 24]! ^ T1[(s0 >>> 16) & 0xff]! ^ T2[(s1 >>> 8) & 0xff]! ^ T3[s2 & 0xff]! ^ k[11]!;
  s0 = t0;
  s1 = t1;
  s2 = t2;
  s3 = t3;
  // round 10
  t0 = T0[s0 >>> 24]! ^ T1[(s1 >>> 16) & 0xff]! ^ T2[(s2 >>> 8) & 0xff]! ^ T3[s3 & 0xff]! ^ k[0]!;
  t1 = T0[s1 >>> 24]! ^ T1[(s2 >>> 16) & 0xff]! ^ T2[(s3 >>> 8) & 0xff]! ^ T3[s0 & 0xff]! ^ k[1]!;
  t2 = T0[s2 >>> 24]! ^ T1[(s3 >>> 16) & 0xff]! ^ T2[(s0 >>> 8) & 0xff]! ^ T3[s1 & 0xff]! ^ k[2]!;
  t3 = T0[s3 >>> 24]! ^ T1[(s0 >>> 16) & 0xff]! ^ T2[(s1 >>> 8) & 0xff]! ^ T3[s2 & 0xff]! ^ k[3]!;
  s0 = t0;
  s1 = t1;
  s2 = t2;
  s3 = t3;
  s[0] = s0;
  s[1] = s1;
  s[2] = s2;
  s[3] = s3;
}
