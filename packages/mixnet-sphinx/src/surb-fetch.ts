/**
 * Fetching a queue through SURBs (specs/mixnet-sphinx/SPEC.md §11.2): a client whose queue is
 * kept at gateway G need never link to G. It sends G, through the mixnet like any packet, a
 * signed fetch request carrying SURBs whose routes end at the gateway it does link to; G
 * answers on each SURB with one queued message (or with random bytes when it has no more), and
 * deletes what the next request acknowledges (zero bytes answer a SURB when nothing is left).
 * G learns neither where its client is nor who sends to it; the client's own gateway sees only
 * SURB replies it cannot read.
 *
 * A request is the data of a §13.1 message to the fetch recipient (32 bytes of 0xff) at G:
 *
 *   u8 version (1) ‖ u64 issuedAt (ms) ‖ u8 n ‖ u8 m ‖ m × ack (16) ‖ n × SURB ‖ signature (65)
 *
 * The signature (r ‖ s ‖ recovery id, secp256k1) is over SHA-256("hush-mix-fetch/1" ‖ G's id ‖
 * every byte before it); the queue is SHA-256 of the 64-byte public key it recovers to, so only
 * the queue's owner fetches it. An ack is the first 16 bytes of SHA-256 of a message's payload.
 */
import type { Identity, IdentityVerifier } from '@hush/interface';
import { sha256 } from '@noble/hashes/sha2.js';
import { mixNodeId } from './directory.js';
import { SphinxError } from './errors.js';
import { type Geometry, NODE_ID_LENGTH } from './geometry.js';

/** The recipient id a gateway reads fetch requests for (32 bytes of 0xff). */
export const FETCH_RECIPIENT = new Uint8Array(NODE_ID_LENGTH).fill(0xff);
/** The length of an acknowledgement: a message's id. */
export const FETCH_ACK_LENGTH = 16;
/** How far a request's issuedAt may be from the gateway's clock, ms. */
export const FETCH_CLOCK_SKEW_MS = 5 * 60_000;

const VERSION = 1;
const HEADER_LENGTH = 1 + 8 + 1 + 1;
const SIGNATURE_LENGTH = 65;
const DOMAIN = new TextEncoder().encode('hush-mix-fetch/1');
/** The u32 length prefix of a §13.1 message. */
const LENGTH_PREFIX = 4;

/** A fetch request, as its owner makes it. */
export interface FetchRequest {
  readonly issuedAt: number;
  /** Ids of messages received (see `fetchMessageId`): the gateway deletes them. */
  readonly acks: readonly Uint8Array[];
  /** SURBs for the answers, one message each. */
  readonly surbs: readonly Uint8Array[];
}

/** A fetch request as the gateway reads it. */
export interface ReadFetchRequest extends FetchRequest {
  /** The queue it fetches: SHA-256 of the identity that signed it. */
  readonly queue: Uint8Array;
}

/**
 * The id a message is acknowledged by: the first 16 bytes of SHA-256 of its payload.
 *
 * @throws nothing
 */
export function fetchMessageId(payload: Uint8Array): Uint8Array {
  return sha256(payload).subarray(0, FETCH_ACK_LENGTH);
}

/**
 * The most SURBs a request of this geometry carries (with no acks).
 *
 * @throws nothing
 */
export function maxFetchSurbs(geometry: Geometry): number {
  const room = geometry.userPayloadLength - LENGTH_PREFIX - HEADER_LENGTH - SIGNATURE_LENGTH;
  return Math.max(0, Math.min(255, Math.floor(room / geometry.surbLength)));
}

/**
 * The SURBs a request carries by default: as many as fit while leaving an ack's room for each
 * (each answer is acked in the next request, so acks keep up with answers).
 *
 * @throws nothing
 */
export function defaultFetchSurbs(geometry: Geometry): number {
  const room = geometry.userPayloadLength - LENGTH_PREFIX - HEADER_LENGTH - SIGNATURE_LENGTH;
  return Math.max(0, Math.min(255, Math.floor(room / (geometry.surbLength + FETCH_ACK_LENGTH))));
}

/**
 * The most acks a request with `surbs` SURBs carries.
 *
 * @throws nothing
 */
export function maxFetchAcks(geometry: Geometry, surbs: number): number {
  const room =
    geometry.userPayloadLength -
    LENGTH_PREFIX -
    HEADER_LENGTH -
    SIGNATURE_LENGTH -
    surbs * geometry.surbLength;
  return Math.max(0, Math.min(255, Math.floor(room / FETCH_ACK_LENGTH)));
}

