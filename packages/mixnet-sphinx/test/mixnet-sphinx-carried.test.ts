/**
 * specs/mixnet-sphinx/SPEC.md §13.5: what a Loopix message carries for a Whisper node — kind,
 * flags, an optional SURB, the body — and the mixnet address as text. Both directions, and
 * what does not decode is refused with a typed error.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeCarried,
  encodeCarried,
  formatMixnetAddress,
  geometry,
  maxCarriedBody,
  parseMixnetAddress,
} from '../src/index.js';

const GEO = geometry(5, 2048);

describe('§13.5 carried messages', () => {
  it('encodes and decodes every kind, with and without a SURB', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('deliver' as const, 'inject' as const),
        fc.boolean(),
        fc.uint8Array({ maxLength: maxCarriedBody(GEO, true) }),
        (kind, withSurb, body) => {
          const surb = withSurb
            ? { surb: new Uint8Array(GEO.surbLength).fill(9), surbEpoch: 2_993_650 }
            : {};
          const bytes = encodeCarried(GEO, { kind, body, ...surb });
          expect(bytes[0]).toBe(kind === 'deliver' ? 1 : 2);
          expect(bytes[1]).toBe(withSurb ? 1 : 0);
          expect(decodeCarried(GEO, bytes)).toEqual({ kind, body, ...surb });
        },
      ),
    );
  });

  it('fills a packet: the largest body fits the Loopix message exactly', () => {
    for (const withSurb of [false, true]) {
      const most = maxCarriedBody(GEO, withSurb);
      const surb = withSurb ? { surb: new Uint8Array(GEO.surbLength), surbEpoch: 1 } : {};
      expect(
        encodeCarried(GEO, { kind: 'deliver', body: new Uint8Array(most), ...surb }).length,
      ).toBe(GEO.userPayloadLength - 4);
      expect(() =>
        encodeCarried(GEO, { kind: 'deliver', body: new Uint8Array(most + 1), ...surb }),
      ).toThrow(RangeError);
    }
    expect(() =>
      encodeCarried(GEO, {
        kind: 'deliver',
        body: Uint8Array.of(1),
        surb: new Uint8Array(3),
        surbEpoch: 1,
      }),
    ).toThrow(RangeError);
    // A SURB without its epoch: the recipient could not tell until when it works.
    expect(() =>
      encodeCarried(GEO, {
        kind: 'deliver',
        body: Uint8Array.of(1),
        surb: new Uint8Array(GEO.surbLength),
      }),
    ).toThrow(RangeError);
    expect(maxCarriedBody(GEO, false)).toBe(2042);
    expect(maxCarriedBody(GEO, true)).toBe(2042 - 4 - GEO.surbLength);
  });

  it('refuses an unknown kind, an unknown flag and a message cut short', () => {
    const bad = (bytes: number[]) => () => decodeCarried(GEO, Uint8Array.from(bytes));
    for (const bytes of [[], [1], [0, 0], [3, 0, 1], [1, 2, 1], [1, 1, 5, 5]])
      expect(bad(bytes)).toThrow(expect.objectContaining({ code: 'bad-payload' }));
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 3000 }), (bytes) => {
        try {
          decodeCarried(GEO, bytes);
        } catch (error) {
          expect(error).toMatchObject({ code: 'bad-payload' });
        }
      }),
    );
  });
});

describe('§13.5 mixnet addresses', () => {
  it('reads what it writes, in lowercase, and refuses other text', () => {
    const address = { id: new Uint8Array(32).fill(0xab), gateway: new Uint8Array(32).fill(1) };
    const text = formatMixnetAddress(address);
    expect(text).toBe(`${'ab'.repeat(32)}@${'01'.repeat(32)}`);
    expect(parseMixnetAddress(text)).toEqual(address);
    expect(parseMixnetAddress(text.toUpperCase())).toEqual(address);
    for (const other of [
      '',
      'ab@cd',
      `${'ab'.repeat(32)}@${'01'.repeat(31)}`,
      `${'zz'.repeat(32)}@${'01'.repeat(32)}`,
    ])
      expect(() => parseMixnetAddress(other)).toThrow(
        expect.objectContaining({ code: 'bad-address' }),
      );
    expect(() => formatMixnetAddress({ id: new Uint8Array(31), gateway: address.gateway })).toThrow(
      RangeError,
    );
  });
});
