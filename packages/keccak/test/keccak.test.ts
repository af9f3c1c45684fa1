import { keccak_256 } from '@noble/hashes/sha3.js';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import {
  keccak256,
  keccak256Concat,
  keccak256Pair,
  keccak256WithPowBits,
  keccakBackend,
  keccakReady,
  powHashBits,
  powScan,
  powScanMask,
  useJsBackend,
} from '../src/index.js';

const backends = ['wasm', 'js'] as const;

function trailingZeroBits(digest: Uint8Array): number {
  let bits = 0;
  for (let i = 31; i >= 0; i--) {
    const byte = digest[i]!;
    if (byte === 0) {
      bits += 8;
      continue;
    }
    let b = byte;
    while ((b & 1) === 0) {
      b >>= 1;
      bits++;
    }
    break;
  }
  return bits;
}

function powDigest(prefix: Uint8Array, nonce: bigint): Uint8Array {
  const buffer = new Uint8Array(64);
  buffer.set(prefix);
  new DataView(buffer.buffer).setBigUint64(56, nonce, false);
  return keccak_256(buffer);
}

afterEach(() => useJsBackend(false));

describe.each(backends)('keccak256 (%s backend)', (backend) => {
  it('selects the backend', async () => {
    useJsBackend(backend === 'js');
    const name = await keccakReady();
    if (backend === 'js') expect(name).toBe('js');
    else expect(['wasm', 'wasm-simd']).toContain(name);
  });

  it('hashes the empty string to the known Keccak-256 digest', () => {
    useJsBackend(backend === 'js');
    expect(Buffer.from(keccak256(new Uint8Array())).toString('hex')).toBe(
      'c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470',
    );
  });

  it('agrees with @noble/hashes at every length around the rate boundaries', () => {
    useJsBackend(backend === 'js');
    for (const length of [1, 55, 56, 63, 64, 135, 136, 137, 271, 272, 273, 1000, 70000]) {
      const data = new Uint8Array(length).map((_, i) => (i * 31 + length) & 0xff);
      expect(keccak256(data)).toEqual(keccak_256(data));
    }
  });

  it('hashes concatenated parts as one message', () => {
    useJsBackend(backend === 'js');
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 5 }), (parts) => {
        const joined = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
        let at = 0;
        for (const p of parts) {
          joined.set(p, at);
          at += p.length;
        }
        expect(keccak256Concat(parts)).toEqual(keccak_256(joined));
      }),
      { numRuns: 200 },
    );
  });

  it('hashes pairs of messages, of equal or different padded lengths', () => {
    useJsBackend(backend === 'js');
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), fc.uint8Array({ maxLength: 600 }), (a, b) => {
        const [da, db] = keccak256Pair([a.subarray(0, 3), a.subarray(3)], [b]);
        expect(da).toEqual(keccak_256(a));
        expect(db).toEqual(keccak_256(b));
      }),
      { numRuns: 300 },
    );
    const a = new Uint8Array(315).fill(1);
    const b = new Uint8Array(310).fill(2);
    expect(keccak256Pair([a], [b])).toEqual([keccak_256(a), keccak_256(b)]);
  });

  it('grows memory for inputs larger than the initial pages', () => {
    useJsBackend(backend === 'js');
    const big = new Uint8Array(3 * 1024 * 1024).fill(0xab);
    expect(keccak256(big)).toEqual(keccak_256(big));
    expect(keccak256(new Uint8Array([1]))).toEqual(keccak_256(new Uint8Array([1])));
  });

  it('rejects non-byte input with a TypeError', () => {
    useJsBackend(backend === 'js');
    expect(() => keccak256('abc' as unknown as Uint8Array)).toThrow(TypeError);
  });
});

