/** Noise errors (specs/noise/SPEC.md): one class, callers match on `code`. */
import { HushError } from '@hush/interface';

export type NoiseErrorCode =
  /** The protocol name names a pattern, DH, cipher or hash this package does not know. */
  | 'unknown-protocol'
  /** A key, PSK or pre-message key the pattern needs was not given, or has the wrong size. */
  | 'missing-key'
  /** A message was written or read out of turn, or after the handshake ended. */
  | 'out-of-turn'
  /** A message too short for the tokens it should carry, or over 65,535 bytes. */
  | 'bad-message'
  /** Authenticated decryption failed: a flipped byte, a wrong key, a replay. */
  | 'decrypt-failed'
  /** A cipher's nonce reached 2^64 − 1: the key must not be used again. */
  | 'nonce-exhausted';

/** A Noise failure; `code` says which. */
export class NoiseError extends HushError<NoiseErrorCode> {
  override readonly name = 'NoiseError';
}
