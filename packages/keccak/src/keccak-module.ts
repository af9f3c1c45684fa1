/**
 * Generates the Keccak WebAssembly module: Keccak-f[1600] with the 25 lanes held in locals
 * and the 24 rounds unrolled (FIPS 202 §3.2–3.3; Keccak-256 as used by Ethereum keeps the
 * original 0x01 padding, not SHA-3's 0x06). Two exports share the permutation:
 *
 * - `absorb(ptr, blocks, out)`: hashes `blocks` already padded 136-byte blocks at `ptr` and
 *   writes the 32-byte digest at `out`.
 * - `powScan(start, count, mask)`: the Whisper proof-of-work inner loop (SPEC §4.1, §4.4). The
 *   64-byte PoW buffer is one block whose only varying lane is the nonce, so the block is
 *   built in registers; the loop returns the index of the first nonce in
 *   [start, start + count) whose digest lane 3 has no bit in common with `mask`, else -1.
 *   A trailing-zero target of t ≤ 64 bits on the big-endian digest is the byte-swapped mask
 *   of the low t bits, tested against lane 3 (digest bytes 24..31) in one AND.
 */
import {
  buildModule,
  CodeWriter,
  EMPTY_BLOCK,
  type FunctionSpec,
  I32,
  I64,
  Op,
  Simd,
  V128,
} from './wasm-builder.js';

/** Where `powScan` reads the 32-byte keccak256(rlpWithoutNonce) prefix. */
export const POW_PREFIX_OFFSET = 32;
/** Where `absorb` writes the digest when the caller uses the shared layout. */
export const DIGEST_OFFSET = 0;
/** Where `absorb2` writes the second digest. */
export const DIGEST2_OFFSET = 64;
/** Start of the input area; everything above is free for inputs. */
export const INPUT_OFFSET = 512;
/** Keccak-256 rate in bytes. */
export const RATE = 136;

const ROUND_CONSTANTS: readonly bigint[] = [
  0x0000000000000001n,
  0x0000000000008082n,
  0x800000000000808an,
  0x8000000080008000n,
  0x000000000000808bn,
  0x0000000080000001n,
  0x8000000080008081n,
  0x8000000000008009n,
  0x000000000000008an,
  0x0000000000000088n,
  0x0000000080008009n,
  0x000000008000000an,
  0x000000008000808bn,
  0x800000000000008bn,
  0x8000000000008089n,
  0x8000000000008003n,
  0x8000000000008002n,
  0x8000000000000080n,
  0x000000000000800an,
  0x800000008000000an,
  0x8000000080008081n,
  0x8000000000008080n,
  0x0000000080000001n,
  0x8000000080008008n,
];

/** Rotation offsets indexed by x + 5y (the ρ step). */
const RHO: readonly number[] = [
  0, 1, 62, 28, 27, 36, 44, 6, 55, 20, 3, 10, 43, 25, 39, 41, 45, 15, 21, 8, 18, 2, 61, 56, 14,
];

/** Local layout shared by the functions: A = state, B = after ρπ, C = column parities, D, T. */
interface Locals {
  a: number;
  b: number;
  c: number;
  d: number;
  /** Scratch, used by the SIMD rotation. */
  t: number;
  /** i32 round counter (byte offset into the round constants). */
  r: number;
}

/** How lanes are held: one i64 per lane, or two lanes of two independent states per v128. */
interface LaneOps {
  xor(w: CodeWriter): void;
  /** Rotates the value on the stack left by r (0 < r < 64). */
  rotl(w: CodeWriter, r: number, scratch: number): void;
  /** Pushes ~B1 & B2. */
  notAnd(w: CodeWriter, b1: number, b2: number): void;
  constant(w: CodeWriter, value: bigint): void;
  /** Pushes the 64-bit constant at memory[base + offset], in every lane. */
  loadConstant(w: CodeWriter, base: number, offset: number): void;
}

const scalarLanes: LaneOps = {
  xor: (w) => w.op(Op.i64Xor),
  rotl: (w, r) => w.i64(BigInt(r)).op(Op.i64Rotl),
  notAnd: (w, b1, b2) => w.get(b1).i64(-1n).op(Op.i64Xor).get(b2).op(Op.i64And),
  constant: (w, value) => w.i64(value),
  loadConstant: (w, base, offset) => w.get(base).load64(offset),
};

