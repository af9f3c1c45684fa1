/**
 * The frames of a direct channel (specs/transport-direct/SPEC.md §4.2): once the Noise link
 * is up, every transport message is one RLP payload in the manner of MVDS batch mode,
 *
 *     [version, [ack, …], [[[parent, …], envelope], …]]
 *
 * acknowledgements of messages received and messages sent, each a Whisper v6 envelope (the
 * bytes of its RLP encoding) with the ids of the messages it follows. A message's id is the
 * hash of its envelope (W§3.5): the receiver computes it, nothing on the wire claims it.
 */
import { decodeEnvelope, type Envelope, encodeEnvelope, envelopeHash } from '@hush/envelope';
import { encodeBytes, encodeList, encodeUint, RlpStream } from '@hush/rlp';
import { DirectError } from './errors.js';

/** The version of the frame format. */
export const FRAME_VERSION = 1;
/** Limits of one frame (SPEC §4.2). */
export const FRAME_LIMITS = {
  /** Acknowledgements in one frame. */
  acks: 4096,
  /** Messages in one frame. */
  messages: 1024,
  /** Parents of one message. */
  parents: 16,
} as const;

/** One message as it travels: the envelope and the ids of the messages it follows. */
export interface DirectMessage {
  /** The envelope's hash (W§3.5), the message's id. */
  readonly id: Uint8Array;
  readonly envelope: Envelope;
  /** Ids (32 bytes each) of messages this one follows, for causal order; often empty. */
  readonly parents: readonly Uint8Array[];
  /** The envelope's RLP encoding. */
  readonly encoded: Uint8Array;
}

/** One decoded frame. */
export interface DirectFrame {
  readonly acks: readonly Uint8Array[];
  readonly messages: readonly DirectMessage[];
}

/**
 * A message from its envelope and parents, with its id and encoding.
 *
 * @throws RangeError when there are more than 16 parents or one is not 32 bytes, and what
 *   `encodeEnvelope` throws for a bad envelope
 */
export function directMessage(
  envelope: Envelope,
  parents: readonly Uint8Array[] = [],
): DirectMessage {
  checkParents(parents);
  return { id: envelopeHash(envelope), envelope, parents, encoded: encodeEnvelope(envelope) };
}

function checkParents(parents: readonly Uint8Array[]): void {
  if (!Array.isArray(parents) || parents.length > FRAME_LIMITS.parents)
    throw new RangeError(`parents: at most ${FRAME_LIMITS.parents}`);
  for (const parent of parents)
    if (!(parent instanceof Uint8Array) || parent.length !== 32)
      throw new RangeError('parents: each a 32-byte message id');
}

/** The encoded length of one message in a frame, to fill frames up to a size. */
export function encodedMessageLength(message: DirectMessage): number {
  const parents = message.parents.length * 33;
  const inner = (parents < 56 ? 1 : 3) + parents + bytesItemLength(message.encoded.length);
  return (inner < 56 ? 1 : 1 + lengthOfLength(inner)) + inner;
}

function bytesItemLength(length: number): number {
  return (length < 56 ? 1 : 1 + lengthOfLength(length)) + length;
}

function lengthOfLength(length: number): number {
  return length < 0x100 ? 1 : length < 0x10000 ? 2 : length < 0x1000000 ? 3 : 4;
}

/**
 * Encodes a frame.
 *
 * @throws RangeError when there are more acknowledgements or messages than FRAME_LIMITS
 */
export function encodeFrame(frame: DirectFrame): Uint8Array {
  if (frame.acks.length > FRAME_LIMITS.acks)
    throw new RangeError(`frame.acks: at most ${FRAME_LIMITS.acks}`);
  if (frame.messages.length > FRAME_LIMITS.messages)
    throw new RangeError(`frame.messages: at most ${FRAME_LIMITS.messages}`);
  return encodeList([
    encodeUint(FRAME_VERSION),
    encodeList(frame.acks.map((id) => encodeBytes(id))),
    encodeList(
      frame.messages.map((message) =>
        encodeList([
          encodeList(message.parents.map((parent) => encodeBytes(parent))),
          encodeBytes(message.encoded),
        ]),
      ),
    ),
  ]);
}

/**
 * Reads a frame, strictly: canonical RLP, this version, 32-byte ids, every limit, each
 * envelope a strict Whisper v6 envelope (no PoW or expiry check: SPEC §4.3), nothing after.
 *
 * @throws DirectError 'malformed-frame', with the cause
 */
export function decodeFrame(bytes: Uint8Array): DirectFrame {
  try {
    const s = new RlpStream(bytes);
    s.list();
    const version = s.uintNumber(2);
    if (version !== FRAME_VERSION) throw new Error(`version ${version}, not ${FRAME_VERSION}`);
    const acks: Uint8Array[] = [];
    s.list();
    while (!s.atListEnd()) {
      if (acks.length === FRAME_LIMITS.acks)
        throw new Error(`more than ${FRAME_LIMITS.acks} acknowledgements`);
      acks.push(id(s.string()));
    }
    s.leave();
    const messages: DirectMessage[] = [];
    s.list();
    while (!s.atListEnd()) {
      if (messages.length === FRAME_LIMITS.messages)
        throw new Error(`more than ${FRAME_LIMITS.messages} messages`);
      s.list();
      const parents: Uint8Array[] = [];
      s.list();
      while (!s.atListEnd()) {
        if (parents.length === FRAME_LIMITS.parents)
          throw new Error(`more than ${FRAME_LIMITS.parents} parents`);
        parents.push(id(s.string()));
      }
      s.leave();
      const encoded = s.string();
      if (!s.atListEnd()) throw new Error('items after a message envelope');
      s.leave();
      const envelope = decodeEnvelope(encoded);
      messages.push({ id: envelopeHash(envelope), envelope, parents, encoded });
    }
    s.leave();
    if (!s.atListEnd()) throw new Error('items after the messages');
    s.leave();
    if (!s.atEnd()) throw new Error('bytes after the frame');
    return { acks, messages };
  } catch (error) {
    throw new DirectError('malformed-frame', `malformed frame: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

function id(bytes: Uint8Array): Uint8Array {
  if (bytes.length !== 32) throw new Error(`a message id of ${bytes.length} bytes, not 32`);
  return bytes;
}
