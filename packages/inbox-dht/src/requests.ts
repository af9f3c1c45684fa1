/**
 * Fetch, delete and restore requests signed by the inbox key (specs/inbox-dht/SPEC.md §6.1):
 * the operation, the location, a timestamp the holder accepts within ±60 s of its clock, a
 * random nonce (so that two requests alike in every other field differ), and the body: a
 * query and a page for a fetch, item ids for a delete or a restore. The signature is over a
 * domain-separated RLP of all of it.
 */
import { encodeBytes, encodeList, encodeUint, RlpError, RlpStream } from '@hush/rlp';
import { ed25519 } from '@noble/curves/ed25519.js';
import { randomBytes } from '@noble/hashes/utils.js';
import { DhtError } from './errors.js';
import { LOCATION_LENGTH, SIGNATURE_LENGTH } from './location.js';

/** What the signature of a request is over, first (domain separation). */
export const REQUEST_DOMAIN = new TextEncoder().encode('hush-dht/1 request');
/** Bytes of a request nonce. */
export const NONCE_LENGTH = 16;
/** Bytes of an item id: sent (uint32 big-endian) ‖ envelope hash. */
export const ITEM_ID_LENGTH = 36;
/** The most ids one delete or restore names. */
export const MAX_REQUEST_IDS = 256;
/** The most topics one fetch names. */
export const MAX_REQUEST_TOPICS = 64;
/** The largest page one fetch asks for. */
export const MAX_FETCH_LIMIT = 1000;
/** The largest request encoding a decoder reads. */
export const MAX_REQUEST_LENGTH = 16 * 1024;
/** How far a request's timestamp may be from the holder's clock, ms (±). */
export const REQUEST_WINDOW_MS = 60_000;

/** The operations, as numbered on the wire. */
export const REQUEST_OPS = { fetch: 1, delete: 2, restore: 3 } as const;
export type RequestOp = keyof typeof REQUEST_OPS;

/** What a fetch asks for (the `InboxQuery` of @hush/interface, made total). */
export interface FetchQuery {
  /** Creation time (expiry − ttl), unix seconds, inclusive. */
  readonly from: number;
  /** Creation time, unix seconds, inclusive. */
  readonly to: number;
  /** Exactly these topics when not empty. */
  readonly topics: readonly Uint8Array[];
  /** A 64-byte topic bloom, or empty for none (ignored when topics are given). */
  readonly bloom: Uint8Array;
  /** 1 … MAX_FETCH_LIMIT. */
  readonly limit: number;
  /** Empty, or the 36-byte id of the last item of the previous page. */
  readonly cursor: Uint8Array;
}

interface RequestHead {
  /** 32 bytes. */
  readonly location: Uint8Array;
  /** Milliseconds since the Unix epoch (uint64 range, as a safe integer). */
  readonly timestamp: number;
  /** NONCE_LENGTH random bytes. */
  readonly nonce: Uint8Array;
}

/** A request before it is signed. */
export type UnsignedRequest =
  | (RequestHead & { readonly op: 'fetch'; readonly query: FetchQuery })
  | (RequestHead & { readonly op: 'delete' | 'restore'; readonly ids: readonly Uint8Array[] });

/** A request with the inbox key's signature. */
export type SignedRequest = UnsignedRequest & { readonly signature: Uint8Array };

function malformed(message: string, cause?: unknown): DhtError {
  return new DhtError('malformed', `request: ${message}`, cause ? { cause } : {});
}

function u32(value: number): boolean {
  return Number.isInteger(value) && value >= 0 && value <= 0xffffffff;
}

/**
 * Checks every field's type and range.
 *
 * @throws DhtError 'malformed' naming the field
 */
export function assertRequest(request: UnsignedRequest): void {
  if (!(request.op in REQUEST_OPS)) throw malformed(`unknown operation ${String(request.op)}`);
  if (!(request.location instanceof Uint8Array) || request.location.length !== LOCATION_LENGTH)
    throw malformed(`location must be ${LOCATION_LENGTH} bytes`);
  if (!Number.isSafeInteger(request.timestamp) || request.timestamp < 0)
    throw malformed('timestamp must be a non-negative safe integer of ms');
  if (!(request.nonce instanceof Uint8Array) || request.nonce.length !== NONCE_LENGTH)
    throw malformed(`nonce must be ${NONCE_LENGTH} bytes`);
  if (request.op === 'fetch') {
    const q = request.query;
    if (!u32(q.from) || !u32(q.to)) throw malformed('from and to must be uint32 seconds');
    if (!Array.isArray(q.topics) || q.topics.length > MAX_REQUEST_TOPICS)
      throw malformed(`at most ${MAX_REQUEST_TOPICS} topics`);
    for (const topic of q.topics)
      if (!(topic instanceof Uint8Array) || topic.length !== 4)
        throw malformed('a topic is 4 bytes');
    if (!(q.bloom instanceof Uint8Array) || (q.bloom.length !== 0 && q.bloom.length !== 64))
      throw malformed('bloom must be empty or 64 bytes');
    if (!Number.isInteger(q.limit) || q.limit < 1 || q.limit > MAX_FETCH_LIMIT)
      throw malformed(`limit must be 1 … ${MAX_FETCH_LIMIT}`);
    if (!(q.cursor instanceof Uint8Array) || (q.cursor.length !== 0 && q.cursor.length !== 36))
      throw malformed(`cursor must be empty or ${ITEM_ID_LENGTH} bytes`);
  } else {
    if (!Array.isArray(request.ids) || request.ids.length > MAX_REQUEST_IDS)
      throw malformed(`at most ${MAX_REQUEST_IDS} ids`);
    for (const id of request.ids)
      if (!(id instanceof Uint8Array) || id.length !== ITEM_ID_LENGTH)
        throw malformed(`an id is ${ITEM_ID_LENGTH} bytes`);
  }
}

