/**
 * specs/inbox-dht/SPEC.md §4: the inbox key, epochs, salts and locations; the descriptor's
 * encoding (round trips), its strict decoding ('malformed') and its signature
 * ('bad-signature').
 */
import { encodeBytes, encodeList, encodeUint } from '@hush/rlp';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { sha256 } from '@noble/hashes/sha2.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type DescriptorFields,
  decodeDescriptor,
  descriptorLocation,
  EPOCH_MS,
  encodeDescriptor,
  epochOf,
  epochSalt,
  generateInboxKey,
  inboxKeyFromSecret,
  inboxLocation,
  inboxLocationsAround,
  saltEpoch,
  signDescriptor,
  verifyDescriptor,
} from '../src/index.js';

const encryptionKey = secp256k1.getPublicKey(secp256k1.utils.randomSecretKey(), false);
const fields = (over: Partial<DescriptorFields> = {}): DescriptorFields => ({
  epoch: 20_000,
  seq: 1n,
  minPow: 0.2,
  maxSize: 4096,
  maxTtl: 86_400,
  encryptionKey,
  ...over,
});

describe('inbox location (§4.1–§4.2)', () => {
  it('salts an epoch as 4 bytes big-endian, and reads it back', () => {
    expect(epochSalt(0x01020304)).toEqual(Uint8Array.of(1, 2, 3, 4));
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), (epoch) => {
        expect(saltEpoch(epochSalt(epoch))).toBe(epoch);
      }),
    );
    expect(() => saltEpoch(new Uint8Array(3))).toThrow(
      expect.objectContaining({ code: 'malformed' }),
    );
    expect(() => epochSalt(-1)).toThrow(RangeError);
  });

  it('is SHA-256(inbox public key ‖ salt), one location per key and epoch', () => {
    const key = generateInboxKey();
    expect(inboxKeyFromSecret(key.secretKey).publicKey).toEqual(key.publicKey);
    const location = inboxLocation(key.publicKey, 20_000);
    expect(location).toEqual(sha256(Uint8Array.from([...key.publicKey, ...epochSalt(20_000)])));
    expect(location).toHaveLength(32);
    expect(inboxLocation(key.publicKey, 20_001)).not.toEqual(location);
    expect(inboxLocation(generateInboxKey().publicKey, 20_000)).not.toEqual(location);
  });

  it('gives the previous, current and next epochs around a time', () => {
    const key = generateInboxKey().publicKey;
    const at = 20_000 * EPOCH_MS + 5;
    expect(epochOf(at)).toBe(20_000);
    expect(epochOf(20_000 * EPOCH_MS - 1)).toBe(19_999);
    const around = inboxLocationsAround(key, at);
    expect(around.epoch).toBe(20_000);
    expect(around.previous).toEqual(inboxLocation(key, 19_999));
    expect(around.current).toEqual(inboxLocation(key, 20_000));
    expect(around.next).toEqual(inboxLocation(key, 20_001));
    expect(inboxLocationsAround(key, 0).previous).toBeUndefined();
  });
});

