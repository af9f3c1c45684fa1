/**
 * Small byte buffers carved out of shared slabs. Allocating a typed array of more than 64
 * bytes costs an off-heap backing store (measured about 0.7–1 µs each on the reference
 * machines, more than decoding the envelope itself); carving from a 16 KiB slab costs a view.
 * As with Node's own Buffer pool, a live buffer keeps its slab alive; envelopes decoded
 * together mostly expire together, so the slack stays small.
 */

const SLAB_SIZE = 16 * 1024;
/** Larger requests get their own buffer. */
const MAX_CARVED = 2 * 1024;

let slab = new Uint8Array(0);
let used = 0;

/**
 * A zero-filled byte array of `length` bytes (a view into a shared slab when small).
 *
 * @throws RangeError if `length` is not a non-negative integer
 */
export function allocBytes(length: number): Uint8Array {
  if (length > MAX_CARVED || length <= 64) return new Uint8Array(length);
  // Keep views 8-byte aligned, so DataView and wide reads stay on fast paths.
  const size = (length + 7) & ~7;
  if (used + size > slab.length) {
    slab = new Uint8Array(SLAB_SIZE);
    used = 0;
  }
  // A view made directly: TypedArray#subarray's species lookup costs more than the view.
  const out = new Uint8Array(slab.buffer, used, length);
  used += size;
  return out;
}

/** A copy of `source[start, end)` in a (possibly carved) buffer. */
export function copyBytes(source: Uint8Array, start: number, end: number): Uint8Array {
  const length = end - start;
  const out = allocBytes(length);
  out.set(new Uint8Array(source.buffer, source.byteOffset + start, length));
  return out;
}