function digest(gateway: Uint8Array, signed: Uint8Array): Uint8Array {
  const input = new Uint8Array(DOMAIN.length + gateway.length + signed.length);
  input.set(DOMAIN);
  input.set(gateway, DOMAIN.length);
  input.set(signed, DOMAIN.length + gateway.length);
  return sha256(input);
}

/**
 * Encodes and signs a fetch request for the queue of `identity` at `gateway`.
 *
 * @example
 * ```ts
 * const data = encodeFetchRequest(geometry, inboxGateway, identity, { issuedAt: Date.now(), acks, surbs });
 * loopix.send({ id: FETCH_RECIPIENT, gateway: inboxGateway }, data);
 * ```
 * @throws RangeError for no SURB or more than fit, too many acks, a SURB or ack of the wrong
 *   length, a gateway id not of 32 bytes, an issuedAt that is not a whole number ≥ 0
 */
export function encodeFetchRequest(
  geometry: Geometry,
  gateway: Uint8Array,
  identity: Pick<Identity, 'sign'>,
  request: FetchRequest,
): Uint8Array {
  if (gateway.length !== NODE_ID_LENGTH) throw new RangeError('gateway: an id is 32 bytes');
  const n = request.surbs.length;
  if (n < 1 || n > maxFetchSurbs(geometry))
    throw new RangeError(`request.surbs: 1 to ${maxFetchSurbs(geometry)} SURBs`);
  if (request.acks.length > maxFetchAcks(geometry, n))
    throw new RangeError(`request.acks: at most ${maxFetchAcks(geometry, n)} with ${n} SURBs`);
  if (!Number.isSafeInteger(request.issuedAt) || request.issuedAt < 0)
    throw new RangeError('request.issuedAt must be a whole number of ms');
  const signedLength =
    HEADER_LENGTH + request.acks.length * FETCH_ACK_LENGTH + n * geometry.surbLength;
  const out = new Uint8Array(signedLength + SIGNATURE_LENGTH);
  const view = new DataView(out.buffer);
  out[0] = VERSION;
  view.setBigUint64(1, BigInt(request.issuedAt));
  out[9] = n;
  out[10] = request.acks.length;
  let at = HEADER_LENGTH;
  for (const ack of request.acks) {
    if (ack.length !== FETCH_ACK_LENGTH) throw new RangeError('request.acks: ids are 16 bytes');
    out.set(ack, at);
    at += FETCH_ACK_LENGTH;
  }
  for (const surb of request.surbs) {
    if (surb.length !== geometry.surbLength)
      throw new RangeError(`request.surbs: SURBs are ${geometry.surbLength} bytes`);
    out.set(surb, at);
    at += geometry.surbLength;
  }
  out.set(identity.sign(digest(gateway, out.subarray(0, signedLength))), signedLength);
  return out;
}

/**
 * Reads and checks a fetch request that came to `gateway`.
 *
 * @throws SphinxError 'bad-payload' for a request that does not parse, whose signature
 *   recovers to no key, or whose issuedAt is more than 5 minutes from `now`
 */
export function decodeFetchRequest(
  geometry: Geometry,
  gateway: Uint8Array,
  verifier: IdentityVerifier,
  data: Uint8Array,
  now: number,
): ReadFetchRequest {
  const bad = (why: string) => new SphinxError('bad-payload', `fetch request: ${why}`);
  if (data.length < HEADER_LENGTH + SIGNATURE_LENGTH) throw bad('too short');
  if (data[0] !== VERSION) throw bad(`unknown version ${data[0]}`);
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const issuedAt = Number(view.getBigUint64(1));
  const n = data[9]!;
  const m = data[10]!;
  const signedLength = HEADER_LENGTH + m * FETCH_ACK_LENGTH + n * geometry.surbLength;
  if (n < 1) throw bad('no SURB');
  if (data.length !== signedLength + SIGNATURE_LENGTH) throw bad('its length is not its counts');
  if (Math.abs(issuedAt - now) > FETCH_CLOCK_SKEW_MS) throw bad('issued too far from now');
  const signer = verifier.recover(
    digest(gateway, data.subarray(0, signedLength)),
    data.subarray(signedLength),
  );
  if (signer?.length !== 65) throw bad('the signature recovers to no key');
  const acks: Uint8Array[] = [];
  let at = HEADER_LENGTH;
  for (let i = 0; i < m; i++, at += FETCH_ACK_LENGTH)
    acks.push(data.slice(at, at + FETCH_ACK_LENGTH));
  const surbs: Uint8Array[] = [];
  for (let i = 0; i < n; i++, at += geometry.surbLength)
    surbs.push(data.slice(at, at + geometry.surbLength));
  return { queue: mixNodeId(signer.subarray(1)), issuedAt, acks, surbs };
}