describe.each(backends)('powScan (%s backend)', (backend) => {
  const prefix = keccak_256(new Uint8Array([1, 2, 3]));

  it('finds the first nonce reaching the target, as a sequential search does', () => {
    useJsBackend(backend === 'js');
    for (const target of [1, 4, 9, 12]) {
      let expected = -1;
      for (let n = 0; n < 1 << 16; n++) {
        if (trailingZeroBits(powDigest(prefix, BigInt(n))) >= target) {
          expected = n;
          break;
        }
      }
      expect(powScan(prefix, 0n, 1 << 16, target)).toBe(expected);
      if (expected > 0) {
        expect(powScan(prefix, 1n, 1 << 16, target)).toBe(expected - 1);
        expect(powScan(prefix, 0n, expected, target)).toBe(-1);
      }
    }
  });

  it('honours odd counts and ranges near 2^64', () => {
    useJsBackend(backend === 'js');
    const top = (1n << 64n) - 5n;
    const found = powScan(prefix, top, 5, 1);
    const expected = [0, 1, 2, 3, 4].find(
      (i) => trailingZeroBits(powDigest(prefix, top + BigInt(i))) >= 1,
    );
    expect(found).toBe(expected ?? -1);
    expect(() => powScan(prefix, top, 6, 1)).toThrow(RangeError);
  });

  it('rejects bad arguments by name', () => {
    useJsBackend(backend === 'js');
    expect(() => powScan(new Uint8Array(31), 0n, 1, 1)).toThrow(/prefix/);
    expect(() => powScan(prefix, -1n, 1, 1)).toThrow(/start/);
    expect(() => powScan(prefix, 0n, -1, 1)).toThrow(/count/);
    expect(() => powScan(prefix, 0n, 1, 0)).toThrow(/targetBits/);
  });
});

describe('powScanMask', () => {
  it('byte-swaps the low target bits', () => {
    expect(powScanMask(1)).toBe(0x0100000000000000n);
    expect(powScanMask(8)).toBe(0xff00000000000000n);
    expect(powScanMask(12)).toBe(0xff0f000000000000n);
    expect(powScanMask(64)).toBe(0xffffffffffffffffn);
    expect(powScanMask(200)).toBe(0xffffffffffffffffn);
  });

  it('reports the serving backend', () => {
    expect(['wasm', 'wasm-simd']).toContain(keccakBackend());
  });
});

describe.each(backends)('powHashBits (%s backend)', (backend) => {
  it('counts the trailing zero bits of the PoW digest', () => {
    useJsBackend(backend === 'js');
    const prefix = keccak_256(new Uint8Array([7]));
    for (const nonce of [0n, 1n, 0x7fn, 0x80n, 0xdeadbeefn, 1n << 53n, (1n << 64n) - 1n]) {
      expect(powHashBits(prefix, nonce)).toBe(trailingZeroBits(powDigest(prefix, nonce)));
    }
    expect(() => powHashBits(prefix, 1n << 64n)).toThrow(RangeError);
  });
});

describe.each(backends)('keccak256WithPowBits (%s backend)', (backend) => {
  it('gives the digest of the message and the PoW bits over the digest of the other', () => {
    useJsBackend(backend === 'js');
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 700 }),
        fc.uint8Array({ maxLength: 700 }),
        fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
        (a, b, nonce) => {
          const [digest, bits] = keccak256WithPowBits(
            [a.subarray(0, 5), a.subarray(5)],
            [b],
            nonce,
          );
          expect(digest).toEqual(keccak_256(a));
          expect(bits).toBe(trailingZeroBits(powDigest(keccak_256(b), nonce)));
        },
      ),
      { numRuns: 300 },
    );
    // Same padded length (the SIMD path), at the nonce extremes.
    const a = new Uint8Array(560).fill(3);
    const b = new Uint8Array(551).fill(4);
    for (const nonce of [0n, 1n, 0xffn, 1n << 56n, (1n << 64n) - 1n]) {
      expect(keccak256WithPowBits([a], [b], nonce)).toEqual([
        keccak_256(a),
        trailingZeroBits(powDigest(keccak_256(b), nonce)),
      ]);
    }
    // Nonces whose PoW digest ends in several zero bytes: the count runs across bytes.
    const prefix = keccak_256(b);
    let found = 0n;
    while (trailingZeroBits(powDigest(prefix, found)) < 16) found++;
    expect(keccak256WithPowBits([a], [b], found)[1]).toBe(
      trailingZeroBits(powDigest(prefix, found)),
    );
    expect(() => keccak256WithPowBits([a], [b], 1n << 64n)).toThrow(RangeError);
    expect(() => keccak256WithPowBits([a], [b], -1n)).toThrow(RangeError);
    expect(() => keccak256WithPowBits([a as never, 1 as never], [b], 0n)).toThrow(TypeError);
  });
});
