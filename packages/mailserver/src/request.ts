/**
 * The mailserver request (specs/mailserver §2; Status's 4/WHISPER-MAILSERVER layout): the
 * payload of a symmetric, signed request envelope is RLP [lower, upper, bloom (64 bytes),
 * topics, limit, cursor, batch] as status-go has sent it since 2020, with lower/upper the
 * creation times (unix seconds) of the oldest and newest envelopes wanted. Older clients'
 * [lower, upper, bloom, limit, cursor] and [..., batch] are read too (the fourth item being a
 * list tells the forms apart). A non-empty topic list replaces the bloom filter (exact topics).
 */
import type { CryptoBackend } from '@hush/crypto';
import type { Envelope } from '@hush/envelope';
import { wrapMessage } from '@hush/message';
import { encodeBytes, encodeList, encodeUint, RlpStream } from '@hush/rlp';
import { MailserverError } from './errors.js';

/** Bytes of a cursor: the creation time (4, big-endian) and hash (32) of a page's last envelope. */
export const CURSOR_LENGTH = 36;

/** Topics a request may list. */
export const MAX_REQUEST_TOPICS = 1000;

/** What a client asks a mailserver for. */
export interface HistoryRequest {
  /** Creation time (unix seconds) of the oldest envelope wanted. */
  readonly lower: number;
  /** Creation time of the newest envelope wanted; 0 asks for "now". */
  readonly upper: number;
  /** 64 bytes; used when `topics` is empty. */
  readonly bloom: Uint8Array;
  /** Envelopes per page; 0 lets the mailserver choose. */
  readonly limit: number;
  /** Empty for the first page; the cursor the last page ended with for the next. */
  readonly cursor: Uint8Array;
  /** Exact topics (4 bytes each); when non-empty they are used instead of the bloom. */
  readonly topics: readonly Uint8Array[];
}

/**
 * Encodes a request payload in status-go's current seven-item order (batch is always true).
 *
 * @throws RangeError if `lower`, `upper` or `limit` is not a uint
 */
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
 * @throws MailserverError 'invalid-request' when it is not a valid request (the RLP, a bloom
 *   other than 64 bytes, a topic other than 4 bytes, over 1000 topics, a cursor neither empty
 *   nor 36 bytes)
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
        if (topics.length >= MAX_REQUEST_TOPICS)
          throw new Error(`more than ${MAX_REQUEST_TOPICS} topics`);
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
    throw new MailserverError(
      'invalid-request',
      `invalid mailserver request: ${(error as Error).message}`,
      { cause: error },
    );
  }
}

/** What {@link createHistoryRequest} needs. */
export interface CreateHistoryRequestOptions {
  readonly request: HistoryRequest;
  /** The key shared with the mailserver (from its password). */
  readonly symKey: Uint8Array;
  /** The requester's private key: a mailserver answers signed requests only. */
  readonly signingKey: Uint8Array;
  readonly backend?: CryptoBackend;
}

/**
 * The client side of §2.1: the request envelope (topic 0, no proof of work) carrying the
 * encoded request, encrypted with the mailserver's key and signed by the requester. Its hash
 * is the request id the completion names.
 *
 * @throws MessageError of `@hush/message` for an unusable key
 * @throws RangeError for a request field out of range
 * @example
 * ```ts
 * const envelope = await createHistoryRequest({
 *   request: { lower: 0, upper: 0, bloom: fullBloom(), limit: 100, cursor: new Uint8Array(0), topics: [] },
 *   symKey: symKeyFromPassword('status-offline-inbox'),
 *   signingKey: generatePrivateKey(),
 * });
 * gossip.engine.sendRequest(mailserverId, envelope);
 * ```
 */
export function createHistoryRequest(options: CreateHistoryRequestOptions): Promise<Envelope> {
  return wrapMessage({
    topic: new Uint8Array(4),
    payload: encodeHistoryRequest(options.request),
    symKey: options.symKey,
    signingKey: options.signingKey,
    pow: 0,
    workTime: 0,
    ...(options.backend ? { backend: options.backend } : {}),
  });
}
