/**
 * Decoding errors of the envelope codec (specs/whisper-v6 SPEC §3.3). Callers match on
 * `code`, not on the class; `code` is the reason name used by the vectors. Failures of the
 * RLP layer (`RlpError` from `@hush/rlp`) arrive as these codes, the `RlpError` in `cause`.
 */
import { HushError } from '@hush/interface';

/** Why an envelope or a messages packet was refused (SPEC §3.3 rules E1–E11, H1–H3, I1–I5). */
export type EnvelopeDecodeErrorCode =
  | 'empty'
  | 'truncated'
  | 'trailing-data'
  | 'not-a-list'
  | 'missing-field'
  | 'extra-field'
  | 'topic-length'
  | 'topic-type'
  | 'data-type'
  | 'integer-type'
  | 'integer-overflow'
  | 'non-canonical-integer'
  | 'non-canonical-size';

/** The envelope field being decoded when the error happened. */
export type EnvelopeField = 'expiry' | 'ttl' | 'topic' | 'data' | 'nonce';

/** Bytes that are not one strictly canonical envelope (or messages packet). */
export class EnvelopeDecodeError extends HushError<EnvelopeDecodeErrorCode> {
  override readonly name = 'EnvelopeDecodeError';
  /** The field being decoded, when the error is inside one. */
  readonly field: EnvelopeField | undefined;
  /** For messages packets: the index of the offending envelope. */
  readonly index: number | undefined;

  /**
   * @param details.cause - the failure underneath (an `RlpError` from `@hush/rlp` for the
   *   rules of the RLP layer)
   */
  constructor(
    code: EnvelopeDecodeErrorCode,
    message: string,
    details: { field?: EnvelopeField; index?: number; cause?: unknown } = {},
  ) {
    super(code, message, 'cause' in details ? { cause: details.cause } : {});
    this.field = details.field;
    this.index = details.index;
  }
}
