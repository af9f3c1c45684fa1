/**
 * Property tests of the codec (SPEC §3.2–3.3): round trips, agreement with an independent RLP
 * encoder, canonical uniqueness, and that hostile bytes only ever raise typed errors.
 */
import { RLP } from '@ethereumjs/rlp';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeEnvelope,
  decodeMessagesPacket,
  type Envelope,
  EnvelopeDecodeError,
  encodeEnvelope,
  encodeMessagesPacket,
  envelopeHash,
  envelopeHashAndPow,
  envelopePow,
} from '../src/index.js';

const envelopeArb: fc.Arbitrary<Envelope> = fc.record({
  expiry: fc.oneof(
    fc.constantFrom(0, 1, 0x7f, 0x80, 0xff, 0x100, 0xffffffff),
    fc.nat({ max: 0xffffffff }),
  ),
  ttl: fc.oneof(fc.constantFrom(0, 1, 0x7f, 0x80, 0xffffffff), fc.nat({ max: 0xffffffff })),
  topic: fc.uint8Array({ minLength: 4, maxLength: 4 }),
  data: fc.oneof(
    fc.uint8Array({ maxLength: 2 }),
    fc.uint8Array({ maxLength: 300 }),
    fc.integer({ min: 50, max: 70 }).map((n) => new Uint8Array(n).fill(0x80)),
  ),
  nonce: fc.oneof(
    fc.constantFrom(0n, 0x7fn, 0x80n, (1n << 64n) - 1n),
    fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
  ),
});

const uintBytes = (value: bigint) => {
  const out: number[] = [];
  for (let v = value; v > 0n; v >>= 8n) out.unshift(Number(v & 0xffn));
  return Uint8Array.from(out);
};

function expectOnlyTyped(run: () => unknown): void {
  try {
    run();
  } catch (error) {
    if (!(error instanceof EnvelopeDecodeError)) throw error;
    expect(typeof error.code).toBe('string');
  }
}

describe('envelope codec properties', () => {
  it('decode(encode(e)) = e', () => {
    fc.assert(
      fc.property(envelopeArb, (e) => {
        expect(decodeEnvelope(encodeEnvelope(e))).toEqual(e);
      }),
      { numRuns: 2000 },
    );
  });

  it('encodes exactly as an independent RLP encoder (@ethereumjs/rlp)', () => {
    fc.assert(
      fc.property(envelopeArb, (e) => {
        const reference = RLP.encode([
          uintBytes(BigInt(e.expiry)),
          uintBytes(BigInt(e.ttl)),
          e.topic,
          e.data,
          uintBytes(e.nonce),
        ]);
        expect(encodeEnvelope(e)).toEqual(reference);
      }),
      { numRuns: 2000 },
    );
  });

  it('accepts only canonical bytes: whatever decodes re-encodes to the same bytes', () => {
    fc.assert(
      fc.property(envelopeArb, fc.nat(), fc.nat({ max: 255 }), (e, at, value) => {
        const bytes = encodeEnvelope(e);
        const mutated = bytes.slice();
        mutated[at % mutated.length] = value;
        try {
          expect(encodeEnvelope(decodeEnvelope(mutated))).toEqual(mutated);
        } catch (error) {
          if (!(error instanceof EnvelopeDecodeError)) throw error;
        }
      }),
      { numRuns: 5000 },
    );
  });

  it('raises only EnvelopeDecodeError on random, truncated or extended bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        expectOnlyTyped(() => decodeEnvelope(bytes));
        expectOnlyTyped(() => decodeMessagesPacket(bytes));
      }),
      { numRuns: 5000 },
    );
    fc.assert(
      fc.property(envelopeArb, fc.nat(), fc.uint8Array({ maxLength: 4 }), (e, cut, extra) => {
        const bytes = encodeEnvelope(e);
        expectOnlyTyped(() => decodeEnvelope(bytes.subarray(0, cut % bytes.length)));
        expectOnlyTyped(() => decodeEnvelope(Uint8Array.of(...bytes, ...extra)));
        const packet = encodeMessagesPacket([e, e]);
        expectOnlyTyped(() => decodeMessagesPacket(packet.subarray(0, cut % packet.length)));
      }),
      { numRuns: 2000 },
    );
  });

  it('computes hash and PoW together as separately, from the envelope or its encoding', () => {
    fc.assert(
      fc.property(envelopeArb, fc.nat({ max: 100 }), (e, diff) => {
        const expected = { hash: envelopeHash(e), pow: envelopePow(e, diff) };
        expect(envelopeHashAndPow(e, diff)).toEqual(expected);
        expect(envelopeHashAndPow(e, diff, encodeEnvelope(e))).toEqual(expected);
      }),
      { numRuns: 400 },
    );
  });

  it('round-trips packets', () => {
    fc.assert(
      fc.property(fc.array(envelopeArb, { maxLength: 8 }), (envelopes) => {
        expect(decodeMessagesPacket(encodeMessagesPacket(envelopes))).toEqual(envelopes);
      }),
      { numRuns: 300 },
    );
  });

  it('refuses huge declared lengths without allocating them', () => {
    // A list header claiming 2^56 bytes: refused as truncated, not attempted.
    const bytes = Uint8Array.of(0xff, 1, 0, 0, 0, 0, 0, 0, 0, 0xc0);
    expect(() => decodeEnvelope(bytes)).toThrow(expect.objectContaining({ code: 'truncated' }));
    expect(() => decodeMessagesPacket(bytes)).toThrow(
      expect.objectContaining({ code: 'truncated' }),
    );
  });
});