function v128Bytes(value: bigint): number[] {
  const out: number[] = [];
  const v = BigInt.asUintN(64, value);
  for (let lane = 0; lane < 2; lane++) {
    for (let i = 0; i < 8; i++) out.push(Number((v >> BigInt(8 * i)) & 0xffn));
  }
  return out;
}

const simdLanes: LaneOps = {
  xor: (w) => w.simd(Simd.v128Xor),
  rotl: (w, r, scratch) => {
    w.tee(scratch).i32(r).simd(Simd.i64x2Shl);
    w.get(scratch)
      .i32(64 - r)
      .simd(Simd.i64x2ShrU)
      .simd(Simd.v128Or);
  },
  // v128.andnot(a, b) = a & ~b.
  notAnd: (w, b1, b2) => w.get(b2).get(b1).simd(Simd.v128AndNot),
  constant: (w, value) => w.simd(Simd.v128Const, ...v128Bytes(value)),
  loadConstant: (w, base, offset) => w.get(base).load64(offset).simd(Simd.i64x2Splat),
};

/** One round; `roundConstant` pushes ι's constant. */
function emitRound(
  w: CodeWriter,
  l: Locals,
  lanes: LaneOps,
  roundConstant: (w: CodeWriter) => void,
): void {
  // θ: column parities.
  for (let x = 0; x < 5; x++) {
    w.get(l.a + x).get(l.a + x + 5);
    lanes.xor(w);
    for (let y = 2; y < 5; y++) {
      w.get(l.a + x + 5 * y);
      lanes.xor(w);
    }
    w.set(l.c + x);
  }
  // θ then ρ and π fused: B[y, 2x+3y] = rotl(A[x, y] ^ D[x], r[x, y]).
  for (let x = 0; x < 5; x++) {
    w.get(l.c + ((x + 4) % 5)).get(l.c + ((x + 1) % 5));
    lanes.rotl(w, 1, l.t);
    lanes.xor(w);
    w.set(l.d);
    for (let y = 0; y < 5; y++) {
      const target = y + 5 * ((2 * x + 3 * y) % 5);
      w.get(l.a + x + 5 * y).get(l.d);
      lanes.xor(w);
      const r = RHO[x + 5 * y]!;
      if (r !== 0) lanes.rotl(w, r, l.t);
      w.set(l.b + target);
    }
  }
  // χ: A[x, y] = B[x, y] ^ (~B[x+1, y] & B[x+2, y]); ι on lane 0.
  for (let y = 0; y < 5; y++) {
    for (let x = 0; x < 5; x++) {
      const i = x + 5 * y;
      lanes.notAnd(w, l.b + ((x + 1) % 5) + 5 * y, l.b + ((x + 2) % 5) + 5 * y);
      w.get(l.b + i);
      lanes.xor(w);
      if (i === 0) {
        roundConstant(w);
        lanes.xor(w);
      }
      w.set(l.a + i);
    }
  }
}

/**
 * Rounds per loop iteration. One round per iteration measured fastest (scalar PoW scan about
 * 2.0 M/s against 1.6 M/s fully unrolled; SIMD 3.3 M/s against 1.8 M/s): the unrolled bodies
 * overflow the instruction cache, and a small module also compiles synchronously in browsers.
 */
const ROUNDS_PER_ITERATION = 1;
/** Where the round constants sit in memory (a data segment). */
const ROUND_CONSTANTS_OFFSET = 96;

/**
 * Emits Keccak-f[1600] on state locals A: all 24 rounds in a loop of ROUNDS_PER_ITERATION
 * rounds, constants read from memory. The proof-of-work scans read only lane 3, but a final
 * round that computes only that lane, unrolled after the loop, measured almost twice as slow
 * per hash in V8 (the loop's register assignment is lost at its exit), so every round is
 * computed in full.
 */
function emitPermutation(w: CodeWriter, l: Locals, lanes: LaneOps): void {
  const k = ROUNDS_PER_ITERATION;
  w.i32(0).set(l.r);
  w.op(Op.loop, EMPTY_BLOCK);
  for (let j = 0; j < k; j++) {
    emitRound(w, l, lanes, (w) => lanes.loadConstant(w, l.r, ROUND_CONSTANTS_OFFSET + 8 * j));
  }
  w.get(l.r)
    .i32(8 * k)
    .op(Op.i32Add)
    .tee(l.r)
    .i32(8 * 24)
    .op(Op.i32LtU, Op.brIf, 0, Op.end);
}

