/** Errors of direct channels (specs/transport-direct/SPEC.md); callers match on `code`. */
import { HushError } from '@hush/interface';

/** Why a direct-channel operation failed. */
export type DirectErrorCode =
  /** Bytes that are not an introduction of this version (SPEC §2.1). */
  'malformed-introduction';

/** A direct-channel failure. */
export class DirectError extends HushError<DirectErrorCode> {
  override readonly name = 'DirectError';
}
