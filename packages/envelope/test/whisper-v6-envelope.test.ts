/**
 * specs/whisper-v6 SPEC §3: envelope-rlp.json (both directions), the rlp-decode cases of
 * invalid.json, and seal-pow.json through the envelope API; one test per case.
 */
import {
  hex,
  type InvalidCase,
  loadVectors,
  type EnvelopeRlpCase as RlpCase,
  type SealPowCase as SealCase,
  toHex,
  type VectorEnvelope,
} from '@hush/test-support';
import { describe, expect, it } from 'vitest';
import {
  createEnvelope,
  decodeEnvelope,
  decodeMessagesPacket,
  type Envelope,
  EnvelopeDecodeError,
  encodeEnvelope,
  encodeMessagesPacket,
  envelopeBloom,
  envelopeHash,
  envelopePow,
  envelopeSent,
  envelopeSize,
  isExpired,
  rlpWithoutNonce,
  sealEnvelope,
} from '../src/index.js';

const fromVector = (v: VectorEnvelope): Envelope =>
  createEnvelope({
    expiry: v.expiry,
    ttl: v.ttl,
    topic: hex(v.topic),
    data: hex(v.data),
    nonce: BigInt(v.nonce),
  });

describe('SPEC §3.2–3.5 encoding, decoding, hash, size, bloom (envelope-rlp.json)', () => {
  it.each(loadVectors<RlpCase>('envelope-rlp.json').cases)('$name', (c) => {
    const v = c.envelope;
    const envelope = fromVector(v);
    expect(toHex(encodeEnvelope(envelope))).toBe(v.rlp);
    expect(toHex(rlpWithoutNonce(envelope))).toBe(c.rlpWithoutNonce);
    const decoded = decodeEnvelope(hex(v.rlp));
    expect(decoded).toEqual(envelope);
    expect(toHex(envelopeHash(decoded))).toBe(v.hash);
    expect(envelopeSize(decoded)).toBe(v.size);
    expect(toHex(envelopeBloom(decoded))).toBe(v.bloom);
    expect(envelopePow(decoded)).toBe(v.pow ?? Number.POSITIVE_INFINITY);
  });
});

const invalid = loadVectors<InvalidCase>('invalid.json').cases.filter(
  (c) => c.layer === 'rlp-decode',
);

/** In a packet the stray byte of "trailing byte" is a second, non-list element (SPEC §3.3). */
const packetReason = (c: InvalidCase) => (c.reason === 'trailing-data' ? 'not-a-list' : c.reason);

describe('SPEC §3.3 strict decoding refuses (invalid.json, layer rlp-decode)', () => {
  it.each(invalid)('$name → $reason', (c) => {
    let thrown: unknown;
    try {
      decodeEnvelope(hex(c.rlp!));
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(EnvelopeDecodeError);
    expect((thrown as EnvelopeDecodeError).code).toBe(c.reason);

    const packet = hex(c.messagesPacket!);
    if (c.gethPacketError === undefined) {
      expect(decodeMessagesPacket(packet)).toEqual([]);
    } else {
      expect(() => decodeMessagesPacket(packet)).toThrow(
        expect.objectContaining({ code: packetReason(c), index: expect.any(Number) }),
      );
    }
  });
});

describe('SPEC §4.4–4.5 sealing an envelope (seal-pow.json)', () => {
  it.each(loadVectors<SealCase>('seal-pow.json').cases)('$name', async (c) => {
    const sealed = fromVector(c.envelope);
    const unsealed = { ...sealed, expiry: c.unsealedExpiry, nonce: 0n };
    if (c.mode === 'target' || c.mode === 'none') {
      const result = await sealEnvelope(unsealed, {
        pow: c.mode === 'none' ? 0 : c.powTarget,
        workTime: c.workTime,
      });
      expect(result).toEqual(sealed);
    } else {
      let ticks = 0;
      const result = await sealEnvelope(unsealed, {
        pow: c.powTarget,
        workTime: c.workTime,
        chunkSize: 1024,
        now: () => (ticks++ < 4 ? 0 : 1e12),
      });
      expect(result.expiry).toBe(c.envelope.expiry);
      expect(result.nonce).not.toBe(0n);
      expect(envelopePow(result)).toBeGreaterThan(0);
    }
  });
});

describe('SPEC §3.6–3.7 sent time and messages packets', () => {
  const cases = loadVectors<RlpCase>('envelope-rlp.json').cases;

  it('round-trips a packet of every vector envelope, and the empty packet', () => {
    const envelopes = cases.map((c) => fromVector(c.envelope));
    const packet = encodeMessagesPacket(envelopes);
    expect(decodeMessagesPacket(packet)).toEqual(envelopes);
    expect(encodeMessagesPacket([])).toEqual(Uint8Array.of(0xc0));
    expect(decodeMessagesPacket(Uint8Array.of(0xc0))).toEqual([]);
  });

  it('ignores bytes after the packet list, as geth does', () => {
    const packet = encodeMessagesPacket([fromVector(cases[0]!.envelope)]);
    const withTrailer = Uint8Array.of(...packet, 0x01, 0x02);
    expect(decodeMessagesPacket(withTrailer)).toHaveLength(1);
  });

  it('names the offending envelope of a packet', () => {
    const good = encodeEnvelope(fromVector(cases[0]!.envelope));
    const bad = hex('0xc58080c08080');
    const body = Uint8Array.of(...good, ...good, ...bad);
    const packet = Uint8Array.of(0xc0 + body.length, ...body);
    expect(() => decodeMessagesPacket(packet)).toThrow(
      expect.objectContaining({ code: 'topic-type', index: 2, field: 'topic' }),
    );
  });

  it('computes sent time with uint32 wrap and expiry', () => {
    const base = fromVector(cases[0]!.envelope);
    expect(envelopeSent({ ...base, expiry: 0, ttl: 50 })).toBe(4294967246);
    expect(envelopeSent({ ...base, expiry: 100, ttl: 50 })).toBe(50);
    expect(isExpired({ ...base, expiry: 100 }, 101)).toBe(true);
    expect(isExpired({ ...base, expiry: 100 }, 100)).toBe(false);
  });
});

describe('argument errors name the field', () => {
  const base = { expiry: 1, ttl: 1, topic: new Uint8Array(4), data: new Uint8Array(0) };
  it.each([
    [{ ...base, expiry: -1 }, /expiry/],
    [{ ...base, ttl: 2 ** 32 }, /ttl/],
    [{ ...base, topic: new Uint8Array(5) }, /topic/],
    [{ ...base, data: 'x' }, /data/],
    [{ ...base, nonce: 1 }, /nonce/],
    [{ ...base, nonce: 1n << 64n }, /nonce/],
  ])('%#', (fields, pattern) => {
    expect(() => createEnvelope(fields as never)).toThrow(pattern);
    expect(() => encodeEnvelope({ nonce: 0n, ...fields } as never)).toThrow(pattern);
  });

  it('refuses non-byte input with a TypeError', () => {
    expect(() => decodeEnvelope('0x00' as never)).toThrow(TypeError);
    expect(() => decodeMessagesPacket(null as never)).toThrow(TypeError);
  });

  it('refuses a non-finite pow option', async () => {
    await expect(
      sealEnvelope(createEnvelope(base), { pow: Number.NaN, workTime: 1 }),
    ).rejects.toThrow(/pow/);
  });
});
