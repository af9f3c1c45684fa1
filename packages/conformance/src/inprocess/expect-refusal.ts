/**
 * Expectations of the in-process cases written against the packages' public APIs (inbox-dht
 * SPEC §3–§7, transport-direct SPEC §2–§7): an input refused with the typed error code its
 * spec names, bytes equal to what the spec lays out. Each failure is a Mismatch of the case
 * model, with expected and actual.
 */
import { Mismatch } from '../suite/model.js';

/** A typed refusal: the error's class name and code (`DhtError`, `malformed`). */
export interface TypedRefusal {
  readonly name: string;
  readonly code: string;
}

/** What an outcome was, as a report shows it. */
function described(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return code === undefined
      ? `${error.name}: ${error.message}`
      : `${error.name} ${String(code)}: ${error.message}`;
  }
  return `thrown ${String(error)}`;
}

/**
 * Fails the case unless `run` throws or rejects with an error of `expected`'s class and code.
 *
 * @param what - what is refused, for the report
 * @returns the error, for further checks
 * @throws Mismatch when `run` returns, or throws another error
 */
export async function expectRefused(
  what: string,
  expected: TypedRefusal,
  run: () => unknown,
): Promise<Error> {
  let result: unknown;
  try {
    result = await run();
  } catch (error) {
    const code = (error as { code?: unknown } | null)?.code;
    if (error instanceof Error && error.name === expected.name && code === expected.code)
      return error;
    throw new Mismatch(what, `${expected.name} ${expected.code}`, described(error));
  }
  throw new Mismatch(
    what,
    `${expected.name} ${expected.code}`,
    `accepted${result === undefined ? '' : ` (${showResult(result)})`}`,
  );
}

/**
 * Fails the case unless `run` throws or rejects with an error of class `name` (a RangeError
 * for an encoder given a value over a limit).
 *
 * @throws Mismatch when `run` returns, or throws another error
 */
export async function expectThrown(what: string, name: string, run: () => unknown): Promise<void> {
  try {
    await run();
  } catch (error) {
    if (error instanceof Error && error.name === name) return;
    throw new Mismatch(what, name, described(error));
  }
  throw new Mismatch(what, name, 'accepted');
}

/**
 * Fails the case if `run` throws: what the spec accepts must be accepted.
 *
 * @returns what `run` gave
 * @throws Mismatch naming the error
 */
export async function expectAccepted<T>(what: string, run: () => T | Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    throw new Mismatch(what, 'accepted', described(error));
  }
}

function showResult(value: unknown): string {
  if (value instanceof Uint8Array) return `${value.length} bytes`;
  try {
    const text = JSON.stringify(value, (_key, v) =>
      typeof v === 'bigint' ? `${v}n` : v instanceof Uint8Array ? `${v.length} bytes` : v,
    );
    return text === undefined ? String(value) : text.slice(0, 200);
  } catch {
    return String(value);
  }
}

/**
 * Bytes as lowercase hex with `0x`, as the reports show them.
 *
 * @throws nothing
 */
export function hexOf(bytes: Uint8Array): string {
  return `0x${Buffer.from(bytes).toString('hex')}`;
}

/**
 * Fails the case unless two byte strings are equal, showing both as hex.
 *
 * @throws Mismatch with both values
 */
export function expectBytes(what: string, expected: Uint8Array, actual: Uint8Array): void {
  const e = hexOf(expected);
  const a = hexOf(actual);
  if (e !== a) throw new Mismatch(what, e, a);
}
