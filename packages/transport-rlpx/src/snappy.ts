/**
 * Snappy block compression of devp2p messages (specs/rlpx SPEC §5.5): every message after
 * the hellos, when the other side's hello version is at least 5. A decoded length over the
 * limit is refused before anything is decompressed, as geth does with `snappy.DecodedLen`.
 * Compression is snappyjs's; decompression is ours, strict as Go's `snappy.Decode` (every
 * length and offset checked against input and output, the output exactly the length the block
 * declares): what a peer sends is hostile until it decodes, and snappyjs's decoder is not
 * (a 4-byte literal length goes negative and its loop never ends).
 */
import { createRequire } from 'node:module';

// snappyjs is CommonJS and ships no types: the one function this package calls.
const snappy = createRequire(import.meta.url)('snappyjs') as {
  compress(input: Uint8Array): Uint8Array;
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
  return decodeBlock(block, length);
}

function corrupt(why: string): never {
  throw new RlpxError('bad-message', `snappy: corrupt input (${why})`);
}

/** Go's snappy.Decode: the block after its length varint, into exactly `length` bytes. */
function decodeBlock(block: Uint8Array, length: number): Uint8Array {
  const out = new Uint8Array(length);
  let s = 0;
  while (block[s]! >= 0x80) s++;
  s++;
  let d = 0;
  while (s < block.length) {
    const tag = block[s]!;
    switch (tag & 3) {
      case 0: {
        let n = tag >>> 2;
        if (n < 60) s += 1;
        else {
          const bytes = n - 59;
          if (s + bytes >= block.length) corrupt('literal length past the input');
          n = 0;
          for (let i = bytes; i >= 1; i--) n = n * 256 + block[s + i]!;
          s += 1 + bytes;
        }
        n += 1;
        if (n > length - d || n > block.length - s) corrupt('literal past the end');
        out.set(block.subarray(s, s + n), d);
        d += n;
        s += n;
        continue;
      }
      case 1: {
        if (s + 2 > block.length) corrupt('copy past the input');
        const n = 4 + ((tag >>> 2) & 7);
        const offset = ((tag & 0xe0) << 3) | block[s + 1]!;
        s += 2;
        d = copy(out, d, offset, n, length);
        continue;
      }
      case 2: {
        if (s + 3 > block.length) corrupt('copy past the input');
        const n = 1 + (tag >>> 2);
        const offset = block[s + 1]! | (block[s + 2]! << 8);
        s += 3;
        d = copy(out, d, offset, n, length);
        continue;
      }
      default: {
        if (s + 5 > block.length) corrupt('copy past the input');
        const n = 1 + (tag >>> 2);
        const offset =
          block[s + 1]! +
          block[s + 2]! * 0x100 +
          block[s + 3]! * 0x10000 +
          block[s + 4]! * 0x1000000;
        s += 5;
        d = copy(out, d, offset, n, length);
      }
    }
  }
  if (d !== length) corrupt(`${d} bytes decoded, ${length} declared`);
  return out;
}

/** A back-reference: `n` bytes from `offset` back, overlapping allowed. */
function copy(out: Uint8Array, d: number, offset: number, n: number, length: number): number {
  if (offset === 0 || offset > d) corrupt('copy offset out of range');
  if (n > length - d) corrupt('copy past the end');
  if (offset >= n) out.copyWithin(d, d - offset, d - offset + n);
  else for (let i = 0; i < n; i++) out[d + i] = out[d + i - offset]!;
  return d + n;
}