/** The encoded fields: op, location, timestamp, nonce, body. */
function encodedFields(request: UnsignedRequest): Uint8Array[] {
  let body: Uint8Array;
  if (request.op === 'fetch') {
    const q = request.query;
    body = encodeList([
      encodeUint(q.from),
      encodeUint(q.to),
      encodeList(q.topics.map((topic) => encodeBytes(topic))),
      encodeBytes(q.bloom),
      encodeUint(q.limit),
      encodeBytes(q.cursor),
    ]);
  } else {
    body = encodeList(request.ids.map((id) => encodeBytes(id)));
  }
  return [
    encodeUint(REQUEST_OPS[request.op]),
    encodeBytes(request.location),
    encodeUint(request.timestamp),
    encodeBytes(request.nonce),
    body,
  ];
}

/**
 * What the inbox key signs: RLP [domain, op, location, timestamp, nonce, body] (§6.1).
 *
 * @throws DhtError 'malformed' naming a bad field
 */
export function requestSigningBytes(request: UnsignedRequest): Uint8Array {
  assertRequest(request);
  return encodeList([encodeBytes(REQUEST_DOMAIN), ...encodedFields(request)]);
}

/**
 * Signs a request with the inbox secret key.
 *
 * @throws DhtError 'malformed' naming a bad field
 */
export function signRequest(request: UnsignedRequest, secretKey: Uint8Array): SignedRequest {
  const signature = ed25519.sign(requestSigningBytes(request), secretKey);
  return { ...request, signature };
}

/**
 * A fresh 16-byte request nonce from `random` (default: the platform's CSPRNG).
 *
 * @throws RangeError when `random` gives anything but 16 bytes
 */
export function requestNonce(random: (length: number) => Uint8Array = randomBytes): Uint8Array {
  const nonce = random(NONCE_LENGTH);
  if (!(nonce instanceof Uint8Array) || nonce.length !== NONCE_LENGTH)
    throw new RangeError(`random: must give ${NONCE_LENGTH} bytes`);
  return nonce;
}

/**
 * The request's encoding: RLP [op, location, timestamp, nonce, body, signature] (§6.1).
 *
 * @throws DhtError 'malformed' naming a bad field
 */
export function encodeRequest(request: SignedRequest): Uint8Array {
  assertRequest(request);
  if (!(request.signature instanceof Uint8Array) || request.signature.length !== SIGNATURE_LENGTH)
    throw malformed(`signature must be ${SIGNATURE_LENGTH} bytes`);
  return encodeList([...encodedFields(request), encodeBytes(request.signature)]);
}

function endList(s: RlpStream, what: string): void {
  if (!s.atListEnd()) throw malformed(`${what} has more items than it may`);
  s.leave();
}

/**
 * Decodes a request strictly: canonical RLP, exactly the fields of its operation, every
 * length and range as §6.1 says. The signature is not checked here (`verifyRequest`).
 *
 * @throws DhtError 'malformed' naming the rule that failed
 */
export function decodeRequest(bytes: Uint8Array): SignedRequest {
  if (!(bytes instanceof Uint8Array)) throw malformed('not bytes');
  if (bytes.length > MAX_REQUEST_LENGTH) throw malformed(`longer than ${MAX_REQUEST_LENGTH} bytes`);
  try {
    const s = new RlpStream(bytes);
    s.list();
    const code = s.uintNumber(1);
    const op = (Object.keys(REQUEST_OPS) as RequestOp[]).find((key) => REQUEST_OPS[key] === code);
    if (!op) throw malformed(`unknown operation ${code}`);
    const location = s.string();
    const timestamp = s.uintNumber(6);
    const nonce = s.string();
    s.list();
    let request: SignedRequest;
    const head = { location, timestamp, nonce };
    if (op === 'fetch') {
      const from = s.uintNumber(4);
      const to = s.uintNumber(4);
      const topics: Uint8Array[] = [];
      s.list();
      while (!s.atListEnd()) {
        if (topics.length === MAX_REQUEST_TOPICS)
          throw malformed(`at most ${MAX_REQUEST_TOPICS} topics`);
        topics.push(s.string());
      }
      s.leave();
      const bloom = s.string();
      const limit = s.uintNumber(4);
      const cursor = s.string();
      endList(s, 'the fetch body');
      const signature = s.string();
      request = { op, ...head, query: { from, to, topics, bloom, limit, cursor }, signature };
    } else {
      const ids: Uint8Array[] = [];
      while (!s.atListEnd()) {
        if (ids.length === MAX_REQUEST_IDS) throw malformed(`at most ${MAX_REQUEST_IDS} ids`);
        ids.push(s.string());
      }
      s.leave();
      const signature = s.string();
      request = { op, ...head, ids, signature };
    }
    endList(s, 'the request');
    if (!s.atEnd()) throw malformed('bytes after the request');
    if (request.signature.length !== SIGNATURE_LENGTH)
      throw malformed(`signature must be ${SIGNATURE_LENGTH} bytes`);
    assertRequest(request);
    return request;
  } catch (error) {
    if (error instanceof RlpError) throw malformed(error.message, error);
    throw error;
  }
}

/**
 * Checks the inbox key's signature over the request (strict RFC 8032 verification).
 *
 * @throws DhtError 'bad-signature' when it does not verify; 'malformed' for a bad field
 */
export function verifyRequest(request: SignedRequest, inboxKey: Uint8Array): void {
  const message = requestSigningBytes(request);
  let ok = false;
  try {
    ok = ed25519.verify(request.signature, message, inboxKey, { zip215: false });
  } catch {
    ok = false;
  }
  if (!ok) throw new DhtError('bad-signature', 'request: the signature does not verify');
}
