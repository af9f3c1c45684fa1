/**
 * The strict RLP reading and writing that envelopes need (specs/whisper-v6 SPEC §3.2–§3.3):
 * item headers with geth's canonical-size rules, canonical unsigned integers, byte strings.
 * General-purpose RLP libraries either accept non-canonical forms geth refuses or do not say
 * which rule failed, and this path is hot (every received envelope goes through it).
 */
import { EnvelopeDecodeError, type EnvelopeField } from './errors.js';

/** The kind of an RLP item. */
export const ItemKind = { Byte: 0, String: 1, List: 2 } as const;
export type ItemKind = (typeof ItemKind)[keyof typeof ItemKind];

/**
 * The item last read by `readHeader`. One mutable instance is reused: decoding allocates
 * nothing per item.
 */
export interface ItemHeader {
  kind: ItemKind;
  /** Content start (for Byte: the byte's own position). */
  start: number;
  /** Content length (for Byte: 1). */
  size: number;
  /** Position after the item. */
  end: number;
}

function fail(
  code: 'truncated' | 'non-canonical-size',
  message: string,
  field?: EnvelopeField,
): never {
  throw new EnvelopeDecodeError(code, message, field ? { field } : {});
}

/**
 * Reads the header of the item at `pos` inside the scope ending at `limit` (SPEC §3.3 H1–H3).
 *
 * @throws EnvelopeDecodeError 'truncated' or 'non-canonical-size'
 */
export function readHeader(
  bytes: Uint8Array,
  pos: number,
  limit: number,
  out: ItemHeader,
  field?: EnvelopeField,
): ItemHeader {
  if (pos >= limit) fail('truncated', 'item header beyond the end of its scope', field);
  const b = bytes[pos]!;
  let start: number;
  let size: number;
  if (b < 0x80) {
    out.kind = ItemKind.Byte;
    out.start = pos;
    out.size = 1;
    out.end = pos + 1;
    return out;
  }
  if (b < 0xb8) {
    out.kind = ItemKind.String;
    start = pos + 1;
    size = b - 0x80;
  } else if (b < 0xc0) {
    out.kind = ItemKind.String;
    start = pos + 1 + (b - 0xb7);
    size = readLongSize(bytes, pos, limit, b - 0xb7, field);
  } else if (b < 0xf8) {
    out.kind = ItemKind.List;
    start = pos + 1;
    size = b - 0xc0;
  } else {
    out.kind = ItemKind.List;
    start = pos + 1 + (b - 0xf7);
    size = readLongSize(bytes, pos, limit, b - 0xf7, field);
  }
  if (size > limit - start) fail('truncated', 'item larger than its scope', field);
  out.start = start;
  out.size = size;
  out.end = start + size;
  return out;
}

/** The size of a long-form item at `pos`, whose content starts at pos + 1 + lengthOfLength. */
function readLongSize(
  bytes: Uint8Array,
  pos: number,
  limit: number,
  lengthOfLength: number,
  field: EnvelopeField | undefined,
): number {
  const start = pos + 1 + lengthOfLength;
  if (start > limit) fail('truncated', 'length bytes beyond the end of the scope', field);
  if (lengthOfLength > 1 && bytes[pos + 1] === 0) {
    fail('non-canonical-size', 'long-form length with a leading zero byte', field);
  }
  let size = 0;
  for (let i = pos + 1; i < start; i++) {
    // Beyond 2^53 any length exceeds every scope: saturate and let the scope check fail.
    size = size * 256 + bytes[i]!;
  }
  if (size < 56) fail('non-canonical-size', 'long-form length below 56', field);
  return size;
}

/**
 * Reads a canonical unsigned integer of at most `maxBytes` bytes at `pos` (SPEC §3.3 I1–I5),
 * as a number (maxBytes ≤ 6) via `out`. Returns the value; `out.end` is the next position.
 *
 * @throws EnvelopeDecodeError with the rule's code and `field`
 */
export function readUint32(
  bytes: Uint8Array,
  pos: number,
  limit: number,
  out: ItemHeader,
  field: EnvelopeField,
): number {
  readUintHeader(bytes, pos, limit, out, 4, field);
  let value = 0;
  for (let i = out.start; i < out.end; i++) value = value * 256 + bytes[i]!;
  return value;
}

/**
 * Reads a canonical uint64 at `pos`, as a bigint.
 *
 * @throws EnvelopeDecodeError with the rule's code and `field`
 */
export function readUint64(
  bytes: Uint8Array,
  pos: number,
  limit: number,
  out: ItemHeader,
  field: EnvelopeField,
): bigint {
  readUintHeader(bytes, pos, limit, out, 8, field);
  // Two 32-bit halves keep the common case out of per-byte bigint arithmetic.
  let high = 0;
  let low = 0;
  for (let i = out.start; i < out.end; i++) {
    high = high * 256 + Math.floor(low / 0x1000000);
    low = ((low & 0xffffff) * 256 + bytes[i]!) >>> 0;
  }
  return high === 0 ? BigInt(low) : (BigInt(high) << 32n) | BigInt(low);
}

