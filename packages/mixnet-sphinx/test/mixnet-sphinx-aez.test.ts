/**
 * The payload SPRP, AEZ v5 with tau = 0 (src/aez.ts), against Katzenpost's primitive vectors
 * (specs/mixnet-sphinx/vectors/primitives/sprp_aez.json, provenance beside them): each vector
 * both ways. Then properties: deciphering undoes enciphering for every length 0..2000, a
 * single flipped ciphertext bit scrambles the whole deciphered payload (what Sphinx's 32-byte
 * zero tag relies on), and AEZ with tau > 0 authenticates.
 */
import { readFileSync } from 'node:fs';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { aezDecipher, aezDecrypt, aezEncipher, aezEncrypt } from '../src/aez.js';
import { aesSbox } from '../src/aez-aes.js';

interface AezVector {
  name: string;
  key_hex: string;
  iv_hex: string;
  plaintext_hex: string;
  ciphertext_hex: string;
}
const file = JSON.parse(
  readFileSync(
    new URL('../../../specs/mixnet-sphinx/vectors/primitives/sprp_aez.json', import.meta.url),
    'utf8',
  ),
) as { primitive: string; vectors: AezVector[] };

describe('sprp_aez.json (Katzenpost SPRPEncrypt / SPRPDecrypt)', () => {
  it('is the AEZ vector file', () => {
    expect(file.primitive).toBe('sprp_aez');
    expect(file.vectors.length).toBeGreaterThan(0);
  });

  it.each(file.vectors)('$name enciphers to the ciphertext', (v) => {
    const out = aezEncipher(
      hexToBytes(v.key_hex),
      hexToBytes(v.iv_hex),
      hexToBytes(v.plaintext_hex),
    );
    expect(bytesToHex(out)).toBe(v.ciphertext_hex);
  });

  it.each(file.vectors)('$name deciphers to the plaintext', (v) => {
    const out = aezDecipher(
      hexToBytes(v.key_hex),
      hexToBytes(v.iv_hex),
      hexToBytes(v.ciphertext_hex),
    );
    expect(bytesToHex(out)).toBe(v.plaintext_hex);
  });
});

describe('the AES round', () => {
  it('has the AES S-box', () => {
    expect([aesSbox[0x00], aesSbox[0x01], aesSbox[0x53], aesSbox[0xff]]).toEqual([
      0x63, 0x7c, 0xed, 0x16,
    ]);
    expect(new Set(aesSbox).size).toBe(256);
  });
});

const key48 = fc.uint8Array({ minLength: 48, maxLength: 48 });
const nonce16 = fc.uint8Array({ minLength: 16, maxLength: 16 });

