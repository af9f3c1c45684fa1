/**
 * The mailserver request (Status's 4/WHISPER-MAILSERVER layout): the payload of a symmetric,
 * signed request envelope is RLP [lower, upper, bloom (64 bytes), limit, cursor], with
 * lower/upper the creation times (unix seconds) of the oldest and newest envelopes wanted.
 */
import { encodeBytes, encodeList, encodeUint, RlpStream } from '@hush/transport-gossip';

/** What a client asks a mailserver for. */
export interface HistoryRequest {
  readonly lower: number;
  readonly upper: number;
  readonly bloom: Uint8Array;
  readonly limit: number;
  /** Empty for the first page; the cursor the last page ended with for the next. */
  readonly cursor: Uint8Array;
}

/** Encodes a request payload. */
export function encodeHistoryRequest(request: HistoryRequest): Uint8Array {
  return encodeList([
    encodeUint(request.lower),
    encodeUint(request.upper),
    encodeBytes(request.bloom),
    encodeUint(request.limit),
    encodeBytes(request.cursor),
  ]);
}

/**
 * Decodes a request payload.
 *
 * @throws RangeError when it is not a valid request
 */
export function decodeHistoryRequest(payload: Uint8Array): HistoryRequest {
  try {
    const s = new RlpStream(payload);
    s.list();
    const lower = Number(s.uint(4));
    const upper = Number(s.uint(4));
    const bloom = s.string();
    const limit = Number(s.uint(4));
    let cursor: Uint8Array = new Uint8Array(0);
    try {
      cursor = s.string();
    } catch {
      // No cursor: the first page.
    }
    if (bloom.length !== 64) throw new Error('bloom must be 64 bytes');
    return { lower, upper, bloom, limit, cursor };
  } catch (error) {
    throw new RangeError(`invalid mailserver request: ${(error as Error).message}`);
  }
}
