/**
 * Whole RLP values as trees of byte strings and lists (specs/whisper-v6 SPEC §3.2): for
 * callers without a fixed layout (tools, tests, the browser app's debugging). Protocol
 * decoders read their fixed layouts with `RlpStream` or the item readers instead, which
 * check integer rules and allocate nothing per item.
 */

import { bytesLength, headerLength, writeBytes, writeHeader } from './encode.js';
import { RlpError } from './errors.js';
import { ItemKind, itemHeader, readHeader } from './read.js';

/** An RLP value: a byte string, or a list of values. */
export type RlpValue = Uint8Array | readonly RlpValue[];

/**
 * Encoded length of `value`; pushes the content size of each list, in pre-order, to `sizes`.
 */
function measure(value: RlpValue, sizes: number[]): number {
  if (value instanceof Uint8Array) return bytesLength(value);
  if (!Array.isArray(value)) throw new TypeError('an RLP value is a Uint8Array or an array');
  const slot = sizes.length;
  sizes.push(0);
  let size = 0;
  for (const item of value as readonly RlpValue[]) size += measure(item, sizes);
  sizes[slot] = size;
  return headerLength(size) + size;
}

function write(
  value: RlpValue,
  out: Uint8Array,
  pos: number,
  sizes: number[],
  list: { i: number },
): number {
  if (value instanceof Uint8Array) return writeBytes(out, pos, value);
  let at = writeHeader(out, pos, sizes[list.i++]!, 0xc0);
  for (const item of value as readonly RlpValue[]) at = write(item, out, at, sizes, list);
  return at;
}

/**
 * The canonical RLP of a value (byte strings and nested lists), in one allocation.
 *
 * @throws TypeError if something in `value` is neither a Uint8Array nor an array
 * @example
 * ```ts
 * encode([Uint8Array.of(1), [], [new Uint8Array(0)]]); // 0xc401c0c180
 * ```
 */
export function encode(value: RlpValue): Uint8Array {
  const sizes: number[] = [];
  const out = new Uint8Array(measure(value, sizes));
  write(value, out, 0, sizes, { i: 0 });
  return out;
}

/**
 * Decodes exactly one RLP value, refusing every non-canonical size as geth does. Byte strings
 * are copies. Nesting depth is not limited by the call stack (the reader keeps its own).
 *
 * @throws RlpError 'truncated' (also for empty input), 'non-canonical-size', or
 *   'trailing-data' when bytes follow the value
 * @throws TypeError if `bytes` is not a Uint8Array
 * @example
 * ```ts
 * decode(Uint8Array.of(0xc4, 0x01, 0xc0, 0xc1, 0x80)); // [0x01, [], [0x]]
 * ```
 */
export function decode(bytes: Uint8Array): RlpValue {
  if (!(bytes instanceof Uint8Array)) throw new TypeError('decode reads a Uint8Array');
  const h = itemHeader();
  // The value's extent first (its contents are then read within it), its trailing bytes last,
  // as geth reports them.
  const end = readHeader(bytes, 0, bytes.length, h).end;
  const root: RlpValue[] = [];
  // Open lists: the items read so far and where each list ends.
  const open: RlpValue[][] = [root];
  const ends: number[] = [end];
  let pos = 0;
  while (open.length > 0) {
    if (pos === ends[ends.length - 1]) {
      open.pop();
      ends.pop();
      continue;
    }
    readHeader(bytes, pos, ends[ends.length - 1]!, h);
    if (h.kind === ItemKind.List) {
      const items: RlpValue[] = [];
      open[open.length - 1]!.push(items);
      open.push(items);
      ends.push(h.end);
      pos = h.start;
      continue;
    }
    if (h.kind === ItemKind.String && h.size === 1 && bytes[h.start]! < 0x80) {
      throw new RlpError('non-canonical-size', 'rlp: a byte below 0x80 must stand alone', {
        offset: pos,
      });
    }
    open[open.length - 1]!.push(bytes.slice(h.start, h.end));
    pos = h.end;
  }
  if (end !== bytes.length) {
    throw new RlpError('trailing-data', 'rlp: bytes after the value', { offset: end });
  }
  return root[0]!;
}
