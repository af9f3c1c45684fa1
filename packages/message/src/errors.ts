/**
 * Errors of message wrapping, opening and filtering (specs/whisper-v6 SPEC §5). Callers match
 * on `code`, not on the class.
 */
import { HushError } from '@hush/interface';

/** Why a message could not be wrapped, opened, parsed or delivered. */
export type MessageErrorCode =
  // wrap (SPEC §5.6)
  | 'no-key'
  | 'bad-key-size'
  | 'zero-key'
  | 'bad-public-key'
  | 'bad-private-key'
  | 'too-large'
  // open (SPEC §5.3, §5.4)
  | 'too-short'
  | 'decrypt-failed'
  | 'bad-ephemeral-key'
  // parse (SPEC §5.2)
  | 'empty-plaintext'
  | 'signature-too-short'
  | 'bad-signature'
  | 'size-field-truncated'
  | 'payload-size-overflow'
  // filter (SPEC §5.7)
  | 'filter-keys'
  | 'topic-mismatch'
  | 'filter-pow'
  | 'p2p-not-allowed'
  | 'missing-signature'
  | 'signer-mismatch';

/** A message that cannot be wrapped, opened, parsed, or delivered to a filter. */
export class MessageError extends HushError<MessageErrorCode> {
  override readonly name = 'MessageError';
}
