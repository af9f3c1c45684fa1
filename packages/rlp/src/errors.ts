/**
 * The one RLP error (specs/whisper-v6 SPEC §3.3 rules H1–H3 and I1–I5, and geth's `rlp`
 * package for the rest). Callers match on `code`; a protocol that names its own failures
 * (the envelope codec's `EnvelopeDecodeError`) maps these codes to its own.
 */
import { HushError, type HushErrorOptions } from '@hush/interface';

/** Why bytes are not the RLP that was asked for. */
export type RlpErrorCode =
  /** An item's header or content runs past the end of its scope (the input or its list). */
  | 'truncated'
  /** The list being read has no item left. */
  | 'end-of-list'
  /**
   * A size not written in its one canonical form: a long-form length with a leading zero
   * byte or below 56, or a single byte below 0x80 written with a 0x81 header.
   */
  | 'non-canonical-size'
  /** An integer with a leading zero byte, or zero written as the byte 0x00 (it is 0x80). */
  | 'non-canonical-integer'
  /** An integer wider than the reader allows. */
  | 'integer-overflow'
  /** A list was expected and a byte string was found. */
  | 'expected-list'
  /** A byte string (or integer) was expected and a list was found. */
  | 'expected-string'
  /** A boolean other than 0 or 1. */
  | 'bad-boolean'
  /** Bytes after a value that had to end its input, or items left in a list that had to end. */
  | 'trailing-data';

/** Options of an `RlpError`. */
export interface RlpErrorOptions extends HushErrorOptions {
  /** Where in the input the failing item starts. */
  readonly offset?: number;
}

/**
 * Bytes that are not the strictly canonical RLP asked for; `code` says which rule failed.
 *
 * @example
 * ```ts
 * try { decode(bytes) } catch (e) { if (e instanceof RlpError && e.code === 'truncated') … }
 * ```
 */
export class RlpError extends HushError<RlpErrorCode> {
  override readonly name = 'RlpError';
  /** Where in the input the failing item starts, when known. */
  readonly offset: number | undefined;

  constructor(code: RlpErrorCode, message: string, options: RlpErrorOptions = {}) {
    super(code, message, options);
    this.offset = options.offset;
  }
}
