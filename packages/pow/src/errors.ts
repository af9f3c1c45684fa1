/**
 * Errors of the proof-of-work layer. Callers match on `code`, not on the class.
 */

/** Why sealing failed. */
export type PowErrorCode = 'pow-unreachable' | 'worker-failed';

/** A sealing failure (SPEC §4.4). */
export class PowError extends Error {
  override readonly name = 'PowError';
  readonly code: PowErrorCode;

  constructor(code: PowErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}
