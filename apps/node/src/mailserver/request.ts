/**
 * The mailserver request (Status's 4/WHISPER-MAILSERVER layout): the payload of a symmetric,
 * signed request envelope is RLP [lower, upper, bloom (64 bytes), topics, limit, cursor,
 * batch] as status-go has sent it since 2020, with lower/upper the creation times (unix
 * seconds) of the oldest and newest envelopes wanted. Older clients' [lower, upper, bloom,
 * limit, cursor] and [..., batch] are read too (the fourth item being a list tells the forms
 * apart). A non-empty topic list replaces the bloom filter (exact topics).
 */
import { encodeBytes, encodeList, encodeUint, RlpStream } from '@hush/transport-gossip';

/** Bytes of a cursor: the creation time (4, big-endian) and hash (32) of a page's last envelope. */
export const CURSOR_LENGTH = 36;

/** Topics a request may list. */
const MAX_TOPICS = 1000;

/** What a client asks a mailserver for. */
export interface HistoryRequest {
  readonly lower: number;
  readonly upper: number;
  readonly bloom: Uint8Array;
  readonly limit: number;
  /** Empty for the first page; the cursor the last page ended with for the next. */
  readonly cursor: Uint8Array;
  /** Exact topics (4 bytes each); when non-empty they are used instead of the bloom. */
  readonly topics: readonly Uint8Array[];
}

/** Encodes a request payload in status-go's current seven-item order (batch is always true). */
export function encodeHistoryRequest(request: HistoryRequest): Uint8Array {
  return encodeList([
    encodeUint(request.lower),
    encodeUint(request.upper),
    encodeBytes(request.bloom),
    encodeList(request.topics.map((topic) => encodeBytes(topic))),
    encodeUint(request.limit),
    encodeBytes(request.cursor),
    encodeUint(1),
  ]);
}

/**
 * Decodes a request payload in any of the three forms.
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
    const topics: Uint8Array[] = [];
    if (s.nextIsList()) {
      s.list();
      while (!s.atListEnd()) {
        const topic = s.string();
        if (topic.length !== 4) throw new Error('a topic must be 4 bytes');
        if (topics.length >= MAX_TOPICS) throw new Error(`more than ${MAX_TOPICS} topics`);
        topics.push(topic);
      }
      s.leave();
    }
    const limit = Number(s.uint(4));
    const cursor = s.string();
    if (!s.atListEnd()) s.bool(); // batch: Hush always answers with lists
    if (bloom.length !== 64) throw new Error('bloom must be 64 bytes');
    if (cursor.length !== 0 && cursor.length !== CURSOR_LENGTH)
      throw new Error(`cursor must be empty or ${CURSOR_LENGTH} bytes`);
    return { lower, upper, bloom, limit, cursor, topics };
  } catch (error) {
    throw new RangeError(`invalid mailserver request: ${(error as Error).message}`);
  }
}

/** Status's prefix of a failed request's p2pRequestComplete body. */
const FAILED_PREFIX = new TextEncoder().encode('ERROR=');
/** Longest failure reason sent, in characters. */
const MAX_REASON = 256;

/** What a mailserver's p2pRequestComplete says. */
export type RequestCompletion =
  | {
      readonly requestId: Uint8Array;
      readonly lastEnvelopeHash: Uint8Array;
      /** Where the next page starts; empty on the last page. */
      readonly cursor: Uint8Array;
      readonly error: undefined;
    }
  | {
      readonly requestId: Uint8Array;
      readonly lastEnvelopeHash: Uint8Array;
      readonly cursor: Uint8Array;
      /** The mailserver's reason (never empty). */
      readonly error: string;
    };

/** The body of an answered request: requestId (32) ‖ lastEnvelopeHash (32) ‖ cursor. */
export function encodeRequestComplete(
  requestId: Uint8Array,
  lastEnvelopeHash: Uint8Array,
  cursor: Uint8Array,
): Uint8Array {
  const body = new Uint8Array(64 + cursor.length);
  body.set(requestId.subarray(0, 32), 0);
  body.set(lastEnvelopeHash.subarray(0, 32), 32);
  body.set(cursor, 64);
  return body;
}

/** The body of a failed request: `ERROR=` ‖ requestId (32) ‖ the reason (UTF-8, ≤ 256 chars). */
export function encodeRequestFailed(requestId: Uint8Array, reason: string): Uint8Array {
  const text = new TextEncoder().encode(reason.slice(0, MAX_REASON));
  const body = new Uint8Array(FAILED_PREFIX.length + 32 + text.length);
  body.set(FAILED_PREFIX, 0);
  body.set(requestId.subarray(0, 32), FAILED_PREFIX.length);
  body.set(text, FAILED_PREFIX.length + 32);
  return body;
}

/**
 * Reads a p2pRequestComplete body in either form.
 *
 * @throws RangeError when it is too short for its form
 */
export function decodeRequestComplete(body: Uint8Array): RequestCompletion {
  if (FAILED_PREFIX.every((byte, i) => body[i] === byte) && body.length >= FAILED_PREFIX.length) {
    const rest = body.subarray(FAILED_PREFIX.length);
    if (rest.length < 32) throw new RangeError('request-failed message too short');
    return {
      requestId: rest.slice(0, 32),
      lastEnvelopeHash: new Uint8Array(32),
      cursor: new Uint8Array(0),
      error: new TextDecoder().decode(rest.subarray(32)) || 'request failed',
    };
  }
  if (body.length < 64) throw new RangeError('request-complete message too short');
  return {
    requestId: body.slice(0, 32),
    lastEnvelopeHash: body.slice(32, 64),
    cursor: body.slice(64),
    error: undefined,
  };
}
