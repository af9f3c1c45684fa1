/** The client's errors. */
import { HushError } from '@hush/interface';

/** Why the client refused. */
export type ClientErrorCode =
  /** The registry holds as many filters as it may. */
  | 'full'
  /** The owner (one RPC client, one browser tab) holds as many filters as one owner may. */
  | 'quota'
  /** A filter names a key id the key store does not hold. */
  | 'unknown-key'
  /** A filter's criteria cannot work: both keys or none, a malformed signer key. */
  | 'invalid-filter'
  /** The client was closed. */
  | 'closed';

/** A client operation refused; `code` says why. */
export class ClientError extends HushError<ClientErrorCode> {
  override readonly name = 'ClientError';
}
