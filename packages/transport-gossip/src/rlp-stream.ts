/**
 * A reader of RLP items in the manner of geth's rlp.Stream, which the peer protocol's small
 * payloads (status, PoW requirement, bloom exchange, frames) are decoded with: items are read
 * one at a time, so trailing items geth never reads are never examined, and a failed read
 * consumes nothing. Sizes and integers must be canonical, as geth requires.
 */

/** Why a read failed. */
export type RlpReadFailure =
  | 'end-of-list'
  | 'truncated'
  | 'expected-list'
  | 'expected-string'
  | 'non-canonical'
  | 'overflow'
  | 'bad-boolean';

/** A failed read; `reason` says why. */
export class RlpReadError extends Error {
  override readonly name = 'RlpReadError';
  readonly reason: RlpReadFailure;

  constructor(reason: RlpReadFailure) {
    super(`rlp: ${reason}`);
    this.reason = reason;
  }
}

interface Item {
  list: boolean;
  /** A single byte below 0x80, its own encoding. */
  byte: boolean;
  start: number;
  end: number;
}

/** Reads RLP items in sequence from `bytes`. */
export class RlpStream {
  private readonly bytes: Uint8Array;
  private pos = 0;
  /** End of the input, then of each list entered. */
  private readonly limits: number[];

  constructor(bytes: Uint8Array) {
    this.bytes = bytes;
    this.limits = [bytes.length];
  }

  private peek(): Item {
    const limit = this.limits[this.limits.length - 1]!;
    const at = this.pos;
    if (at >= limit) throw new RlpReadError(this.limits.length > 1 ? 'end-of-list' : 'truncated');
    const b = this.bytes[at]!;
    if (b < 0x80) return { list: false, byte: true, start: at, end: at + 1 };
    let start: number;
    let size: number;
    if (b < 0xb8 || (b >= 0xc0 && b < 0xf8)) {
      start = at + 1;
      size = b < 0xc0 ? b - 0x80 : b - 0xc0;
    } else {
      const n = b < 0xc0 ? b - 0xb7 : b - 0xf7;
      start = at + 1 + n;
      if (start > limit) throw new RlpReadError('truncated');
      if (n > 1 && this.bytes[at + 1] === 0) throw new RlpReadError('non-canonical');
      size = 0;
      for (let i = at + 1; i < start; i++) size = size * 256 + this.bytes[i]!;
      if (size < 56) throw new RlpReadError('non-canonical');
    }
    if (size > limit - start) throw new RlpReadError('truncated');
    return { list: b >= 0xc0, byte: false, start, end: start + size };
  }

  /** Enters the next item, which must be a list. */
  list(): void {
    const item = this.peek();
    if (!item.list) throw new RlpReadError('expected-list');
    this.pos = item.start;
    this.limits.push(item.end);
  }

  /** Whether the next item is a list (false at the end of the current list). */
  nextIsList(): boolean {
    return !this.atListEnd() && this.bytes[this.pos]! >= 0xc0;
  }

  /** Whether the current list (or the input) has no unread item. */
  atListEnd(): boolean {
    return this.pos === this.limits[this.limits.length - 1];
  }

  /** Leaves the current list, skipping what was not read. */
  leave(): void {
    if (this.limits.length === 1) throw new RlpReadError('expected-list');
    this.pos = this.limits.pop()!;
  }

  /** The next item as a byte string (a copy). */
  string(): Uint8Array {
    return this.view().slice();
  }

  /**
   * The next item as a byte string, as a view into the input rather than a copy: for a
   * caller that keeps nothing of it beyond the input's own life (a frame's payload).
   */
  view(): Uint8Array {
    const item = this.peek();
    if (item.list) throw new RlpReadError('expected-string');
    if (!item.byte && item.end - item.start === 1 && this.bytes[item.start]! < 0x80) {
      throw new RlpReadError('non-canonical');
    }
    this.pos = item.end;
    return this.bytes.subarray(item.start, item.end);
  }

  /** The next item as a canonical unsigned integer of at most `maxBytes` bytes. */
  uint(maxBytes = 8): bigint {
    const item = this.peek();
    if (item.list) throw new RlpReadError('expected-string');
    const { start, end } = item;
    if (item.byte) {
      if (this.bytes[start] === 0) throw new RlpReadError('non-canonical');
    } else {
      if (end - start > maxBytes) throw new RlpReadError('overflow');
      if (end - start > 0 && this.bytes[start] === 0) throw new RlpReadError('non-canonical');
      if (end - start === 1 && this.bytes[start]! < 0x80) throw new RlpReadError('non-canonical');
    }
    let value = 0n;
    for (let i = start; i < end; i++) value = (value << 8n) | BigInt(this.bytes[i]!);
    this.pos = end;
    return value;
  }

  /** The next item as a boolean (an integer 0 or 1). */
  bool(): boolean {
    const saved = this.pos;
    const value = this.uint();
    if (value > 1n) {
      this.pos = saved;
      throw new RlpReadError('bad-boolean');
    }
    return value === 1n;
  }

  /** Whether every byte of the input has been read. */
  atEnd(): boolean {
    return this.limits.length === 1 && this.pos === this.bytes.length;
  }
}

/** Canonical RLP of an unsigned integer. */
export function encodeUint(value: bigint | number): Uint8Array {
  let v = BigInt(value);
  if (v === 0n) return Uint8Array.of(0x80);
  if (v < 0x80n) return Uint8Array.of(Number(v));
  const digits: number[] = [];
  for (; v > 0n; v >>= 8n) digits.unshift(Number(v & 0xffn));
  return Uint8Array.of(0x80 + digits.length, ...digits);
}

/** Bytes of the header of an item with `length` bytes of content. */
export function headerLength(length: number): number {
  if (length < 56) return 1;
  let n = 1;
  for (let v = length; v >= 256; v = Math.floor(v / 256)) n++;
  return 1 + n;
}

/** Writes a string (0x80) or list (0xc0) header at `at`; returns the position after it. */
export function writeHeader(
  out: Uint8Array,
  at: number,
  length: number,
  offset: 0x80 | 0xc0,
): number {
  const size = headerLength(length);
  if (size === 1) {
    out[at] = offset + length;
    return at + 1;
  }
  out[at] = offset + 55 + size - 1;
  for (let i = size - 1, v = length; i >= 1; i--, v = Math.floor(v / 256)) out[at + i] = v % 256;
  return at + size;
}

function header(length: number, offset: 0x80 | 0xc0): Uint8Array {
  const out = new Uint8Array(headerLength(length));
  writeHeader(out, 0, length, offset);
  return out;
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** RLP of a byte string. */
export function encodeBytes(data: Uint8Array): Uint8Array {
  if (data.length === 1 && data[0]! < 0x80) return data.slice();
  return concat([header(data.length, 0x80), data]);
}

/** RLP of a list of already encoded items. */
export function encodeList(items: readonly Uint8Array[]): Uint8Array {
  const body = concat(items);
  return concat([header(body.length, 0xc0), body]);
}