describe('SPRP properties', () => {
  it('deciphering undoes enciphering and keeps the length, 0..2000 bytes', () => {
    fc.assert(
      fc.property(key48, nonce16, fc.uint8Array({ maxLength: 2000 }), (k, n, m) => {
        const c = aezEncipher(k, n, m);
        expect(c.length).toBe(m.length);
        expect(bytesToHex(aezDecipher(k, n, c))).toBe(bytesToHex(m));
      }),
      { numRuns: 150 },
    );
  });

  it('round trips at every length 0..100 and around the block edges up to 2000', () => {
    const k = Uint8Array.from({ length: 48 }, (_, i) => i * 7);
    const n = Uint8Array.from({ length: 16 }, (_, i) => 200 - i);
    const lengths = [...Array(101).keys()];
    for (let base = 128; base <= 2000; base += 128) {
      for (let d = -17; d <= 17; d++) lengths.push(base + d);
    }
    lengths.push(2000);
    for (const len of lengths) {
      const m = Uint8Array.from({ length: len }, (_, i) => (i * 31 + len) & 0xff);
      const c = aezEncipher(k, n, m);
      expect(c.length).toBe(len);
      // Hex: Vitest's deep equality is slow on long byte arrays.
      expect(bytesToHex(aezDecipher(k, n, c))).toBe(bytesToHex(m));
    }
  });

  it('a flipped ciphertext bit scrambles the whole deciphered payload, so a zero tag fails', () => {
    fc.assert(
      fc.property(
        key48,
        nonce16,
        fc.integer({ min: 64, max: 2000 }),
        fc.nat(),
        fc.boolean(),
        (k, n, len, bitSeed, tagAtEnd) => {
          // A Sphinx-like payload: a 32-byte zero tag (at the start, as Sphinx puts it, or at
          // the end), and a body.
          const m = new Uint8Array(len);
          const tag = tagAtEnd ? [len - 32, len] : [0, 32];
          for (let i = 0; i < len; i++) if (i < tag[0]! || i >= tag[1]!) m[i] = (i * 13 + 1) & 0xff;
          const c = aezEncipher(k, n, m);
          const bit = bitSeed % (len * 8);
          c[bit >>> 3]! ^= 1 << (bit & 7);
          const p = aezDecipher(k, n, c);
          expect(p.length).toBe(len);
          expect(p).not.toEqual(m);
          // The zero-tag check fails.
          expect(p.subarray(tag[0], tag[1]).every((b) => b === 0)).toBe(false);
          // Almost every byte changes, the first block's too: a random byte equals the
          // original with chance 1/256.
          let same = 0;
          for (let i = 0; i < len; i++) if (p[i] === m[i]) same++;
          expect(same).toBeLessThan(len / 16 + 8);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('the nonce and the key are tweaks: changing either changes the whole ciphertext', () => {
    const k = new Uint8Array(48).fill(1);
    const n = new Uint8Array(16).fill(2);
    const m = new Uint8Array(2048);
    const c = aezEncipher(k, n, m);
    const n2 = n.slice();
    n2[15] ^= 1;
    const k2 = k.slice();
    k2[47] ^= 0x80;
    for (const other of [aezEncipher(k, n2, m), aezEncipher(k2, n, m)]) {
      let same = 0;
      for (let i = 0; i < m.length; i++) if (other[i] === c[i]) same++;
      expect(same).toBeLessThan(m.length / 32);
    }
  });
});

describe('AEZ with tau > 0 and additional data', () => {
  const k = Uint8Array.from({ length: 48 }, (_, i) => i);
  const n = Uint8Array.from({ length: 12 }, (_, i) => i + 100);

  it('authenticates: round trip, then any change is refused', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 300 }),
        // A tau-byte tag is forged with chance 2^-8·tau: at 16 bytes or more a change that
        // slips through would be a real failure, not luck (at tau = 1 it is 1 in 256).
        fc.integer({ min: 16, max: 40 }),
        fc.array(fc.uint8Array({ maxLength: 40 }), { maxLength: 3 }),
        (m, tau, ad) => {
          const c = aezEncrypt(k, n, ad, tau, m);
          expect(c.length).toBe(m.length + tau);
          expect(aezDecrypt(k, n, ad, tau, c)).toEqual(m);
          const bad = c.slice();
          bad[bad.length - 1]! ^= 1;
          expect(aezDecrypt(k, n, ad, tau, bad)).toBeUndefined();
          expect(aezDecrypt(k, n, [...ad, new Uint8Array(0)], tau, c)).toBeUndefined();
          expect(aezDecrypt(k, n, ad, tau, c.subarray(0, tau - 1))).toBeUndefined();
        },
      ),
      { numRuns: 100 },
    );
  });

  it('round-trips with short tags too (tau 1 to 15)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.integer({ min: 1, max: 15 }), (m, tau) => {
        const c = aezEncrypt(k, n, undefined, tau, m);
        expect(c.length).toBe(m.length + tau);
        expect(aezDecrypt(k, n, undefined, tau, c)).toEqual(m);
      }),
      { numRuns: 100 },
    );
  });

  it('hashes keys that are not 48 bytes (BLAKE2b Extract) and keeps them distinct', () => {
    const m = new Uint8Array(40);
    const outs = [new Uint8Array(0), new Uint8Array(16), new Uint8Array(32), k.subarray(0, 47)].map(
      (key) => bytesToHex(aezEncrypt(key, n, undefined, 16, m)),
    );
    expect(new Set(outs).size).toBe(outs.length);
    expect(aezDecrypt(new Uint8Array(32), n, undefined, 16, hexToBytes(outs[2]!))).toEqual(m);
  });

  it('tau = 0 through the general API is the SPRP', () => {
    const k48 = k;
    const n16 = new Uint8Array(16).fill(9);
    const m = new Uint8Array(77).fill(3);
    expect(aezEncrypt(k48, n16, undefined, 0, m)).toEqual(aezEncipher(k48, n16, m));
    expect(aezEncrypt(k48, n16, [], 0, m)).toEqual(aezEncipher(k48, n16, m));
  });
});

describe('bad lengths', () => {
  const m = new Uint8Array(64);
  it('the SPRP wants a 48-byte key and a 16-byte nonce', () => {
    expect(() => aezEncipher(new Uint8Array(47), new Uint8Array(16), m)).toThrow(RangeError);
    expect(() => aezEncipher(new Uint8Array(48), new Uint8Array(12), m)).toThrow(RangeError);
    expect(() => aezDecipher(new Uint8Array(49), new Uint8Array(16), m)).toThrow(RangeError);
    expect(() => aezDecipher(new Uint8Array(48), new Uint8Array(17), m)).toThrow(RangeError);
  });
  it('tau must be a non-negative integer', () => {
    const k = new Uint8Array(48);
    for (const tau of [-1, 1.5, Number.NaN, 2 ** 29]) {
      expect(() => aezEncrypt(k, m, undefined, tau, m)).toThrow(RangeError);
      expect(() => aezDecrypt(k, m, undefined, tau, m)).toThrow(RangeError);
    }
  });
});