function roundConstantBytes(): Uint8Array {
  const out = new Uint8Array(8 * 24);
  const view = new DataView(out.buffer);
  for (let i = 0; i < 24; i++) view.setBigUint64(8 * i, ROUND_CONSTANTS[i]!, true);
  return out;
}

function absorbFunction(): FunctionSpec {
  // params: ptr i32 (0), blocks i32 (1), out i32 (2); locals: 60 i64 from 3.
  const l: Locals = { r: 3, a: 4, b: 29, c: 54, d: 59, t: 60 };
  const w = new CodeWriter();
  w.op(Op.block, EMPTY_BLOCK, Op.loop, EMPTY_BLOCK);
  w.get(1).op(Op.i32Eqz, Op.brIf, 1);
  for (let i = 0; i < RATE / 8; i++) {
    w.get(l.a + i)
      .get(0)
      .load64(i * 8)
      .op(Op.i64Xor)
      .set(l.a + i);
  }
  emitPermutation(w, l, scalarLanes);
  w.get(0).i32(RATE).op(Op.i32Add).set(0);
  w.get(1).i32(1).op(Op.i32Sub).set(1);
  w.op(Op.br, 0, Op.end, Op.end);
  for (let i = 0; i < 4; i++)
    w.get(2)
      .get(l.a + i)
      .store64(i * 8);
  return {
    name: 'absorb',
    params: [I32, I32, I32],
    results: [],
    locals: [
      { count: 1, type: I32 },
      { count: 57, type: I64 },
    ],
    body: w,
  };
}

/**
 * `absorb2(ptrA, ptrB, blocks, outA, outB)`: hashes two padded messages of the same block
 * count at once, one in each i64 lane of v128 registers. Envelope ingest needs two such
 * hashes (the envelope hash and the PoW prefix), of nearly equal length.
 */
function absorb2Function(): FunctionSpec {
  // params: ptrA (0), ptrB (1), blocks (2), outA (3), outB (4); r i32 (5); v128 from 6.
  const l: Locals = { r: 5, a: 6, b: 31, c: 56, d: 61, t: 62 };
  const w = new CodeWriter();
  emitAbsorb2(w, l, 0, 1, 2);
  for (let i = 0; i < 4; i++) {
    w.get(3)
      .get(l.a + i)
      .simd(Simd.i64x2ExtractLane, 0)
      .store64(i * 8);
    w.get(4)
      .get(l.a + i)
      .simd(Simd.i64x2ExtractLane, 1)
      .store64(i * 8);
  }
  return {
    name: 'absorb2',
    params: [I32, I32, I32, I32, I32],
    results: [],
    locals: [
      { count: 1, type: I32 },
      { count: 57, type: V128 },
    ],
    body: w,
  };
}

/** Absorbs `blocks` padded blocks at ptrA (lane 0) and ptrB (lane 1) into state `l.a`. */
function emitAbsorb2(w: CodeWriter, l: Locals, ptrA: number, ptrB: number, blocks: number) {
  w.op(Op.block, EMPTY_BLOCK, Op.loop, EMPTY_BLOCK);
  w.get(blocks).op(Op.i32Eqz, Op.brIf, 1);
  for (let i = 0; i < RATE / 8; i++) {
    w.get(l.a + i);
    w.get(ptrA)
      .load64(i * 8)
      .simd(Simd.i64x2Splat);
    w.get(ptrB)
      .load64(i * 8)
      .simd(Simd.i64x2ReplaceLane, 1);
    w.simd(Simd.v128Xor).set(l.a + i);
  }
  emitPermutation(w, l, simdLanes);
  w.get(ptrA).i32(RATE).op(Op.i32Add).set(ptrA);
  w.get(ptrB).i32(RATE).op(Op.i32Add).set(ptrB);
  w.get(blocks).i32(1).op(Op.i32Sub).set(blocks);
  w.op(Op.br, 0, Op.end, Op.end);
}

/**
 * `absorb2Pow(ptrA, ptrB, blocks, outA, nonce) → bits`: what a node computes for every
 * envelope (SPEC §3.4, §4.2), in one call. Lane 0 hashes the envelope's encoding at ptrA
 * (digest written at outA); lane 1 hashes its encoding without the nonce at ptrB, whose digest
 * is the PoW prefix; then the PoW block (prefix, 24 zero bytes, nonce big-endian) is hashed
 * in scalar registers and the trailing zero bits of that digest, read as a big-endian
 * integer, are returned (0 for an all-zero digest, as geth's FirstBitSet counts it).
 */
