/**
 * The package's one error type: a `HushError` whose `code` says why a packet, a command or
 * a SURB was refused, so a mix counts drops by reason.
 */
import { HushError, type HushErrorOptions } from '@hush/interface';

/** Why a Sphinx operation refused its input. */
export type SphinxErrorCode =
  /** Shorter than the geometry's packet, or longer. */
  | 'truncated'
  /** The additional data is not `00 00`. */
  | 'bad-version'
  /** The group element is not a usable X25519 public key (a low-order point). */
  | 'bad-element'
  /** The header MAC does not verify. */
  | 'bad-mac'
  /** A routing command is unknown, cut short or repeated. */
  | 'bad-command'
  /** The final payload's zero tag is not zero: the payload was tampered with. */
  | 'bad-tag'
  /** A path or payload that does not fit the geometry. */
  | 'bad-path'
  /** A mix-link frame that does not parse. */
  | 'bad-frame'
  /** A gateway refused or could not answer a client (closed link, no answer in time). */
  | 'gateway-failed'
  /** A carried message (§13.5) with an unknown kind or flag, or cut short. */
  | 'bad-payload'
  /** Text that is not a mixnet address (`<64 hex>@<64 hex>`). */
  | 'bad-address';

/** A Sphinx failure. */
export class SphinxError extends HushError<SphinxErrorCode> {
  override readonly name = 'SphinxError';

  constructor(code: SphinxErrorCode, message: string, options: HushErrorOptions = {}) {
    super(code, message, options);
  }
}
