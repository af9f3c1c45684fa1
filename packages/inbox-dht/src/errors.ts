/** Errors of the DHT inbox (specs/inbox-dht/SPEC.md); callers match on `code`. */
import { HushError } from '@hush/interface';

/** Why a DHT-inbox operation failed. */
export type DhtErrorCode =
  /** Bytes that are not a message of this version. */
  | 'malformed'
  /** A signature that does not verify, or a request outside its time window. */
  | 'bad-signature'
  /** A descriptor whose seq is not above the one held (or a failed compare-and-swap). */
  | 'stale'
  /** Below the location's minimum PoW, over its size or TTL cap. */
  | 'refused'
  /** The holder has no room (it never evicts unexpired items). */
  | 'full'
  /** Past a per-location or per-peer quota or rate. */
  | 'quota'
  /** The operation was given up: closed, aborted or timed out. */
  | 'closed'
  /** Not a DHT address (`<128 hex digits>@ws://host:port`) or endpoint. */
  | 'bad-address';

/** A DHT-inbox failure. */
export class DhtError extends HushError<DhtErrorCode> {
  override readonly name = 'DhtError';
}
