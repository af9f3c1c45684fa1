/** Errors of direct channels (specs/transport-direct/SPEC.md); callers match on `code`. */
import { HushError } from '@hush/interface';

/** Why a direct-channel operation failed. */
export type DirectErrorCode =
  /** Bytes that are not an introduction of this version (SPEC §2.1). */
  | 'malformed-introduction'
  /** Bytes that are not a signal of this version (SPEC §5.1). */
  | 'malformed-signal'
  /** ICE found no working candidate pair, or the peer connection failed (SPEC §5.3). */
  | 'ice-failed'
  /** The data channel did not open in time (SPEC §5.3). */
  | 'ice-timeout'
  /** No answer to a signal came in time (SPEC §5.4). */
  | 'signal-timeout'
  /** The relay refused the join, with its reason (SPEC §6.3). */
  | 'relay-refused'
  /** The relay did not pair the join in time, or could not be reached (SPEC §6.2). */
  | 'relay-failed'
  /** Every path to the contact failed (SPEC §5.4). */
  | 'no-path'
  /** Bytes that are not a frame of this version (SPEC §4.2). */
  | 'malformed-frame'
  /** The peer is not in the contact list (SPEC §1). */
  | 'not-a-contact'
  /** The contact already has the most pending messages the outbox keeps (SPEC §7.1). */
  | 'outbox-full'
  /** The operation was given up: closed or aborted. */
  | 'closed';

/** A direct-channel failure. */
export class DirectError extends HushError<DirectErrorCode> {
  override readonly name = 'DirectError';
}