function absorb2PowFunction(): FunctionSpec {
  // params: ptrA (0), ptrB (1), blocks (2), outA (3), nonce i64 (4); r i32 (5), spare i32
  // (6); v128 7..63; i64 from 64: state 64..88, B 89..113, C 114..118, D 119, T 120, tmp 121.
  const v: Locals = { r: 5, a: 7, b: 32, c: 57, d: 62, t: 63 };
  const s: Locals = { r: 5, a: 64, b: 89, c: 114, d: 119, t: 120 };
  const tmp = 121;
  const w = new CodeWriter();
  emitAbsorb2(w, v, 0, 1, 2);
  for (let i = 0; i < 4; i++) {
    w.get(3)
      .get(v.a + i)
      .simd(Simd.i64x2ExtractLane, 0)
      .store64(i * 8);
  }
  for (let i = 0; i < 25; i++) {
    if (i < 4) w.get(v.a + i).simd(Simd.i64x2ExtractLane, 1);
    else if (i === 7) {
      w.get(4);
      emitByteSwap(w, tmp);
    } else if (i === 8) w.i64(1n);
    else if (i === 16) w.i64(-0x8000000000000000n);
    else w.i64(0n);
    w.set(s.a + i);
  }
  emitPermutation(w, s, scalarLanes);
  // Trailing zeros from digest byte 31 upward: lane 3 holds bytes 24..31 little-endian, so
  // its byte swap is their big-endian value.
  for (let lane = 3; lane >= 0; lane--) {
    w.get(s.a + lane);
    emitByteSwap(w, tmp);
    w.tee(s.d)
      .op(Op.i64Eqz, Op.i32Eqz, Op.if, EMPTY_BLOCK)
      .i32(64 * (3 - lane))
      .get(s.d)
      .op(Op.i64Ctz, Op.i32WrapI64, Op.i32Add, Op.return, Op.end);
  }
  w.i32(0);
  return {
    name: 'absorb2Pow',
    params: [I32, I32, I32, I32, I64],
    results: [I32],
    locals: [
      { count: 2, type: I32 },
      { count: 57, type: V128 },
      { count: 58, type: I64 },
    ],
    body: w,
  };
}

/** Emits a 64-bit byte swap of the value on the stack, using local `tmp`. */
function emitByteSwap(w: CodeWriter, tmp: number): void {
  w.set(tmp);
  // Swap bytes within 16-bit, then 32-bit, then 64-bit halves.
  const steps: [bigint, bigint][] = [
    [0x00ff00ff00ff00ffn, 8n],
    [0x0000ffff0000ffffn, 16n],
  ];
  for (const [m, s] of steps) {
    w.get(tmp).i64(s).op(Op.i64ShrU).i64(m).op(Op.i64And);
    w.get(tmp).i64(m).op(Op.i64And).i64(s).op(Op.i64Shl);
    w.op(Op.i64Or).set(tmp);
  }
  w.get(tmp).i64(32n).op(Op.i64Rotl);
}

function powScanFunction(): FunctionSpec {
  // params: start i64 (0), count i32 (1), mask i64 (2); locals: index i32 (3), then i64s.
  const index = 3;
  const tmp = 5;
  const prefix = [6, 7, 8, 9];
  const l: Locals = { r: 4, a: 10, b: 35, c: 60, d: 65, t: 66 };
  const w = new CodeWriter();
  for (let i = 0; i < 4; i++) {
    w.i32(0)
      .load64(POW_PREFIX_OFFSET + i * 8)
      .set(prefix[i]!);
  }
  w.op(Op.block, EMPTY_BLOCK, Op.loop, EMPTY_BLOCK);
  w.get(index).get(1).op(Op.i32GeU, Op.brIf, 1);
  // The one absorbed block: prefix, 24 zero bytes, nonce big-endian, 0x01 … 0x80 padding.
  for (let i = 0; i < 25; i++) {
    if (i < 4) w.get(prefix[i]!);
    else if (i === 7) {
      w.get(0).get(index).op(Op.i64ExtendI32U, Op.i64Add);
      emitByteSwap(w, tmp);
    } else if (i === 8) w.i64(1n);
    else if (i === 16) w.i64(-0x8000000000000000n);
    else w.i64(0n);
    w.set(l.a + i);
  }
  emitPermutation(w, l, scalarLanes);
  w.get(l.a + 3)
    .get(2)
    .op(Op.i64And, Op.i64Eqz, Op.if, EMPTY_BLOCK)
    .get(index)
    .op(Op.return, Op.end);
  w.get(index).i32(1).op(Op.i32Add).set(index);
  w.op(Op.br, 0, Op.end, Op.end);
  w.i32(-1);
  return {
    name: 'powScan',
    params: [I64, I32, I64],
    results: [I32],
    locals: [
      { count: 2, type: I32 },
      { count: 62, type: I64 },
    ],
    body: w,
  };
}

