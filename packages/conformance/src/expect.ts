/**
 * Small assertion helpers for vector checks: each throws a `Mismatch` that the runner turns
 * into a FAIL line, so one bad case never stops the run.
 */

/** What a check compared, for reports that show expected and actual side by side. */
export interface Compared {
  /** What was compared (`bloom`, `message 2: ciphertext`…). */
  readonly what: string;
  readonly expected: unknown;
  readonly actual: unknown;
}

/**
 * A difference between what the implementation did and what the vector expects. Its message
 * is the one line of `hush-conformance vectors`; `compared`, when given, holds the values for
 * the case model's reports (the in-process suite shows them as expected and actual).
 */
export class Mismatch extends Error {
  override readonly name = 'Mismatch';
  readonly compared: Compared | undefined;
  constructor(message: string, compared?: Compared) {
    super(message);
    this.compared = compared;
  }
}

/** A value as a report shows it: bytes as `0x…` hex, bigints and non-finite numbers as text. */
export function shown(value: unknown): unknown {
  if (value instanceof Uint8Array) return toHex(value);
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  return value;
}

/**
 * A Mismatch with the values compared.
 *
 * @throws nothing: it returns the error for the caller to throw
 */
export function mismatch(
  message: string,
  what: string,
  expected: unknown,
  actual: unknown,
): Mismatch {
  return new Mismatch(message, { what, expected: shown(expected), actual: shown(actual) });
}

/** `0x…` hex to bytes. */
export function hex(value: unknown, field: string): Uint8Array {
  if (typeof value !== 'string' || !/^0x([0-9a-fA-F]{2})*$/.test(value)) {
    throw mismatch(
      `vector field ${field} is not 0x-prefixed hex`,
      `vector field ${field}`,
      '0x-prefixed hex',
      value,
    );
  }
  const out = new Uint8Array((value.length - 2) / 2);
  for (let i = 0; i < out.length; i++)
    out[i] = Number.parseInt(value.slice(2 + 2 * i, 4 + 2 * i), 16);
  return out;
}

/** Bytes to `0x…` lowercase hex. */
export function toHex(bytes: Uint8Array): string {
  let out = '0x';
  for (const b of bytes) out += b.toString(16).padStart(2, '0');
  return out;
}

/** Fails unless `actual` equals `expected` (bytes compared as hex, numbers with Object.is). */
export function same(what: string, actual: unknown, expected: unknown): void {
  const show = (v: unknown) =>
    v instanceof Uint8Array ? toHex(v) : typeof v === 'bigint' ? `${v}n` : String(v);
  const equal =
    actual instanceof Uint8Array && expected instanceof Uint8Array
      ? toHex(actual) === toHex(expected)
      : Object.is(actual, expected);
  if (!equal)
    throw mismatch(
      `${what}: got ${show(actual)}, expected ${show(expected)}`,
      what,
      expected,
      actual,
    );
}

/** Reads a required field of a case. */
export function field<T = unknown>(c: Record<string, unknown>, name: string): T {
  if (!(name in c))
    throw mismatch(
      `vector case has no field ${name}`,
      'the vector case',
      `a field ${name}`,
      'none',
    );
  return c[name] as T;
}

/** A uint64 from the vectors' `0x` + 16 hex digits (or a JSON number). */
export function uint64(value: unknown, name: string): bigint {
  if (typeof value === 'number' && Number.isSafeInteger(value)) return BigInt(value);
  if (typeof value === 'string' && /^0x[0-9a-fA-F]{1,16}$/.test(value)) return BigInt(value);
  throw mismatch(`vector field ${name} is not a uint64`, `vector field ${name}`, 'a uint64', value);
}

/** The vectors write +Infinity PoW as null. */
export function powNumber(value: unknown): number {
  return value === null ? Number.POSITIVE_INFINITY : (value as number);
}

/**
 * A vector's unprefixed hex field as bytes (the Noise and Katzenpost formats; {@link hex}
 * reads the 0x-prefixed Whisper ones).
 *
 * @throws Mismatch naming the field when it is not hex
 */
export function vectorBytes(value: unknown, what: string): Uint8Array {
  if (typeof value !== 'string' || !/^(?:[0-9a-fA-F]{2})*$/.test(value))
    throw mismatch(`${what} is not hex`, what, 'hex', value);
  return Uint8Array.from(Buffer.from(value, 'hex'));
}

/** Unprefixed lowercase hex of bytes (the Noise and Katzenpost formats). */
export function toHexString(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}