function readUintHeader(
  bytes: Uint8Array,
  pos: number,
  limit: number,
  out: ItemHeader,
  maxBytes: number,
  field: EnvelopeField,
): void {
  if (pos >= limit)
    throw new EnvelopeDecodeError('missing-field', `${field} is missing`, { field });
  readHeader(bytes, pos, limit, out, field);
  switch (out.kind) {
    case ItemKind.Byte:
      if (bytes[pos] === 0) {
        throw new EnvelopeDecodeError('non-canonical-integer', `${field}: zero written as 0x00`, {
          field,
        });
      }
      return;
    case ItemKind.List:
      throw new EnvelopeDecodeError('integer-type', `${field} must be an integer, not a list`, {
        field,
      });
    default:
      if (out.size > maxBytes) {
        throw new EnvelopeDecodeError('integer-overflow', `${field} wider than ${maxBytes} bytes`, {
          field,
        });
      }
      if (out.size > 1 && bytes[out.start] === 0) {
        throw new EnvelopeDecodeError('non-canonical-integer', `${field} has a leading zero byte`, {
          field,
        });
      }
      if (out.size === 1 && bytes[out.start]! < 0x80) {
        throw new EnvelopeDecodeError(
          'non-canonical-size',
          `${field}: a byte below 0x80 must stand alone`,
          {
            field,
          },
        );
      }
  }
}

/** Number of bytes of a header for content of `size` bytes. */
export function headerLength(size: number): number {
  if (size < 56) return 1;
  let n = 1;
  for (let s = size; s >= 256; s = Math.floor(s / 256)) n++;
  return 1 + n;
}

/**
 * Writes a string (offset 0x80) or list (offset 0xc0) header at `pos`; returns the next
 * position.
 */
export function writeHeader(
  out: Uint8Array,
  pos: number,
  size: number,
  offset: 0x80 | 0xc0,
): number {
  if (size < 56) {
    out[pos] = offset + size;
    return pos + 1;
  }
  const n = headerLength(size) - 1;
  out[pos] = offset + 55 + n;
  for (let i = n, s = size; i >= 1; i--, s = Math.floor(s / 256)) out[pos + i] = s % 256;
  return pos + 1 + n;
}

/** Encoded length of a canonical unsigned integer below 2^53. */
export function uintLength(value: number): number {
  if (value < 0x80) return 1;
  let n = 0;
  for (let v = value; v > 0; v = Math.floor(v / 256)) n++;
  return 1 + n;
}

/** Writes a canonical unsigned integer below 2^53 at `pos`; returns the next position. */
export function writeUint(out: Uint8Array, pos: number, value: number): number {
  if (value === 0) {
    out[pos] = 0x80;
    return pos + 1;
  }
  if (value < 0x80) {
    out[pos] = value;
    return pos + 1;
  }
  const n = uintLength(value) - 1;
  out[pos] = 0x80 + n;
  for (let i = n, v = value; i >= 1; i--, v = Math.floor(v / 256)) out[pos + i] = v % 256;
  return pos + 1 + n;
}

/** Encoded length of a canonical uint64 given as a bigint (`encodeUint64(value).length`). */
export function uint64Length(value: bigint): number {
  if (value <= 0xffffffffn) return uintLength(Number(value));
  let bytes = 0;
  for (let v = value; v > 0n; v >>= 8n) bytes++;
  return 1 + bytes;
}

/** The canonical encoding of a uint64 given as a bigint. */
export function encodeUint64(value: bigint): Uint8Array {
  if (value <= 0xffffffffn) {
    // Nonces are mostly small: number arithmetic is far cheaper than bigint here.
    const small = Number(value);
    const out = new Uint8Array(uintLength(small));
    writeUint(out, 0, small);
    return out;
  }
  const bytes: number[] = [];
  for (let v = value; v > 0n; v >>= 8n) bytes.unshift(Number(v & 0xffn));
  return Uint8Array.of(0x80 + bytes.length, ...bytes);
}

/** Encoded length of a byte string. */
export function bytesLength(data: Uint8Array): number {
  if (data.length === 1 && data[0]! < 0x80) return 1;
  return headerLength(data.length) + data.length;
}

/** Writes a byte string at `pos`; returns the next position. */
export function writeBytes(out: Uint8Array, pos: number, data: Uint8Array): number {
  if (data.length === 1 && data[0]! < 0x80) {
    out[pos] = data[0]!;
    return pos + 1;
  }
  const at = writeHeader(out, pos, data.length, 0x80);
  out.set(data, at);
  return at + data.length;
}
