/**
 * Snappy block compression of devp2p messages (specs/rlpx SPEC §5.5): every message after
 * the hellos, when the other side's hello version is at least 5. A decoded length over the
 * limit is refused before anything is decompressed, as geth does with `snappy.DecodedLen`.
 */
import { createRequire } from 'node:module';

// snappyjs is CommonJS and ships no types: the two functions this package calls.
const snappy = createRequire(import.meta.url)('snappyjs') as {
  compress(input: Uint8Array): Uint8Array;
  uncompress(input: Uint8Array, maxLength?: number): Uint8Array;
};

import { RlpxError } from './errors.js';

/** The length a snappy block says it decodes to (its leading varint), or -1 if malformed. */
export function snappyDecodedLength(block: Uint8Array): number {
  let value = 0;
  for (let i = 0, shift = 0; i < 5 && i < block.length; i++, shift += 7) {
    const b = block[i]!;
    value += (b & 0x7f) * 2 ** shift;
    if (b < 0x80) return value <= 0xffffffff ? value : -1;
  }
  return -1;
}

/** Compresses one message payload. @throws nothing */
export function snappyCompress(payload: Uint8Array): Uint8Array {
  return snappy.compress(payload);
}

/**
 * Decompresses one message payload of at most `maxLength` bytes decoded.
 *
 * @throws RlpxError 'frame-too-large' or 'bad-message'
 */
export function snappyUncompress(block: Uint8Array, maxLength: number): Uint8Array {
  const length = snappyDecodedLength(block);
  if (length < 0) throw new RlpxError('bad-message', 'snappy: corrupt input');
  if (length > maxLength)
    throw new RlpxError('frame-too-large', `snappy: message of ${length} bytes decoded`);
  try {
    return snappy.uncompress(block, maxLength);
  } catch (error) {
    throw new RlpxError('bad-message', `snappy: ${(error as Error).message}`, { cause: error });
  }
}
