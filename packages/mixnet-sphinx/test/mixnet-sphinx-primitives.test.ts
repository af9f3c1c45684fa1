/**
 * specs/mixnet-sphinx/SPEC.md §4: the Node fast paths of the header primitives (node:crypto)
 * give exactly the browser path's results (noble), for any input.
 */
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
