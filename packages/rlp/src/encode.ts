/**
 * RLP encoding in its one canonical form (specs/whisper-v6 SPEC §3.2, the RLP primer): the
 * `write*` functions write into a buffer the caller sized with the matching `*Length`, so an
 * encoder that knows its layout allocates once; the `encode*` functions return new bytes.
 */

/** Bytes of the header of an item with `size` bytes of content (a non-negative integer). */
export function headerLength(size: number): number {
  if (size < 56) return 1;
  let n = 1;
  for (let s = size; s >= 256; s = Math.floor(s / 256)) n++;
  return 1 + n;
}

/**
 * Writes the header of a byte string (`offset` 0x80) or a list (0xc0) with `size` bytes of
 * content at `pos`; returns the position after it. `out` must have `headerLength(size)` bytes
 * there.
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

/** Encoded length of the byte string `data`. */
export function bytesLength(data: Uint8Array): number {
  if (data.length === 1 && data[0]! < 0x80) return 1;
  return headerLength(data.length) + data.length;
}

/** Writes the byte string `data` at `pos`; returns the position after it. */
export function writeBytes(out: Uint8Array, pos: number, data: Uint8Array): number {
  if (data.length === 1 && data[0]! < 0x80) {
    out[pos] = data[0]!;
    return pos + 1;
  }
  const at = writeHeader(out, pos, data.length, 0x80);
  out.set(data, at);
  return at + data.length;
}

function badUint(value: unknown): never {
  throw new RangeError(
    `an RLP integer must be a non-negative safe integer or bigint, got ${String(value)}`,
  );
}

/** Content bytes of a non-negative safe integer (0 for 0). */
function numberBytes(value: number): number {
  let n = 0;
  for (let v = value; v > 0; v = Math.floor(v / 256)) n++;
  return n;
}

/** Content bytes of a non-negative bigint. */
function bigintBytes(value: bigint): number {
  let n = 0;
  for (let v = value; v > 0n; v >>= 8n) n++;
  return n;
}

/** `writeUint` for a value already checked. */
function putNumber(out: Uint8Array, pos: number, value: number): number {
  if (value === 0) {
    out[pos] = 0x80;
    return pos + 1;
  }
  if (value < 0x80) {
    out[pos] = value;
    return pos + 1;
  }
  const n = numberBytes(value);
  out[pos] = 0x80 + n;
  for (let i = n, v = value; i >= 1; i--, v = Math.floor(v / 256)) out[pos + i] = v % 256;
  return pos + 1 + n;
}

/**
 * `value` as a number when it is a bigint in [0, 2^32): most integers on the wire are small,
 * and number arithmetic is far cheaper than bigint arithmetic. -1 for a larger bigint.
 *
 * @throws RangeError if `value` is not a non-negative bigint
 */
function smallBigint(value: bigint): number {
  if (typeof value !== 'bigint') badUint(value);
  // Exact: a bigint this close to zero converts to a number without rounding.
  const small = Number(value);
  if (small >= 0 && small <= 0xffffffff) return small;
  if (value < 0n) badUint(value);
  return -1;
}

/**
 * Encoded length of the unsigned integer `value` (`encodeUint(value).length`).
 *
 * @throws RangeError if `value` is not a non-negative safe integer
 */
export function uintLength(value: number): number {
  if (!Number.isSafeInteger(value) || value < 0) badUint(value);
  return value < 0x80 ? 1 : 1 + numberBytes(value);
}

/**
 * Writes the unsigned integer `value` at `pos` in its canonical form (0 is 0x80, 1…127 the
 * byte itself, larger values the minimal big-endian bytes); returns the position after it.
 *
 * @throws RangeError if `value` is not a non-negative safe integer
 */
export function writeUint(out: Uint8Array, pos: number, value: number): number {
  if (!Number.isSafeInteger(value) || value < 0) badUint(value);
  return putNumber(out, pos, value);
}

/**
 * Encoded length of the unsigned integer `value` given as a bigint (a uint64 nonce, a
 * float's bits).
 *
 * @throws RangeError if `value` is not a non-negative bigint
 */
export function bigUintLength(value: bigint): number {
  const small = smallBigint(value);
  if (small >= 0) return small < 0x80 ? 1 : 1 + numberBytes(small);
  return 1 + bigintBytes(value);
}

/**
 * Writes the unsigned integer `value`, a bigint, at `pos` as `writeUint` does; returns the
 * position after it.
 *
 * @throws RangeError if `value` is not a non-negative bigint
 */
export function writeBigUint(out: Uint8Array, pos: number, value: bigint): number {
  const small = smallBigint(value);
  if (small >= 0) return putNumber(out, pos, small);
  const n = bigintBytes(value);
  out[pos] = 0x80 + n;
  for (let i = n, v = value; i >= 1; i--, v >>= 8n) out[pos + i] = Number(v & 0xffn);
  return pos + 1 + n;
}

/**
 * The canonical RLP of an unsigned integer of any size, a number or a bigint.
 *
 * @throws RangeError if `value` is negative, or a number that is not a safe integer
 * @example
 * ```ts
 * encodeUint(0); // 0x80
 * encodeUint(1024); // 0x820400
 * encodeUint(2n ** 64n - 1n); // 0x88ffffffffffffffff
 * ```
 */
export function encodeUint(value: number | bigint): Uint8Array {
  let small: number;
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value) || value < 0) badUint(value);
    small = value;
  } else {
    small = smallBigint(value);
    if (small < 0) {
      const out = new Uint8Array(1 + bigintBytes(value));
      writeBigUint(out, 0, value);
      return out;
    }
  }
  const out = new Uint8Array(small < 0x80 ? 1 : 1 + numberBytes(small));
  putNumber(out, 0, small);
  return out;
}

/**
 * The RLP of a byte string (a new array, also for a lone byte below 0x80).
 *
 * @throws TypeError if `data` is not a Uint8Array
 */
export function encodeBytes(data: Uint8Array): Uint8Array {
  if (!(data instanceof Uint8Array)) throw new TypeError('RLP bytes must be a Uint8Array');
  const out = new Uint8Array(bytesLength(data));
  writeBytes(out, 0, data);
  return out;
}

/**
 * The RLP of a list whose items are already encoded, in one allocation.
 *
 * @throws TypeError if `items` is not an array of Uint8Array
 * @example
 * ```ts
 * encodeList([encodeUint(6), encodeBytes(bloom)]); // a status-like payload
 * ```
 */
export function encodeList(items: readonly Uint8Array[]): Uint8Array {
  if (!Array.isArray(items)) throw new TypeError('RLP list items must be an array');
  let size = 0;
  for (const item of items) {
    if (!(item instanceof Uint8Array)) throw new TypeError('encoded items must be Uint8Arrays');
    size += item.length;
  }
  const out = new Uint8Array(headerLength(size) + size);
  let at = writeHeader(out, 0, size, 0xc0);
  for (const item of items) {
    out.set(item, at);
    at += item.length;
  }
  return out;
}
