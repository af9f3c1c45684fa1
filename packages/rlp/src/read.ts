/**
 * Reading RLP items in place with geth's rules (specs/whisper-v6 SPEC §3.3): item headers
 * (H1–H3), canonical byte strings, and canonical unsigned integers (I1–I5). Every reader
 * writes the item it read into an `ItemHeader` the caller owns and reuses, so reading
 * allocates nothing per item; a hot decoder (every received envelope) walks its input with
 * these and one scratch header.
 */
import { RlpError, type RlpErrorCode } from './errors.js';

/** The kind of an RLP item. */
export const ItemKind = {
  /** A single byte below 0x80: its own encoding. */
  Byte: 0,
  /** A byte string with a header. */
  String: 1,
  /** A list. */
  List: 2,
} as const;
export type ItemKind = (typeof ItemKind)[keyof typeof ItemKind];

/** Where an item is. One mutable instance is rewritten by every read. */
export interface ItemHeader {
  kind: ItemKind;
  /** Content start (for Byte: the byte's own position). */
  start: number;
  /** Content length (for Byte: 1). */
  size: number;
  /** Position after the item. */
  end: number;
}

/** A fresh header to reuse across reads. */
export function itemHeader(): ItemHeader {
  return { kind: ItemKind.Byte, start: 0, size: 0, end: 0 };
}

function fail(code: RlpErrorCode, message: string, pos: number): never {
  throw new RlpError(code, `rlp: ${message}`, { offset: pos });
}

/**
 * Reads the header of the item at `pos` inside the scope that ends at `limit` (the input's
 * length, or the end of the enclosing list): SPEC §3.3 H1–H3.
 *
 * @returns `out`, describing the item
 * @throws RlpError 'truncated' (the header or the content passes `limit`, or `pos` is at it)
 *   or 'non-canonical-size' (a long-form length with a leading zero byte or below 56)
 */
export function readHeader(
  bytes: Uint8Array,
  pos: number,
  limit: number,
  out: ItemHeader,
): ItemHeader {
  if (pos >= limit) fail('truncated', 'item header beyond the end of its scope', pos);
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
    size = readLongSize(bytes, pos, limit, start);
  } else if (b < 0xf8) {
    out.kind = ItemKind.List;
    start = pos + 1;
    size = b - 0xc0;
  } else {
    out.kind = ItemKind.List;
    start = pos + 1 + (b - 0xf7);
    size = readLongSize(bytes, pos, limit, start);
  }
  if (size > limit - start) fail('truncated', 'item larger than its scope', pos);
  out.start = start;
  out.size = size;
  out.end = start + size;
  return out;
}

/** The size of the long-form item at `pos`, whose content starts at `start`. */
function readLongSize(bytes: Uint8Array, pos: number, limit: number, start: number): number {
  if (start > limit) fail('truncated', 'length bytes beyond the end of the scope', pos);
  if (start - pos > 2 && bytes[pos + 1] === 0) {
    fail('non-canonical-size', 'long-form length with a leading zero byte', pos);
  }
  let size = 0;
  for (let i = pos + 1; i < start; i++) {
    // Beyond 2^53 any length exceeds every scope: saturate and let the scope check fail.
    size = size * 256 + bytes[i]!;
  }
  if (size < 56) fail('non-canonical-size', 'long-form length below 56', pos);
  return size;
}

/**
 * Reads the item at `pos`, which must be a list; `out.start` to `out.end` is its content.
 *
 * @throws RlpError 'expected-list', or a header failure of `readHeader`
 */
export function readList(
  bytes: Uint8Array,
  pos: number,
  limit: number,
  out: ItemHeader,
): ItemHeader {
  readHeader(bytes, pos, limit, out);
  if (out.kind !== ItemKind.List) fail('expected-list', 'expected a list', pos);
  return out;
}

/**
 * Reads the item at `pos`, which must be a byte string in canonical form (a byte below 0x80
 * stands alone, as geth requires); `out.start` to `out.end` is the string.
 *
 * @throws RlpError 'expected-string', 'non-canonical-size', or a header failure
 */
