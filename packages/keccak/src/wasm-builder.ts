/**
 * A minimal WebAssembly binary writer: just the sections and instructions that the Keccak
 * module needs (WebAssembly Core Specification 1.0, §5 Binary Format). Generating the module
 * at run time keeps the repository free of opaque binaries and lets one description of the
 * permutation serve both the generic hash and the proof-of-work scan.
 */

/** Value types (§5.3.1). */
export const I32 = 0x7f;
export const I64 = 0x7e;
export const V128 = 0x7b;

/** Instruction opcodes used by the generator (§5.4). */
export const Op = {
  block: 0x02,
  loop: 0x03,
  if: 0x04,
  else: 0x05,
  end: 0x0b,
  br: 0x0c,
  brIf: 0x0d,
  return: 0x0f,
  localGet: 0x20,
  localSet: 0x21,
  localTee: 0x22,
  i64Load: 0x29,
  i64Store: 0x37,
  i32Const: 0x41,
  i64Const: 0x42,
  i32Eqz: 0x45,
  i32LtU: 0x49,
  i32GeU: 0x4f,
  i64Eqz: 0x50,
  i64Ctz: 0x7a,
  i32Add: 0x6a,
  i32Sub: 0x6b,
  i64Add: 0x7c,
  i64And: 0x83,
  i64Or: 0x84,
  i64Xor: 0x85,
  i64Shl: 0x86,
  i64ShrU: 0x88,
  i64Rotl: 0x89,
  i32WrapI64: 0xa7,
  i64ExtendI32U: 0xad,
} as const;

/** SIMD opcodes, each after the 0xfd prefix (WebAssembly SIMD proposal, merged in 2.0). */
export const Simd = {
  v128Load: 0x00,
  v128Const: 0x0c,
  i64x2Splat: 0x12,
  i64x2ExtractLane: 0x1d,
  i64x2ReplaceLane: 0x1e,
  v128And: 0x4e,
  v128AndNot: 0x4f,
  v128Or: 0x50,
  v128Xor: 0x51,
  i64x2Shl: 0xcb,
  i64x2ShrU: 0xcd,
} as const;

/** Block type "no result" (§5.4.1). */
export const EMPTY_BLOCK = 0x40;

export function unsignedLeb(value: number): number[] {
  const out: number[] = [];
  let v = value >>> 0;
  do {
    let byte = v & 0x7f;
    v >>>= 7;
    if (v !== 0) byte |= 0x80;
    out.push(byte);
  } while (v !== 0);
  return out;
}

export function signedLeb(value: bigint): number[] {
  const out: number[] = [];
  let v = BigInt.asIntN(64, value);
  for (;;) {
    const byte = Number(v & 0x7fn);
    v >>= 7n;
    const signBit = (byte & 0x40) !== 0;
    if ((v === 0n && !signBit) || (v === -1n && signBit)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}

/** Accumulates a function body. */
export class CodeWriter {
  readonly bytes: number[] = [];

  op(...codes: number[]): this {
    for (const c of codes) this.bytes.push(c);
    return this;
  }
  get(local: number): this {
    return this.op(Op.localGet, ...unsignedLeb(local));
  }
  set(local: number): this {
    return this.op(Op.localSet, ...unsignedLeb(local));
  }
  tee(local: number): this {
    return this.op(Op.localTee, ...unsignedLeb(local));
  }
  i32(value: number): this {
    return this.op(Op.i32Const, ...signedLeb(BigInt(value | 0)));
  }
  i64(value: bigint): this {
    return this.op(Op.i64Const, ...signedLeb(value));
  }
  /** A SIMD instruction: the 0xfd prefix, then the opcode as an unsigned LEB128. */
  simd(code: number, ...immediates: number[]): this {
    return this.op(0xfd, ...unsignedLeb(code), ...immediates);
  }
  /** i64.load / i64.store with 8-byte alignment and a constant offset. */
  load64(offset: number): this {
    return this.op(Op.i64Load, 3, ...unsignedLeb(offset));
  }
  store64(offset: number): this {
    return this.op(Op.i64Store, 3, ...unsignedLeb(offset));
  }
}

export interface FunctionSpec {
  name: string;
  params: number[];
  results: number[];
  /** Extra locals after the parameters, all of one type. */
  locals: { count: number; type: number }[];
  body: CodeWriter;
}

function section(id: number, content: number[]): number[] {
  return [id, ...unsignedLeb(content.length), ...content];
}

function vector(items: number[][]): number[] {
  return [...unsignedLeb(items.length), ...items.flat()];
}

function name(text: string): number[] {
  const bytes = [...new TextEncoder().encode(text)];
  return [...unsignedLeb(bytes.length), ...bytes];
}

/**
 * Builds a module with one exported memory ("memory", `pages` 64 KiB pages, growable) and the
 * given exported functions.
 */
export function buildModule(
  functions: FunctionSpec[],
  pages: number,
  data: { offset: number; bytes: Uint8Array }[] = [],
): Uint8Array<ArrayBuffer> {
  const types = functions.map((f) => [
    0x60,
    ...unsignedLeb(f.params.length),
    ...f.params,
    ...unsignedLeb(f.results.length),
    ...f.results,
  ]);
  const funcs = functions.map((_, i) => unsignedLeb(i));
  const memory = [[0x00, ...unsignedLeb(pages)]];
  const exports = [
    [...name('memory'), 0x02, 0x00],
    ...functions.map((f, i) => [...name(f.name), 0x00, ...unsignedLeb(i)]),
  ];
  const code = functions.map((f) => {
    const locals = vector(f.locals.map((l) => [...unsignedLeb(l.count), l.type]));
    const body = [...locals, ...f.body.bytes, Op.end];
    return [...unsignedLeb(body.length), ...body];
  });
  const segments = data.map((d) => [
    0x00,
    Op.i32Const,
    ...signedLeb(BigInt(d.offset)),
    Op.end,
    ...unsignedLeb(d.bytes.length),
    ...d.bytes,
  ]);
  return new Uint8Array([
    0x00,
    0x61,
    0x73,
    0x6d,
    0x01,
    0x00,
    0x00,
    0x00,
    ...section(1, vector(types)),
    ...section(3, vector(funcs)),
    ...section(5, vector(memory)),
    ...section(7, vector(exports)),
    ...section(10, vector(code)),
    ...section(11, vector(segments)),
  ]);
}
