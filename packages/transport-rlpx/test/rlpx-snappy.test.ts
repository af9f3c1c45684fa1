/**
 * specs/rlpx SPEC §5.5: snappy as geth decodes it (Go's snappy.Decode). What snappyjs
 * compresses decodes back; every hostile block is refused with a typed error and never hangs:
 * among them the block on which snappyjs's own decoder loops forever, and blocks that decode
 * to fewer bytes than they declare.
 */
import { randomBytes } from '@hush/crypto';
import { describe, expect, it } from 'vitest';
import { RlpxError, snappyCompress, snappyUncompress } from '../src/index.js';

const hex = (s: string) => Uint8Array.from(Buffer.from(s, 'hex'));

function refusal(block: Uint8Array, max = 1 << 20): string | undefined {
  try {
    snappyUncompress(block, max);
    return undefined;
  } catch (error) {
    expect(error).toBeInstanceOf(RlpxError);
    return (error as RlpxError).code;
  }
}

describe('snappy, strict', () => {
  it('decodes what is compressed: random, repetitive and empty payloads', () => {
    const text = new TextEncoder().encode('whisper '.repeat(5000));
    const mixed = new Uint8Array(70_000).map((_, i) => (i % 97 < 50 ? i & 0xff : 7));
    for (const payload of [
      new Uint8Array(0),
      randomBytes(1),
      randomBytes(300),
      randomBytes(100_000),
      text,
      mixed,
    ]) {
      expect(Buffer.from(snappyUncompress(snappyCompress(payload), 1 << 20))).toEqual(
        Buffer.from(payload),
      );
    }
  });

  it('refuses the block on which snappyjs never returns', () => {
    expect(refusal(hex('1bfc9e5165ce6ef3a78a542550912f'))).toBe('bad-message');
  });

  it('refuses a block that decodes to less than it declares (0a01: geth says corrupt)', () => {
    expect(refusal(hex('0a01'))).toBe('bad-message');
    expect(refusal(hex('0a0c61'))).toBe('bad-message');
  });

  it('refuses copies before the start, literals past the end, and lengths over the limit', () => {
    expect(refusal(hex('0a0100'))).toBe('bad-message'); // copy1 with offset 0
    expect(refusal(hex('0502410d02ff'))).toBe('bad-message'); // copy2 from before the output
    expect(refusal(hex('020c61'))).toBe('bad-message'); // a 4-byte literal into 2 bytes
    expect(refusal(hex('ffffffff0f'), 4096)).toBe('frame-too-large');
    expect(refusal(hex('ffffffffff'))).toBe('bad-message'); // a length varint of 5 bytes, unended
    expect(refusal(new Uint8Array(0))).toBe('bad-message');
  });

  it('random blocks: each decodes or is refused as bad-message, never anything else', () => {
    let seed = 7;
    const next = () => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return seed >>> 24;
    };
    for (let i = 0; i < 20_000; i++) {
      const block = Uint8Array.from({ length: 1 + (next() % 40) }, next);
      const code = refusal(block, 4096);
      expect(code === undefined || code === 'bad-message' || code === 'frame-too-large').toBe(true);
    }
  });
});
