/**
 * Introductions (specs/transport-direct/SPEC.md §2): how a contact tells another where and
 * how to reach it. The introduction is the payload of a Whisper v6 message, asymmetric to the
 * contact's public key and signed by the sender's, on a topic of its own; the receiver acts
 * on it only when it opens with its key, is signed, the signer is one of its contacts, and it
 * is fresh.
 */
import type { Envelope } from '@hush/envelope';
import { keccak256 } from '@hush/keccak';
import { type OpenOptions, openAsymmetric, type WrapParams, wrapMessage } from '@hush/message';
import { encodeBytes, encodeList, encodeUint, RlpStream } from '@hush/rlp';
import { DirectError } from './errors.js';

const TAG = new TextEncoder().encode('hush-direct/1 introduction');
/** The topic introductions travel on: the first 4 bytes of keccak256 of the tag. */
export const INTRODUCTION_TOPIC: Uint8Array = keccak256(TAG).slice(0, 4);
/** Limits of one introduction (SPEC §2.1). */
export const INTRODUCTION_LIMITS = {
  endpoints: 8,
  endpointBytes: 256,
  signalBytes: 16 * 1024,
} as const;
/** How far an introduction's time may be from the receiver's clock, seconds (SPEC §2.3). */
export const INTRODUCTION_MAX_SKEW = 300;

/** Where and how a contact can be reached. */
export interface Introduction {
  /** Unix seconds when it was made; a later one from the same contact replaces it. */
  readonly sent: number;
  /** The sender's 32-byte Noise static public key, so the other side can dial it with IK. */
  readonly staticKey: Uint8Array;
  /** Addresses it listens on (`ws://…`, `wss://…`), most preferred first. */
  readonly endpoints: readonly string[];
  /** WebRTC signalling (an SDP offer or answer with its ICE candidates); empty when none. */
  readonly signal: Uint8Array;
}

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder('utf-8', { fatal: true });

function check(introduction: Introduction): void {
  const { sent, staticKey, endpoints, signal } = introduction;
  if (!Number.isInteger(sent) || sent < 0 || sent > 0xffffffff)
    throw new RangeError('introduction.sent: must be unix seconds (uint32)');
  if (!(staticKey instanceof Uint8Array) || staticKey.length !== 32)
    throw new RangeError('introduction.staticKey: must be 32 bytes');
  if (!Array.isArray(endpoints) || endpoints.length > INTRODUCTION_LIMITS.endpoints)
    throw new RangeError(`introduction.endpoints: at most ${INTRODUCTION_LIMITS.endpoints}`);
  for (const endpoint of endpoints)
    if (
      typeof endpoint !== 'string' ||
      utf8.encode(endpoint).length > INTRODUCTION_LIMITS.endpointBytes
    )
      throw new RangeError(
        `introduction.endpoints: each a string of at most ${INTRODUCTION_LIMITS.endpointBytes} bytes`,
      );
  if (!(signal instanceof Uint8Array) || signal.length > INTRODUCTION_LIMITS.signalBytes)
    throw new RangeError(`introduction.signal: at most ${INTRODUCTION_LIMITS.signalBytes} bytes`);
}

/**
 * The payload of an introduction: RLP [tag, sent, staticKey, [endpoint…], signal].
 *
 * @throws RangeError naming the field that breaks the limits of SPEC §2.1
 */
export function encodeIntroduction(introduction: Introduction): Uint8Array {
  check(introduction);
  return encodeList([
    encodeBytes(TAG),
    encodeUint(introduction.sent),
    encodeBytes(introduction.staticKey),
    encodeList(introduction.endpoints.map((endpoint) => encodeBytes(utf8.encode(endpoint)))),
    encodeBytes(introduction.signal),
  ]);
}

/**
 * Reads an introduction payload, strictly: canonical RLP, the tag of this version, every
 * limit, UTF-8 endpoints, nothing after the list.
 *
 * @throws DirectError 'malformed-introduction', with the cause
 */