export function readString(
  bytes: Uint8Array,
  pos: number,
  limit: number,
  out: ItemHeader,
): ItemHeader {
  readHeader(bytes, pos, limit, out);
  if (out.kind === ItemKind.List) fail('expected-string', 'expected a byte string', pos);
  if (out.kind === ItemKind.String && out.size === 1 && bytes[out.start]! < 0x80) {
    fail('non-canonical-size', 'a byte below 0x80 must stand alone', pos);
  }
  return out;
}

/**
 * Reads the item at `pos` as a canonical unsigned integer of at most `maxBytes` bytes
 * (SPEC §3.3 I1–I5, in that order): leaves the item in `out`.
 */
function readUintItem(
  bytes: Uint8Array,
  pos: number,
  limit: number,
  out: ItemHeader,
  maxBytes: number,
): void {
  readHeader(bytes, pos, limit, out);
  if (out.kind === ItemKind.Byte) {
    if (bytes[pos] === 0) fail('non-canonical-integer', 'zero written as 0x00', pos);
    return;
  }
  if (out.kind === ItemKind.List) fail('expected-string', 'expected an integer, not a list', pos);
  if (out.size > maxBytes) fail('integer-overflow', `integer wider than ${maxBytes} bytes`, pos);
  if (out.size > 1 && bytes[out.start] === 0) {
    fail('non-canonical-integer', 'integer with a leading zero byte', pos);
  }
  if (out.size === 1 && bytes[out.start]! < 0x80) {
    fail('non-canonical-size', 'a byte below 0x80 must stand alone', pos);
  }
}

function tooWide(): never {
  throw new RangeError('readUint reads at most 6 bytes; use readBigUint');
}

/**
 * Reads a canonical unsigned integer of at most `maxBytes` (≤ 6) bytes at `pos`, as a
 * number; `out` is left describing the item (`out.end` is the next position).
 *
 * @throws RlpError 'expected-string' (a list), 'integer-overflow', 'non-canonical-integer',
 *   'non-canonical-size', or a header failure
 * @throws RangeError if `maxBytes` is above 6 (use `readBigUint`)
 */
export function readUint(
  bytes: Uint8Array,
  pos: number,
  limit: number,
  out: ItemHeader,
  maxBytes = 6,
): number {
  if (maxBytes > 6) tooWide();
  readUintItem(bytes, pos, limit, out, maxBytes);
  // (A single byte is its own content: out.start is pos, out.end pos + 1.)
  let value = 0;
  for (let i = out.start; i < out.end; i++) value = value * 256 + bytes[i]!;
  return value;
}

/** An integer wider than 8 bytes, byte by byte (kept apart: the hot readers stay small). */
function wideUint(bytes: Uint8Array, start: number, end: number): bigint {
  let value = 0n;
  for (let i = start; i < end; i++) value = (value << 8n) | BigInt(bytes[i]!);
  return value;
}

/**
 * Reads a canonical unsigned integer of at most `maxBytes` bytes at `pos`, as a bigint; `out`
 * is left describing the item.
 *
 * @throws RlpError 'expected-string' (a list), 'integer-overflow', 'non-canonical-integer',
 *   'non-canonical-size', or a header failure
 */
export function readBigUint(
  bytes: Uint8Array,
  pos: number,
  limit: number,
  out: ItemHeader,
  maxBytes = 8,
): bigint {
  readUintItem(bytes, pos, limit, out, maxBytes);
  if (out.size > 8) return wideUint(bytes, out.start, out.end);
  // Two 32-bit halves keep the common case out of per-byte bigint arithmetic.
  let high = 0;
  let low = 0;
  for (let i = out.start; i < out.end; i++) {
    high = high * 256 + Math.floor(low / 0x1000000);
    low = ((low & 0xffffff) * 256 + bytes[i]!) >>> 0;
  }
  return high === 0 ? BigInt(low) : (BigInt(high) << 32n) | BigInt(low);
}
