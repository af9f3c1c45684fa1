/**
 * @hush/rlp: canonical encodings (specs/whisper-v6 SPEC §3.2) and the strict reading rules
 * (SPEC §3.3 H1–H3, I1–I5) with the code each refusal carries.
 */
import { HushError } from '@hush/interface';
import { describe, expect, it } from 'vitest';
import {
  bigUintLength,
  bytesLength,
  decode,
  encode,
  encodeBytes,
  encodeList,
  encodeUint,
  headerLength,
  ItemKind,
  itemHeader,
  RlpError,
  type RlpErrorCode,
  RlpStream,
  readBigUint,
  readHeader,
  readList,
  readString,
  readUint,
  uintLength,
  writeBigUint,
  writeBytes,
  writeHeader,
  writeUint,
} from '../src/index.js';

const hex = (s: string) => Uint8Array.from(Buffer.from(s.replace(/\s/g, ''), 'hex'));
const toHex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const ascii = (s: string) => new TextEncoder().encode(s);
const filled = (n: number, byte = 0xaa) => new Uint8Array(n).fill(byte);

function codeOf(run: () => unknown): RlpErrorCode | 'ok' {
  try {
    run();
    return 'ok';
  } catch (error) {
    if (error instanceof RlpError) return error.code;
    throw error;
  }
}

describe('SPEC §3.2 canonical encoding', () => {
  it.each([
    ['empty string', new Uint8Array(0), '80'],
    ['byte 0x00', Uint8Array.of(0), '00'],
    ['byte 0x7f', Uint8Array.of(0x7f), '7f'],
    ['byte 0x80', Uint8Array.of(0x80), '8180'],
    ['"dog"', ascii('dog'), '83646f67'],
    ['55 bytes', filled(55), `b7${'aa'.repeat(55)}`],
    ['56 bytes', filled(56), `b838${'aa'.repeat(56)}`],
    ['255 bytes', filled(255), `b8ff${'aa'.repeat(255)}`],
    ['256 bytes', filled(256), `b90100${'aa'.repeat(256)}`],
    ['65536 bytes', filled(65536), `ba010000${'aa'.repeat(65536)}`],
  ])('byte string: %s', (_name, data, expected) => {
    expect(toHex(encodeBytes(data))).toBe(expected);
    expect(bytesLength(data)).toBe(expected.length / 2);
    const out = new Uint8Array(bytesLength(data) + 2);
    expect(writeBytes(out, 1, data)).toBe(1 + expected.length / 2);
    expect(toHex(out.subarray(1, -1))).toBe(expected);
  });

  it('a lone byte below 0x80 is a new array, not the input', () => {
    const data = Uint8Array.of(5);
    const encoded = encodeBytes(data);
    expect(encoded).toEqual(data);
    expect(encoded).not.toBe(data);
  });

  it.each([
    [0, '80'],
    [1, '01'],
    [0x7f, '7f'],
    [0x80, '8180'],
    [0xff, '81ff'],
    [0x100, '820100'],
    [1024, '820400'],
    [0xffffff, '83ffffff'],
    [0xffffffff, '84ffffffff'],
    [2 ** 32, '850100000000'],
    [Number.MAX_SAFE_INTEGER, '871fffffffffffff'],
  ])('unsigned integer %d', (value, expected) => {
    expect(toHex(encodeUint(value))).toBe(expected);
    expect(toHex(encodeUint(BigInt(value)))).toBe(expected);
    expect(uintLength(value)).toBe(expected.length / 2);
    expect(bigUintLength(BigInt(value))).toBe(expected.length / 2);
    const out = new Uint8Array(10);
    expect(writeUint(out, 0, value)).toBe(expected.length / 2);
    expect(toHex(out.subarray(0, expected.length / 2))).toBe(expected);
    expect(writeBigUint(out, 1, BigInt(value))).toBe(1 + expected.length / 2);
    expect(toHex(out.subarray(1, 1 + expected.length / 2))).toBe(expected);
  });

  it.each([
    [2n ** 53n, '8720000000000000'],
    [2n ** 64n - 1n, '88ffffffffffffffff'],
    [2n ** 64n, '89010000000000000000'],
    [2n ** 256n - 1n, `a0${'ff'.repeat(32)}`],
  ])('unsigned bigint %s', (value, expected) => {
    expect(toHex(encodeUint(value))).toBe(expected);
    expect(bigUintLength(value)).toBe(expected.length / 2);
  });

  it('refuses integers that are not non-negative safe integers', () => {
    for (const bad of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53]) {
      expect(() => encodeUint(bad)).toThrow(RangeError);
      expect(() => uintLength(bad)).toThrow(RangeError);
      expect(() => writeUint(new Uint8Array(9), 0, bad)).toThrow(RangeError);
    }
    expect(() => encodeUint(-1n)).toThrow(RangeError);
    expect(() => bigUintLength(-1n)).toThrow(RangeError);
    expect(() => writeBigUint(new Uint8Array(9), 0, -1n)).toThrow(RangeError);
    expect(() => bigUintLength(1 as never)).toThrow(RangeError);
  });

  it('headers: short and long forms at the 55/56 boundary, for strings and lists', () => {
    for (const [size, string, list] of [
      [0, '80', 'c0'],
      [55, 'b7', 'f7'],
      [56, 'b838', 'f838'],
      [255, 'b8ff', 'f8ff'],
      [256, 'b90100', 'f90100'],
      [2 ** 24, 'bb01000000', 'fb01000000'],
    ] as const) {
      expect(headerLength(size)).toBe(string.length / 2);
      const out = new Uint8Array(headerLength(size));
      expect(writeHeader(out, 0, size, 0x80)).toBe(out.length);
      expect(toHex(out)).toBe(string);
      writeHeader(out, 0, size, 0xc0);
      expect(toHex(out)).toBe(list);
    }
  });

  it('lists of encoded items, and nested values', () => {
    expect(toHex(encodeList([]))).toBe('c0');
    expect(toHex(encodeList([encodeBytes(ascii('cat')), encodeBytes(ascii('dog'))]))).toBe(
      'c88363617483646f67',
    );
    expect(toHex(encode([ascii('cat'), ascii('dog')]))).toBe('c88363617483646f67');
    // The set-theoretic representation of three (the RLP examples of the Ethereum wiki).
    expect(toHex(encode([[], [[]], [[], [[]]]]))).toBe('c7c0c1c0c3c0c1c0');
    const lorem = ascii('Lorem ipsum dolor sit amet, consectetur adipisicing elit');
    expect(toHex(encode(lorem))).toBe(`b838${toHex(lorem)}`);
    expect(toHex(encode([lorem]))).toBe(`f83ab838${toHex(lorem)}`);
    expect(() => encodeList([1] as never)).toThrow(TypeError);
    expect(() => encodeList('ab' as never)).toThrow(TypeError);
    expect(() => encode([{}] as never)).toThrow(TypeError);
    expect(() => encodeBytes([1] as never)).toThrow(TypeError);
  });
});