export function decodeIntroduction(payload: Uint8Array): Introduction {
  try {
    const s = new RlpStream(payload);
    s.list();
    const tag = s.string();
    if (tag.length !== TAG.length || tag.some((byte, i) => byte !== TAG[i]))
      throw new Error('not a hush-direct/1 introduction');
    const sent = s.uintNumber(4);
    const staticKey = s.string().slice();
    const endpoints: string[] = [];
    s.list();
    while (!s.atListEnd()) endpoints.push(fromUtf8.decode(s.string()));
    s.leave();
    const signal = s.string().slice();
    if (!s.atListEnd()) throw new Error('items after the signal');
    s.leave();
    if (!s.atEnd()) throw new Error('bytes after the introduction');
    const introduction = { sent, staticKey, endpoints, signal };
    check(introduction);
    return introduction;
  } catch (error) {
    throw new DirectError(
      'malformed-introduction',
      `malformed introduction: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
}

/** What to wrap an introduction with. */
export interface WrapIntroductionOptions
  extends Pick<WrapParams, 'pow' | 'workTime' | 'now' | 'signal' | 'pool'> {
  /** The sender's 32-byte secp256k1 private key: it signs. */
  readonly from: Uint8Array;
  /** The contact's 65-byte public key: it alone can open the envelope. */
  readonly to: Uint8Array;
  /** Seconds (default 300, the freshness window). */
  readonly ttl?: number;
}

/**
 * Seals an introduction into a Whisper envelope, asymmetric to the contact and signed.
 *
 * @throws RangeError for an introduction over the limits, and what `wrapMessage` throws
 * @example
 * ```ts
 * const envelope = await wrapIntroduction(
 *   { sent: now, staticKey, endpoints: ['wss://alice.example:30303'], signal: new Uint8Array(0) },
 *   { from: aliceKey, to: bobPublicKey, pow: 0.2, workTime: 5 },
 * );
 * gossip.post(envelope);
 * ```
 */
export function wrapIntroduction(
  introduction: Introduction,
  options: WrapIntroductionOptions,
): Promise<Envelope> {
  return wrapMessage({
    topic: INTRODUCTION_TOPIC,
    payload: encodeIntroduction(introduction),
    ttl: options.ttl ?? INTRODUCTION_MAX_SKEW,
    signingKey: options.from,
    publicKey: options.to,
    pow: options.pow,
    workTime: options.workTime,
    ...(options.now === undefined ? {} : { now: options.now }),
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.pool ? { pool: options.pool } : {}),
  });
}

/** Why an envelope was not taken as an introduction (SPEC §2.3). */
export type IgnoredBecause =
  | 'other-topic'
  | 'not-for-us'
  | 'unsigned'
  | 'stranger'
  | 'malformed'
  | 'stale';

/** The verdict on an envelope that may be an introduction. */
export type IntroductionVerdict =
  | { readonly accepted: true; readonly from: Uint8Array; readonly introduction: Introduction }
  | { readonly accepted: false; readonly because: IgnoredBecause };

/** What the receiver brings. */
export interface OpenIntroductionOptions extends OpenOptions {
  /** The receiver's 32-byte secp256k1 private key. */
  readonly privateKey: Uint8Array;
  /** Whether the 65-byte public key that signed is one of the receiver's contacts. */
  isContact(publicKey: Uint8Array): boolean;
  /** The receiver's unix seconds. */
  readonly now: number;
}

/**
 * Judges an envelope: an introduction from a contact, or the reason it is ignored. Never
 * throws for what a peer sent: an envelope that is not for us, unsigned, from a stranger,
 * malformed or stale is answered with its reason, so the caller can count and ignore it.
 *
 * @throws TypeError / RangeError only for the receiver's own bad arguments
 */
export function openIntroduction(
  envelope: Envelope,
  options: OpenIntroductionOptions,
): IntroductionVerdict {
  if (
    envelope.topic.length !== 4 ||
    envelope.topic.some((byte, i) => byte !== INTRODUCTION_TOPIC[i])
  )
    return { accepted: false, because: 'other-topic' };
  let message: ReturnType<typeof openAsymmetric>;
  try {
    message = openAsymmetric(envelope, options.privateKey, options);
  } catch (error) {
    if (error instanceof TypeError) throw error;
    return { accepted: false, because: 'not-for-us' };
  }
  if (!message.signer) return { accepted: false, because: 'unsigned' };
  // A stranger's introduction is not parsed at all.
  if (!options.isContact(message.signer)) return { accepted: false, because: 'stranger' };
  let introduction: Introduction;
  try {
    introduction = decodeIntroduction(message.payload);
  } catch {
    return { accepted: false, because: 'malformed' };
  }
  if (Math.abs(introduction.sent - options.now) > INTRODUCTION_MAX_SKEW)
    return { accepted: false, because: 'stale' };
  return { accepted: true, from: message.signer, introduction };
}