describe('descriptor (§4.3–§4.5)', () => {
  const key = generateInboxKey();

  it('round-trips every field and verifies (property)', () => {
    fc.assert(
      fc.property(
        fc.record({
          epoch: fc.integer({ min: 0, max: 0xffffffff }),
          seq: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
          minPow: fc.double({ min: 0, max: 1e12, noNaN: true }).filter((x) => !Object.is(x, -0)),
          maxSize: fc.integer({ min: 1, max: 0xffffffff }),
          maxTtl: fc.integer({ min: 1, max: 0xffffffff }),
        }),
        (f) => {
          const d = signDescriptor({ ...f, encryptionKey }, key.secretKey);
          const decoded = decodeDescriptor(encodeDescriptor(d));
          expect(decoded).toEqual(d);
          expect(Object.is(decoded.minPow, f.minPow)).toBe(true);
          verifyDescriptor(decoded);
          expect(descriptorLocation(decoded)).toEqual(inboxLocation(key.publicKey, f.epoch));
        },
      ),
      { numRuns: 50 },
    );
  });

  it("refuses a forged or altered descriptor with 'bad-signature'", () => {
    const d = signDescriptor(fields(), key.secretKey);
    const badSig = { code: 'bad-signature' };
    expect(() => verifyDescriptor({ ...d, seq: 2n })).toThrow(expect.objectContaining(badSig));
    expect(() => verifyDescriptor({ ...d, minPow: 0.1 })).toThrow(expect.objectContaining(badSig));
    expect(() => verifyDescriptor({ ...d, epoch: d.epoch + 1 })).toThrow(
      expect.objectContaining(badSig),
    );
    // Signed by another key but claiming this one.
    const other = signDescriptor(fields(), generateInboxKey().secretKey);
    expect(() => verifyDescriptor({ ...other, inboxKey: d.inboxKey })).toThrow(
      expect.objectContaining(badSig),
    );
    const flipped = d.signature.slice();
    flipped[5]! ^= 1;
    expect(() => verifyDescriptor({ ...d, signature: flipped })).toThrow(
      expect.objectContaining(badSig),
    );
  });

  it("decodes strictly: every other form is 'malformed'", () => {
    const d = signDescriptor(fields(), key.secretKey);
    const good = encodeDescriptor(d);
    const salt = epochSalt(d.epoch);
    const pow = new Uint8Array(8);
    new DataView(pow.buffer).setFloat64(0, d.minPow);
    const parts = () => [
      encodeBytes(d.inboxKey),
      encodeBytes(salt),
      encodeUint(d.seq),
      encodeBytes(pow),
      encodeUint(d.maxSize),
      encodeUint(d.maxTtl),
      encodeBytes(d.encryptionKey),
      encodeBytes(d.signature),
    ];
    expect(encodeList(parts())).toEqual(good);
    const with_ = (i: number, item: Uint8Array) => {
      const p = parts();
      p[i] = item;
      return encodeList(p);
    };
    const float = (x: number) => {
      const b = new Uint8Array(8);
      new DataView(b.buffer).setFloat64(0, x);
      return encodeBytes(b);
    };
    const offCurve = encryptionKey.slice();
    offCurve[64]! ^= 1;
    const compressed = secp256k1.getPublicKey(secp256k1.utils.randomSecretKey(), true);
    const bad: Uint8Array[] = [
      new Uint8Array(0),
      Uint8Array.of(...good, 0),
      good.subarray(0, good.length - 1),
      encodeList(parts().slice(0, 7)),
      encodeList([...parts(), encodeUint(1)]),
      with_(0, encodeBytes(new Uint8Array(31))),
      with_(1, encodeBytes(new Uint8Array(3))),
      with_(2, Uint8Array.of(0x81, 0x01)), // non-canonical integer 1
      with_(2, encodeBytes(new Uint8Array(9).fill(1))), // over uint64
      with_(3, float(Number.NaN)),
      with_(3, float(Number.POSITIVE_INFINITY)),
      with_(3, float(-1)),
      with_(3, float(-0)),
      with_(3, encodeBytes(new Uint8Array(4))),
      with_(4, encodeUint(0)),
      with_(5, encodeUint(0)),
      with_(4, encodeUint(2 ** 32)),
      with_(6, encodeBytes(offCurve)),
      with_(6, encodeBytes(compressed)),
      with_(6, encodeBytes(new Uint8Array(65))),
      with_(7, encodeBytes(new Uint8Array(63))),
      with_(7, encodeList([])),
      new Uint8Array(600),
    ];
    for (const bytes of bad)
      expect(() => decodeDescriptor(bytes), `${Buffer.from(bytes).toString('hex')}`).toThrow(
        expect.objectContaining({ name: 'DhtError', code: 'malformed' }),
      );
  });

  it('refuses to sign fields out of range', () => {
    for (const over of [
      { seq: -1n },
      { seq: 1n << 64n },
      { minPow: Number.NaN },
      { minPow: -1 },
      { maxSize: 0 },
      { maxTtl: 1.5 },
      { epoch: -1 },
      { encryptionKey: new Uint8Array(65) },
    ])
      expect(() => signDescriptor(fields(over), key.secretKey)).toThrow(RangeError);
  });
});