describe('SPEC §3.3 H1–H3 item headers', () => {
  it.each([
    ['', 'truncated'],
    ['81', 'truncated'],
    ['b8', 'truncated'],
    [`b838${'00'.repeat(55)}`, 'truncated'],
    ['b9', 'truncated'],
    ['b901', 'truncated'],
    [`b837${'00'.repeat(55)}`, 'non-canonical-size'],
    ['b800', 'non-canonical-size'],
    [`b90038${'00'.repeat(56)}`, 'non-canonical-size'],
    [`f837${'00'.repeat(55)}`, 'non-canonical-size'],
    [`f90040${'00'.repeat(64)}`, 'non-canonical-size'],
    ['c3', 'truncated'],
    ['c30102', 'truncated'],
    ['bfffffffffffffffff', 'truncated'],
    ['bf01000000000000000000', 'truncated'],
    ['ff0100000000000000', 'truncated'],
  ])('%s → %s', (input, code) => {
    const bytes = hex(input);
    expect(codeOf(() => readHeader(bytes, 0, bytes.length, itemHeader()))).toBe(code);
    expect(codeOf(() => decode(bytes))).toBe(code);
  });

  it('the scope is the enclosing list, not the input', () => {
    // c2 [c3 01 02 03]: the inner list says 3 bytes of content, its scope has 1.
    const bytes = hex('c2c3010203');
    const h = readList(bytes, 0, bytes.length, itemHeader());
    expect(h).toEqual({ kind: ItemKind.List, start: 1, size: 2, end: 3 });
    expect(codeOf(() => readHeader(bytes, 1, h.end, itemHeader()))).toBe('truncated');
    expect(codeOf(() => decode(bytes))).toBe('truncated');
  });

  it('describes each kind of item in one reused header', () => {
    const bytes = hex(`05 83010203 c20102 b838${'00'.repeat(56)}`);
    const h = itemHeader();
    expect(readHeader(bytes, 0, bytes.length, h)).toBe(h);
    expect({ ...h }).toEqual({ kind: ItemKind.Byte, start: 0, size: 1, end: 1 });
    readHeader(bytes, 1, bytes.length, h);
    expect({ ...h }).toEqual({ kind: ItemKind.String, start: 2, size: 3, end: 5 });
    readHeader(bytes, 5, bytes.length, h);
    expect({ ...h }).toEqual({ kind: ItemKind.List, start: 6, size: 2, end: 8 });
    readHeader(bytes, 8, bytes.length, h);
    expect({ ...h }).toEqual({ kind: ItemKind.String, start: 10, size: 56, end: 66 });
  });

  it('errors are HushErrors with a code and the offset of the item', () => {
    const bytes = hex('c20181');
    let error: unknown;
    try {
      decode(bytes);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(RlpError);
    expect(error).toBeInstanceOf(HushError);
    expect(error).toMatchObject({ name: 'RlpError', code: 'truncated', offset: 2 });
    expect((error as Error).message).toMatch(/^rlp: /);
  });
});

describe('byte strings and lists of the expected kind', () => {
  it.each([
    ['00', 'ok'],
    ['8180', 'ok'],
    ['8100', 'non-canonical-size'],
    ['817f', 'non-canonical-size'],
    ['c0', 'expected-string'],
  ])('readString %s → %s', (input, code) => {
    const bytes = hex(input);
    expect(codeOf(() => readString(bytes, 0, bytes.length, itemHeader()))).toBe(code);
  });

  it('readList refuses strings and single bytes', () => {
    for (const input of ['80', '01', '820102']) {
      const bytes = hex(input);
      expect(codeOf(() => readList(bytes, 0, bytes.length, itemHeader()))).toBe('expected-list');
    }
  });
});

describe('SPEC §3.3 I1–I5 integers', () => {
  it.each([
    ['80', 4, 0],
    ['01', 4, 1],
    ['7f', 4, 127],
    ['8180', 4, 128],
    ['84ffffffff', 4, 0xffffffff],
    ['861fffffffffff', 6, 2 ** 45 - 1],
    ['c0', 4, 'expected-string'],
    ['00', 4, 'non-canonical-integer'],
    ['820001', 4, 'non-canonical-integer'],
    ['8100', 4, 'non-canonical-size'],
    ['817f', 4, 'non-canonical-size'],
    ['850100000000', 4, 'integer-overflow'],
    // I3 is checked before the content: a leading zero wider than allowed is an overflow.
    ['850000000001', 4, 'integer-overflow'],
    ['84', 4, 'truncated'],
  ])('%s (≤ %d bytes) → %s', (input, maxBytes, expected) => {
    const bytes = hex(input);
    const h = itemHeader();
    const number = codeOf(() => readUint(bytes, 0, bytes.length, h, maxBytes));
    const big = codeOf(() => readBigUint(bytes, 0, bytes.length, h, maxBytes));
    if (typeof expected === 'number') {
      expect(readUint(bytes, 0, bytes.length, h, maxBytes)).toBe(expected);
      expect(h.end).toBe(bytes.length);
      expect(readBigUint(bytes, 0, bytes.length, h, maxBytes)).toBe(BigInt(expected));
    } else {
      expect(number).toBe(expected);
      expect(big).toBe(expected);
    }
  });

  it('bigints of any width, through the fast two-halves path and beyond it', () => {
    const h = itemHeader();
    for (const value of [2n ** 32n, 2n ** 56n + 5n, 2n ** 64n - 1n, 2n ** 64n, 2n ** 255n + 1n]) {
      const bytes = encodeUint(value);
      expect(readBigUint(bytes, 0, bytes.length, h, 32)).toBe(value);
    }
    const max = encodeUint(2n ** 64n);
    expect(codeOf(() => readBigUint(max, 0, max.length, h))).toBe('integer-overflow');
  });

  it('readUint reads at most 6 bytes into a number', () => {
    const bytes = hex('01');
    expect(() => readUint(bytes, 0, 1, itemHeader(), 7)).toThrow(RangeError);
  });
});

describe('RlpStream', () => {
  it('reads a status-like list field by field and skips what follows', () => {
    const bloom = filled(64, 0x0f);
    const payload = encodeList([
      encodeUint(6),
      encodeUint(0x3fc999999999999an),
      encodeBytes(bloom),
      encodeUint(1),
      encodeList([encodeUint(7)]),
      hex('ff'),
    ]);
    const s = new RlpStream(payload);
    expect(s.nextIsList()).toBe(true);
    s.list();
    expect(s.uintNumber(4)).toBe(6);
    expect(s.uint()).toBe(0x3fc999999999999an);
    expect(s.nextIsList()).toBe(false);
    expect(s.string()).toEqual(bloom);
    expect(s.bool()).toBe(true);
    expect(s.nextIsList()).toBe(true);
    s.list();
    expect(s.uint()).toBe(7n);
    expect(s.atListEnd()).toBe(true);
    expect(codeOf(() => s.uint())).toBe('end-of-list');
    s.leave();
    expect(s.atListEnd()).toBe(false);
    s.leave(); // the stray 0xff (an invalid header) is never examined
    expect(s.atEnd()).toBe(true);
    expect(s.atListEnd()).toBe(true);
    expect(codeOf(() => s.uint())).toBe('truncated');
    expect(codeOf(() => s.leave())).toBe('expected-list');
  });

  it('a failed read consumes nothing', () => {
    const s = new RlpStream(hex('c4 820001 02'));
    s.list();
    expect(codeOf(() => s.uint())).toBe('non-canonical-integer');
    expect(codeOf(() => s.list())).toBe('expected-list');
    expect(s.string()).toEqual(hex('0001'));
    expect(codeOf(() => s.bool())).toBe('bad-boolean');
    expect(s.offset).toBe(4);
    expect(s.uint()).toBe(2n);
  });

  it('booleans are the integers 0 and 1', () => {
    expect(new RlpStream(hex('80')).bool()).toBe(false);
    expect(new RlpStream(hex('01')).bool()).toBe(true);
    expect(codeOf(() => new RlpStream(hex('00')).bool())).toBe('non-canonical-integer');
    expect(codeOf(() => new RlpStream(hex('02')).bool())).toBe('bad-boolean');
    expect(codeOf(() => new RlpStream(hex('820100')).bool())).toBe('bad-boolean');
    expect(codeOf(() => new RlpStream(hex('c0')).bool())).toBe('expected-string');
  });

  it('view() is a view into the input, string() a copy', () => {
    const input = hex('83010203');
    const view = new RlpStream(input).view();
    const copy = new RlpStream(input).string();
    input[1] = 9;
    expect(view).toEqual(hex('090203'));
    expect(copy).toEqual(hex('010203'));
  });

  it('byte strings must be canonical; integers are bounded', () => {
    expect(codeOf(() => new RlpStream(hex('8105')).string())).toBe('non-canonical-size');
    expect(codeOf(() => new RlpStream(hex('c0')).view())).toBe('expected-string');
    expect(codeOf(() => new RlpStream(hex('850100000000')).uint(4))).toBe('integer-overflow');
    expect(codeOf(() => new RlpStream(hex('c1')).list())).toBe('truncated');
    expect(() => new RlpStream('c0' as never)).toThrow(TypeError);
  });
});

describe('decode', () => {
  it('returns copies of byte strings in nested lists', () => {
    const input = hex('c7c0c1c0c3c0c1c0');
    expect(decode(input)).toEqual([[], [[]], [[], [[]]]]);
    const bytes = hex('c483010203');
    const value = decode(bytes) as Uint8Array[];
    bytes[2] = 9;
    expect(value[0]).toEqual(hex('010203'));
  });

  it('refuses bytes after the value, empty input and non-canonical single bytes', () => {
    expect(codeOf(() => decode(hex('8000')))).toBe('trailing-data');
    expect(codeOf(() => decode(hex('c0c0')))).toBe('trailing-data');
    expect(codeOf(() => decode(new Uint8Array(0)))).toBe('truncated');
    expect(codeOf(() => decode(hex('c28105')))).toBe('non-canonical-size');
    expect(() => decode([0xc0] as never)).toThrow(TypeError);
  });

  it('nests deeper than the call stack would allow', () => {
    const depth = 200_000;
    // 200,000 lists each holding the next: built from the inside out as bytes.
    const parts: number[][] = [];
    let size = 1;
    for (let i = 0; i < depth; i++) {
      const header = new Uint8Array(headerLength(size));
      writeHeader(header, 0, size, 0xc0);
      parts.push([...header]);
      size += header.length;
    }
    const bytes = new Uint8Array(size);
    let at = 0;
    for (let i = parts.length - 1; i >= 0; i--) {
      bytes.set(parts[i]!, at);
      at += parts[i]!.length;
    }
    bytes[at] = 1;
    let decoded = decode(bytes);
    for (let i = 0; i < depth; i++) decoded = (decoded as unknown[])[0] as Uint8Array;
    expect(decoded).toEqual(Uint8Array.of(1));
    expect(codeOf(() => decode(bytes.subarray(0, bytes.length - 1)))).toBe('truncated');
  });
});
