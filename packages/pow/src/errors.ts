/**
 * Errors of the proof-of-work layer. Callers match on `code`, not on the class.
 */
import { HushError } from '@hush/interface';

/** Why sealing failed. */
export type PowErrorCode = 'pow-unreachable' | 'worker-failed';

/** A sealing failure (SPEC §4.4). */
export class PowError extends HushError<PowErrorCode> {
  override readonly name = 'PowError';
}
