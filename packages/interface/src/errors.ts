/**
 * The one error base of Hush. Every package's errors extend it with their own string-union
 * `code`, so a caller matches on `error.code` (and `instanceof HushError` for "any Hush
 * failure") and finds the underlying failure in `cause`.
 */

/** Options every Hush error accepts. */
export interface HushErrorOptions {
  /** The failure underneath (a socket error, a decryption failure…). */
  readonly cause?: unknown;
}

/**
 * A failure of a Hush package; `code` says which.
 *
 * @example
 * ```ts
 * class StoreError extends HushError<'closed' | 'locked'> {
 *   override readonly name = 'StoreError';
 * }
 * try { await store.get('k') } catch (e) { if (e instanceof StoreError && e.code === 'closed') … }
 * ```
 */
export class HushError<Code extends string = string> extends Error {
  override readonly name: string = 'HushError';
  /** Why it failed, one of the package's documented codes. */
  readonly code: Code;

  constructor(code: Code, message: string, options: HushErrorOptions = {}) {
    super(message, 'cause' in options ? { cause: options.cause } : undefined);
    this.code = code;
  }
}

/** Whether `error` is a Hush error with the given code. */
export function isHushError<Code extends string>(
  error: unknown,
  code?: Code,
): error is HushError<Code> {
  return error instanceof HushError && (code === undefined || error.code === code);
}
