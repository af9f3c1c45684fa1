/**
 * The web app's one error type: a `HushError` whose `code` says what failed, so the UI shows
 * each case its own way and tests match on the code.
 */
import { HushError, type HushErrorOptions } from '@hush/interface';

/** Why a web app operation failed. */
export type WebErrorCode =
  /** The passphrase does not open the vault (AES-GCM authentication failed). */
  | 'wrong-passphrase'
  /** There is no identity yet, or one already exists where a new one was asked for. */
  | 'no-identity'
  | 'identity-exists'
  /** An imported file is not a Hush identity file this version can read. */
  | 'bad-identity-file'
  /** A pasted contact key is not an uncompressed secp256k1 public key. */
  | 'bad-public-key'
  /** The vault is locked: no key is in memory. */
  | 'locked'
  /** Another tab has this identity unlocked. */
  | 'in-use'
  /** The page is not a secure context (plain http to a host that is not this machine). */
  | 'insecure-context'
  /** The node's /hush-web.json is missing or malformed. */
  | 'bad-config'
  /** A message is too large for the node's limit, or for one mixnet packet. */
  | 'too-large'
  /**
   * The mixnet cannot take a message now: the node offers none, no directory that verifies
   * is held for this epoch, or the gateway link is down (the reason says which).
   */
  | 'mixnet-unavailable'
  /** A stored record failed authentication (corrupted or written under another key). */
  | 'corrupt-record';

/** An error of the web app. */
export class WebError extends HushError<WebErrorCode> {
  override readonly name = 'WebError';

  constructor(code: WebErrorCode, message: string, options: HushErrorOptions = {}) {
    super(code, message, options);
  }
}

/** What to tell the user about an error: its own message, or a plain fallback. */
export function errorText(error: unknown): string {
  if (error instanceof Error && error.message) return error.message;
  return `something went wrong: ${String(error)}`;
}
