/**
 * A reader of RLP items in sequence, in the manner of geth's rlp.Stream, which the Whisper
 * peer protocol's small payloads (status, PoW requirement, bloom exchange, frames, mailserver
 * requests) are decoded with (specs/whisper-v6 SPEC §7): items are read one at a time, so
 * trailing items geth never reads are never examined, and a failed read consumes nothing.
 * Sizes and integers must be canonical, as geth requires. It reads with the item readers of
 * `read.ts` into one header it owns: reading allocates nothing per item.
 */
import { RlpError } from './errors.js';
import {
  type ItemHeader,
  itemHeader,
  readBigUint,
  readList,
  readString,
  readUint,
} from './read.js';

/**
 * Reads RLP items in sequence from `bytes`.
 *
 * @example
 * ```ts
 * const s = new RlpStream(payload);
 * s.list();
 * const version = s.uintNumber(4);
 * const bloom = s.atListEnd() ? undefined : s.string();
 * s.leave(); // skips whatever follows, as geth does
 * ```
 */
export class RlpStream {
  private readonly bytes: Uint8Array;
  private pos = 0;
  /** End of the input, then of each list entered. */
  private readonly limits: number[];
  private readonly item: ItemHeader = itemHeader();

  /** @throws TypeError if `bytes` is not a Uint8Array */
  constructor(bytes: Uint8Array) {
    if (!(bytes instanceof Uint8Array)) throw new TypeError('RlpStream reads a Uint8Array');
    this.bytes = bytes;
    this.limits = [bytes.length];
  }

  /** The end of the current scope, after checking that an item is left in it. */
  private scope(): number {
    const limit = this.limits[this.limits.length - 1]!;
    if (this.pos >= limit) {
      const inList = this.limits.length > 1;
      throw new RlpError(
        inList ? 'end-of-list' : 'truncated',
        inList ? 'rlp: no item left in the list' : 'rlp: no item left in the input',
        { offset: this.pos },
      );
    }
    return limit;
  }

  /**
   * Enters the next item, which must be a list.
   *
   * @throws RlpError 'expected-list', 'end-of-list', 'truncated' or 'non-canonical-size'
   */
  list(): void {
    const item = readList(this.bytes, this.pos, this.scope(), this.item);
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

  /**
   * Leaves the current list, skipping what was not read.
   *
   * @throws RlpError 'expected-list' when no list was entered
   */
  leave(): void {
    if (this.limits.length === 1) {
      throw new RlpError('expected-list', 'rlp: leave() outside a list', { offset: this.pos });
    }
    this.pos = this.limits.pop()!;
  }

  /**
   * The next item as a byte string (a copy).
   *
   * @throws RlpError 'expected-string', 'non-canonical-size', 'end-of-list' or 'truncated'
   */
  string(): Uint8Array {
    return this.view().slice();
  }

  /**
   * The next item as a byte string, as a view into the input rather than a copy: for a
   * caller that keeps nothing of it beyond the input's own life (a frame's payload).
   *
   * @throws RlpError 'expected-string', 'non-canonical-size', 'end-of-list' or 'truncated'
   */
  view(): Uint8Array {
    const item = readString(this.bytes, this.pos, this.scope(), this.item);
    this.pos = item.end;
    return this.bytes.subarray(item.start, item.end);
  }

  /**
   * The next item as a canonical unsigned integer of at most `maxBytes` bytes.
   *
   * @throws RlpError 'expected-string', 'integer-overflow', 'non-canonical-integer',
   *   'non-canonical-size', 'end-of-list' or 'truncated'
   */
  uint(maxBytes = 8): bigint {
    const value = readBigUint(this.bytes, this.pos, this.scope(), this.item, maxBytes);
    this.pos = this.item.end;
    return value;
  }

  /**
   * The next item as a canonical unsigned integer of at most `maxBytes` (≤ 6) bytes, as a
   * number: `uint` without the bigint.
   *
   * @throws RlpError as `uint`
   * @throws RangeError if `maxBytes` is above 6
   */
  uintNumber(maxBytes = 6): number {
    const value = readUint(this.bytes, this.pos, this.scope(), this.item, maxBytes);
    this.pos = this.item.end;
    return value;
  }

  /**
   * The next item as a boolean (an integer 0 or 1).
   *
   * @throws RlpError 'bad-boolean', or a failure of `uint`
   */
  bool(): boolean {
    const value = readBigUint(this.bytes, this.pos, this.scope(), this.item, 8);
    if (value > 1n) {
      throw new RlpError('bad-boolean', `rlp: boolean ${value} is neither 0 nor 1`, {
        offset: this.pos,
      });
    }
    this.pos = this.item.end;
    return value === 1n;
  }

  /** Whether every byte of the input has been read (and every list entered left). */
  atEnd(): boolean {
    return this.limits.length === 1 && this.pos === this.bytes.length;
  }

  /** The position of the next item in the input. */
  get offset(): number {
    return this.pos;
  }
}
