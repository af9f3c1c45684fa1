/**
 * specs/mixnet-sphinx/SPEC.md §4: the Node fast paths of the header primitives (node:crypto)
 * give exactly the browser path's results (noble), for any input; the HKDF expand and
 * ChaCha20 both paths share are written out, so they are checked against noble's and
 * OpenSSL's, with RFC 5869's and RFC 8439's vectors.
 */
import { createCipheriv, createHmac } from 'node:crypto';
import { chacha20 } from '@noble/ciphers/chacha.js';
import { expand } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { hexToBytes } from '@noble/hashes/utils.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as node from '../src/primitives-node.js';
import * as web from '../src/primitives-web.js';

const bytes = (n: number) => fc.uint8Array({ minLength: n, maxLength: n });

describe('header primitives: node:crypto equals noble', () => {
  it('HKDF-SHA256 expand, HMAC-SHA256, SHA-512/256 (property)', () => {
    fc.assert(
      fc.property(
        bytes(32),
        fc.uint8Array({ maxLength: 80 }),
        fc.integer({ min: 1, max: 300 }),
        fc.uint8Array({ maxLength: 600 }),
        (prk, info, length, data) => {
          expect(node.hkdfExpandSha256(prk, info, length)).toEqual(
            web.hkdfExpandSha256(prk, info, length),
          );
          expect(node.hmacSha256(prk, [info, data])).toEqual(web.hmacSha256(prk, [info, data]));
          expect(node.sha512t256(data)).toEqual(web.sha512t256(data));
        },
      ),
      { numRuns: 100 },
    );
  });
  it('AES-256-CTR and ChaCha20 keystreams, counters wrapping included (property)', () => {
    const nearWrap = new Uint8Array(16).fill(0xff);
    expect(node.aes256CtrKeyStream(new Uint8Array(32), nearWrap, 64)).toEqual(
      web.aes256CtrKeyStream(new Uint8Array(32), nearWrap, 64),
    );
    fc.assert(
      fc.property(bytes(32), bytes(16), fc.integer({ min: 1, max: 700 }), (key, iv, length) => {
        expect(node.aes256CtrKeyStream(key, iv, length)).toEqual(
          web.aes256CtrKeyStream(key, iv, length),
        );
        expect(node.chacha20KeyStream(key, length)).toEqual(web.chacha20KeyStream(key, length));
      }),
      { numRuns: 100 },
    );
  });
});

/** HKDF-SHA256 expand by five (or more) node:crypto HMACs: the previous Node path. */
function opensslExpand(prk: Uint8Array, info: Uint8Array, length: number): Uint8Array {
  const out = new Uint8Array(length);
  let previous: Uint8Array = new Uint8Array(0);
  for (let i = 1, at = 0; at < length; i++, at += 32) {
    previous = createHmac('sha256', prk)
      .update(previous)
      .update(info)
      .update(Uint8Array.of(i))
      .digest();
    out.set(previous.subarray(0, Math.min(32, length - at)), at);
  }
  return out;
}

describe('the written-out HKDF expand and ChaCha20', () => {
  it('HKDF expand equals noble and OpenSSL, any key, info and length (property)', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 100 }),
        fc.uint8Array({ maxLength: 200 }),
        fc.integer({ min: 0, max: 1000 }),
        (prk, info, length) => {
          const ours = web.hkdfExpandSha256(prk, info, length);
          // noble refuses a PRK shorter than the hash; OpenSSL's HMAC takes any key.
          if (prk.length >= 32) expect(ours).toEqual(expand(sha256, prk, info, length));
          expect(ours).toEqual(opensslExpand(prk, info, length));
        },
      ),
      { numRuns: 200 },
    );
  });
  it('HKDF expand: RFC 5869 test case 1, and the Sphinx lengths', () => {
    const prk = hexToBytes('077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5');
    const info = hexToBytes('f0f1f2f3f4f5f6f7f8f9');
    expect(web.hkdfExpandSha256(prk, info, 42)).toEqual(
      hexToBytes(
        '3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865',
      ),
    );
    const kdfInfo = new TextEncoder().encode('katzenpost-kdf-v0-hkdf-sha256');
    expect(web.hkdfExpandSha256(prk, kdfInfo, 160)).toEqual(expand(sha256, prk, kdfInfo, 160));
    expect(() => web.hkdfExpandSha256(prk, info, 255 * 32 + 1)).toThrow(RangeError);
  });
  it('ChaCha20 equals noble and OpenSSL (property), and RFC 8439 §2.4.2 keystream', () => {
    fc.assert(
      fc.property(bytes(32), fc.integer({ min: 0, max: 700 }), (key, length) => {
        const ours = web.chacha20KeyStream(key, length);
        expect(ours).toEqual(chacha20(key, new Uint8Array(12), new Uint8Array(length)));
        expect(ours).toEqual(
          new Uint8Array(
            createCipheriv('chacha20', key, new Uint8Array(16)).update(new Uint8Array(length)),
          ),
        );
      }),
      { numRuns: 100 },
    );
    // RFC 8439 §2.3.2 uses a nonce; with the zero nonce and counter the keystream of the
    // all-zero key is the well-known 76b8e0ad… (RFC 8439 A.1 test vector #1).
    expect(web.chacha20KeyStream(new Uint8Array(32), 32)).toEqual(
      hexToBytes('76b8e0ada0f13d90405d6ae55386bd28bdd219b8a08ded1aa836efcc8b770dc7'),
    );
    expect(() => web.chacha20KeyStream(new Uint8Array(31), 32)).toThrow(RangeError);
  });
});
