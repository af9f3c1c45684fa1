/**
 * The p2pRequestComplete body (specs/mailserver §5.2, §5.3): one byte string, either
 * requestId (32) ‖ lastEnvelopeHash (32) ‖ cursor when a request was answered, or Status's
 * `ERROR=` ‖ requestId (32) ‖ reason (UTF-8) when it failed. The mailserver encodes it, the
 * gossip engine carries it opaque (code 125), the client decodes it.
 */
import { MailserverError } from './errors.js';

/** Status's prefix of a failed request's body. */
const FAILED_PREFIX = new TextEncoder().encode('ERROR=');
/** Longest failure reason sent, in characters. */
const MAX_REASON = 256;

/** What a mailserver's completion says. */
export interface RequestCompletion {
  /** The hash of the request envelope answered. */
  readonly requestId: Uint8Array;
  /** The hash of the page's last envelope (zeros when empty, or on failure). */
  readonly lastEnvelopeHash: Uint8Array;
  /** Where the next page starts; empty on the last page and on failure. */
  readonly cursor: Uint8Array;
  /** The mailserver's reason when the request failed (never empty then); else undefined. */
  readonly error: string | undefined;
}

/**
 * The body of an answered request: requestId ‖ lastEnvelopeHash ‖ cursor.
 *
 * @throws RangeError if `requestId` or `lastEnvelopeHash` is not 32 bytes
 */
export function encodeRequestComplete(
  requestId: Uint8Array,
  lastEnvelopeHash: Uint8Array,
  cursor: Uint8Array,
): Uint8Array {
  if (requestId.length !== 32 || lastEnvelopeHash.length !== 32)
    throw new RangeError('requestId and lastEnvelopeHash must be 32 bytes');
  const body = new Uint8Array(64 + cursor.length);
  body.set(requestId, 0);
  body.set(lastEnvelopeHash, 32);
  body.set(cursor, 64);
  return body;
}

/**
 * The body of a failed request: `ERROR=` ‖ requestId ‖ the reason (UTF-8, cut to 256
 * characters).
 *
 * @throws RangeError if `requestId` is not 32 bytes
 */
export function encodeRequestFailed(requestId: Uint8Array, reason: string): Uint8Array {
  if (requestId.length !== 32) throw new RangeError('requestId must be 32 bytes');
  const text = new TextEncoder().encode(reason.slice(0, MAX_REASON));
  const body = new Uint8Array(FAILED_PREFIX.length + 32 + text.length);
  body.set(FAILED_PREFIX, 0);
  body.set(requestId, FAILED_PREFIX.length);
  body.set(text, FAILED_PREFIX.length + 32);
  return body;
}

/**
 * Reads a completion body in either form. A body starting with `ERROR=` is a failure (a
 * successful completion whose requestId starts so is read as one too, as in Status).
 *
 * @throws MailserverError 'invalid-completion' when it is too short for its form
 * @example
 * ```ts
 * gossip.engine.on('p2p:complete', ({ payload }) => {
 *   const { requestId, cursor, error } = decodeRequestComplete(payload);
 * });
 * ```
 */
export function decodeRequestComplete(body: Uint8Array): RequestCompletion {
  if (FAILED_PREFIX.every((byte, i) => body[i] === byte)) {
    const rest = body.subarray(FAILED_PREFIX.length);
    if (rest.length < 32)
      throw new MailserverError('invalid-completion', 'request-failed message too short');
    return {
      requestId: rest.slice(0, 32),
      lastEnvelopeHash: new Uint8Array(32),
      cursor: new Uint8Array(0),
      error: new TextDecoder().decode(rest.subarray(32)) || 'request failed',
    };
  }
  if (body.length < 64)
    throw new MailserverError('invalid-completion', 'request-complete message too short');
  return {
    requestId: body.slice(0, 32),
    lastEnvelopeHash: body.slice(32, 64),
    cursor: body.slice(64),
    error: undefined,
  };
}