/**
 * `powScan2(start, count, mask)`: as `powScan`, two nonces per permutation in the two i64
 * lanes of v128 registers. `count` must be even; the result is still the first qualifying
 * index, since lane 0 (the smaller nonce) is tested before lane 1.
 */
function powScan2Function(): FunctionSpec {
  // params: start i64 (0), count i32 (1), mask i64 (2); locals: index i32 (3), tmp i64 (4),
  // nonce i64 (5), then v128s: prefix 6..9, maskV 10, A 11..35, B 36..60, C 61..65, D 66, T 67.
  const index = 3;
  const tmp = 5;
  const nonce = 6;
  const prefix = [7, 8, 9, 10];
  const maskV = 11;
  const l: Locals = { r: 4, a: 12, b: 37, c: 62, d: 67, t: 68 };
  const w = new CodeWriter();
  for (let i = 0; i < 4; i++) {
    w.i32(0)
      .load64(POW_PREFIX_OFFSET + i * 8)
      .simd(Simd.i64x2Splat)
      .set(prefix[i]!);
  }
  w.get(2).simd(Simd.i64x2Splat).set(maskV);
  w.op(Op.block, EMPTY_BLOCK, Op.loop, EMPTY_BLOCK);
  w.get(index).get(1).op(Op.i32GeU, Op.brIf, 1);
  for (let i = 0; i < 25; i++) {
    if (i < 4) w.get(prefix[i]!);
    else if (i === 7) {
      w.get(0).get(index).op(Op.i64ExtendI32U, Op.i64Add).tee(nonce);
      emitByteSwap(w, tmp);
      w.simd(Simd.i64x2Splat);
      w.get(nonce).i64(1n).op(Op.i64Add);
      emitByteSwap(w, tmp);
      w.simd(Simd.i64x2ReplaceLane, 1);
    } else if (i === 8) simdLanes.constant(w, 1n);
    else if (i === 16) simdLanes.constant(w, -0x8000000000000000n);
    else simdLanes.constant(w, 0n);
    w.set(l.a + i);
  }
  emitPermutation(w, l, simdLanes);
  w.get(l.a + 3)
    .get(maskV)
    .simd(Simd.v128And)
    .set(l.t);
  for (let lane = 0; lane < 2; lane++) {
    w.get(l.t).simd(Simd.i64x2ExtractLane, lane).op(Op.i64Eqz, Op.if, EMPTY_BLOCK).get(index);
    if (lane === 1) w.i32(1).op(Op.i32Add);
    w.op(Op.return, Op.end);
  }
  w.get(index).i32(2).op(Op.i32Add).set(index);
  w.op(Op.br, 0, Op.end, Op.end);
  w.i32(-1);
  return {
    name: 'powScan2',
    params: [I64, I32, I64],
    results: [I32],
    locals: [
      { count: 2, type: I32 },
      { count: 2, type: I64 },
      { count: 62, type: V128 },
    ],
    body: w,
  };
}

const cached = new Map<boolean, Uint8Array<ArrayBuffer>>();

/**
 * The module's bytes, generated once per variant. With `simd` the module also exports
 * `powScan2`; engines without WebAssembly SIMD reject that variant, so callers validate it
 * first and fall back to the scalar one.
 */
export function keccakModuleBytes(simd: boolean): Uint8Array<ArrayBuffer> {
  let bytes = cached.get(simd);
  if (!bytes) {
    const functions = [absorbFunction(), powScanFunction()];
    if (simd) functions.push(powScan2Function(), absorb2Function(), absorb2PowFunction());
    bytes = buildModule(functions, 2, [
      { offset: ROUND_CONSTANTS_OFFSET, bytes: roundConstantBytes() },
    ]);
    cached.set(simd, bytes);
  }
  return bytes;
}
