/**
 * What the browser test and its page both know: the frames each side sends (sizes around the
 * Noise chunk and the §5.3 fragment, one far above the fragment, one at the frame limit) with
 * contents both can recompute, and hex for what crosses playwright's boundary.
 */

/** Frame sizes sent each way: empty, tiny, around 65,519 (Noise chunk) and 65,535 (fragment). */
export const FRAME_SIZES: readonly number[] = [
  0,
  1,
  1000,
  65_519,
  65_520,
  65_534,
  65_535,
  65_536,
  200_003,
  1024 * 1024 + 1024,
];

/** `size` bytes of a xorshift stream seeded with `seed`: the same in Node and the page. */
export function patternFrame(seed: number, size: number): Uint8Array {
  const out = new Uint8Array(size);
  let x = (Math.imul(seed + 1, 0x9e3779b1) >>> 0) | 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/** The seed of frame `index` sent by the page (`page`) or by Node (`node`). */
export const seedOf = (from: 'page' | 'node', index: number): number =>
  (from === 'page' ? 1000 : 2000) + index;

export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

export function toHex(bytes: Uint8Array): string {
  let out = '';
  for (const byte of bytes) out += byte.toString(16).padStart(2, '0');
  return out;
}

export function fromHex(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}
