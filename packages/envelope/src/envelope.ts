/**
 * The Whisper v6 envelope (specs/whisper-v6 SPEC §3): fields, canonical encoding, strict
 * decoding, hash, size, bloom, sent time and the proof-of-work facts.
 */
import { assertTopic, topicToBloom } from '@hush/bloom';
import { keccak256Concat, keccak256WithPowBits } from '@hush/keccak';
import { type PowWork, powOf, powValue } from '@hush/pow';
import {
  bigUintLength,
  bytesLength,
  encodeList,
  encodeUint,
  headerLength,
  ItemKind,
  itemHeader,
  RlpError,
  readBigUint,
  readHeader,
  readList,
  readString,
  readUint,
  uintLength,
  writeBigUint,
  writeBytes,
  writeHeader,
  writeUint,
} from '@hush/rlp';
import { EnvelopeDecodeError, type EnvelopeDecodeErrorCode, type EnvelopeField } from './errors.js';
import { allocBytes, copyBytes } from './slab.js';

/** Bytes every envelope is counted as carrying besides its data (SPEC §3.5). */
export const ENVELOPE_HEADER_LENGTH = 20;

/**
 * A Whisper v6 envelope. Treat it as an immutable value: functions never modify one and
 * return new envelopes instead.
 */
export interface Envelope {
  /** Unix time in seconds after which the envelope is dropped (uint32). */
  readonly expiry: number;
  /** Time to live in seconds (uint32). */
  readonly ttl: number;
  /** 4-byte topic. */
  readonly topic: Uint8Array;
  /** The (encrypted) message. */
  readonly data: Uint8Array;
  /** Proof-of-work nonce (uint64). */
  readonly nonce: bigint;
}

const UINT32_MAX = 0xffffffff;

function assertUint32(value: unknown, name: string): asserts value is number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > UINT32_MAX) {
    throw new RangeError(`${name} must be a uint32, got ${String(value)}`);
  }
}

/**
 * Checks every field of `envelope`.
 *
 * @throws TypeError if a field has the wrong type
 * @throws RangeError if a field is out of range (uint32 expiry/ttl, 4-byte topic, uint64 nonce)
 */
export function assertEnvelope(envelope: unknown): asserts envelope is Envelope {
  if (typeof envelope !== 'object' || envelope === null) {
    throw new TypeError('envelope must be an object');
  }
  const e = envelope as Record<string, unknown>;
  assertUint32(e.expiry, 'envelope.expiry');
  assertUint32(e.ttl, 'envelope.ttl');
  assertTopic(e.topic, 'envelope.topic');
  if (!(e.data instanceof Uint8Array)) throw new TypeError('envelope.data must be a Uint8Array');
  if (typeof e.nonce !== 'bigint') throw new TypeError('envelope.nonce must be a bigint');
  if (e.nonce < 0n || e.nonce >= 1n << 64n) throw new RangeError('envelope.nonce must be a uint64');
}

/**
 * Builds an envelope from its fields, copying the byte fields.
 *
 * @param fields - expiry, ttl, topic, data, and optionally nonce (default 0)
 * @returns a new envelope
 * @throws TypeError / RangeError naming the bad field
 */
export function createEnvelope(fields: {
  expiry: number;
  ttl: number;
  topic: Uint8Array;
  data: Uint8Array;
  nonce?: bigint;
}): Envelope {
  const envelope = {
    expiry: fields.expiry,
    ttl: fields.ttl,
    topic: fields.topic,
    data: fields.data,
    nonce: fields.nonce ?? 0n,
  };
  assertEnvelope(envelope);
  return { ...envelope, topic: envelope.topic.slice(), data: envelope.data.slice() };
}

/** No bytes: the nonce part of an encoding without it, the data part of a lone byte. */
const EMPTY = new Uint8Array(0);

/** Whether `data` is a lone byte below 0x80, which is its own encoding. */
function isLone(data: Uint8Array): boolean {
  return data.length === 1 && data[0]! < 0x80;
}

/**
 * The envelope's canonical RLP in three parts whose concatenation is the encoding: the head
 * (list header through the data header), the data itself, and the tail (the nonce, or nothing
 * without it). Hashing the parts avoids copying the data into a new buffer.
 */
function encodeParts(envelope: Envelope, withNonce: boolean): [Uint8Array, Uint8Array, Uint8Array] {
  const { expiry, ttl, topic, data } = envelope;
  const tail = withNonce ? encodeUint(envelope.nonce) : EMPTY;
  // A lone byte is its own encoding: it goes in the head, and the data part is empty.
  const lone = isLone(data);
  const body = lone ? EMPTY : data;
  const dataHead = bytesLength(data) - body.length;
  const fieldsHead = uintLength(expiry) + uintLength(ttl) + 5 + dataHead;
  const content = fieldsHead + body.length + tail.length;
  const head = new Uint8Array(headerLength(content) + fieldsHead);
  let at = writeHeader(head, 0, content, 0xc0);
  at = writeUint(head, at, expiry);
  at = writeUint(head, at, ttl);
  at = writeBytes(head, at, topic);
  if (lone) head[at] = data[0]!;
  else writeHeader(head, at, data.length, 0x80);
  return [head, body, tail];
}

/**
 * The fields of the envelope up to its data's content, without a list header: expiry, ttl,
 * topic and the data's header (or the data itself, when a lone byte).
 */
function encodeFieldsHead(envelope: Envelope): Uint8Array {
  const { expiry, ttl, topic, data } = envelope;
  const lone = isLone(data);
  const head = new Uint8Array(
    uintLength(expiry) + uintLength(ttl) + 5 + (lone ? 1 : headerLength(data.length)),
  );
  let at = writeUint(head, 0, expiry);
  at = writeUint(head, at, ttl);
  at = writeBytes(head, at, topic);
  if (lone) head[at] = data[0]!;
  else writeHeader(head, at, data.length, 0x80);
  return head;
}

/** The envelope's canonical RLP, with or without the nonce, written in one buffer. */
function encodeWhole(envelope: Envelope, withNonce: boolean): Uint8Array {
  const { expiry, ttl, topic, data, nonce } = envelope;
  const content =
    uintLength(expiry) +
    uintLength(ttl) +
    5 +
    bytesLength(data) +
    (withNonce ? bigUintLength(nonce) : 0);
  const out = allocBytes(headerLength(content) + content);
  let at = writeHeader(out, 0, content, 0xc0);
  at = writeUint(out, at, expiry);
  at = writeUint(out, at, ttl);
  at = writeBytes(out, at, topic);
  at = writeBytes(out, at, data);
  if (withNonce) writeBigUint(out, at, nonce);
  return out;
}

/**
 * The canonical RLP of the envelope: list [expiry, ttl, topic, data, nonce] (SPEC §3.2).
 *
 * @throws TypeError / RangeError naming a bad field
 */
export function encodeEnvelope(envelope: Envelope): Uint8Array {
  assertEnvelope(envelope);
  return encodeWhole(envelope, true);
}

/**
 * RLP list [expiry, ttl, topic, data]: what the PoW prefix hashes (SPEC §4.1).
 *
 * @throws TypeError / RangeError naming a bad field
 */
export function rlpWithoutNonce(envelope: Envelope): Uint8Array {
  assertEnvelope(envelope);
  return encodeWhole(envelope, false);
}

/**
 * The envelope hash: keccak256 of its canonical encoding (SPEC §3.4).
 *
 * @throws TypeError / RangeError naming a bad field
 */
export function envelopeHash(envelope: Envelope): Uint8Array {
  assertEnvelope(envelope);
  return keccak256Concat(encodeParts(envelope, true));
}

/**
 * Size as the protocol counts it: 20 + data length (SPEC §3.5), not the encoded length.
 *
 * @throws TypeError if `envelope.data` is not a Uint8Array
 */
export function envelopeSize(envelope: Envelope): number {
  if (!(envelope?.data instanceof Uint8Array))
    throw new TypeError('envelope.data must be a Uint8Array');
  return ENVELOPE_HEADER_LENGTH + envelope.data.length;
}

/**
 * The bloom of the envelope's topic (SPEC §2.2).
 *
 * @throws TypeError / RangeError if the topic is not 4 bytes
 */
export function envelopeBloom(envelope: Envelope): Uint8Array {
  return topicToBloom(envelope.topic);
}

/**
 * When the envelope was sent: expiry − ttl in uint32 arithmetic, wrapping (SPEC §3.6).
 *
 * @throws RangeError if expiry or ttl is not a uint32
 */
export function envelopeSent(envelope: Envelope): number {
  assertUint32(envelope.expiry, 'envelope.expiry');
  assertUint32(envelope.ttl, 'envelope.ttl');
  return (envelope.expiry - envelope.ttl) >>> 0;
}

/**
 * Whether the envelope has expired at `now` (unix seconds): expiry < now.
 *
 * @throws RangeError if expiry is not a uint32 or `now` is not a non-negative integer
 */
export function isExpired(envelope: Envelope, now: number): boolean {
  assertUint32(envelope.expiry, 'envelope.expiry');
  if (!Number.isInteger(now) || now < 0) throw new RangeError('now must be unix seconds');
  return envelope.expiry < now;
}

/**
 * The PoW inputs of the envelope: prefix keccak256(rlpWithoutNonce), size and TTL (SPEC §4.1).
 *
 * @throws TypeError / RangeError naming a bad field
 */
export function envelopePowWork(envelope: Envelope): PowWork {
  assertEnvelope(envelope);
  return {
    prefix: keccak256Concat(encodeParts(envelope, false)),
    size: envelopeSize(envelope),
    ttl: envelope.ttl,
  };
}

/**
 * The envelope hash and PoW together, as a node computes them for every envelope it receives
 * (SPEC §3.4, §4.2). Equal to `envelopeHash` and `envelopePow`, but in one pass: where the
 * engine has WebAssembly SIMD the two hashes of the envelope's encodings share their Keccak
 * permutations and the PoW block is hashed in the same call.
 *
 * @param diff - added to ttl in uint32, for envelopes from the future (node rules)
 * @param encoded - the envelope's canonical encoding, when at hand (saves encoding it again)
 * @throws TypeError / RangeError naming a bad field
 */
export function envelopeHashAndPow(
  envelope: Envelope,
  diff = 0,
  encoded?: Uint8Array,
): { hash: Uint8Array; pow: number } {
  assertEnvelope(envelope);
  let hashed: readonly Uint8Array[];
  let prefixed: readonly Uint8Array[];
  if (encoded) {
    // The encoding without the nonce is the same fields under a shorter list header: cut it
    // out of the canonical encoding rather than encoding the fields again (a node does this
    // for every envelope it receives).
    const headerEnd = encoded[0]! >= 0xf8 ? 1 + encoded[0]! - 0xf7 : 1;
    const nonceLength = bigUintLength(envelope.nonce);
    const fields = view(encoded, headerEnd, encoded.length - nonceLength);
    const headerSize = writeHeader(listHeader, 0, fields.length, 0xc0);
    // The keccak call copies its inputs at once, so one scratch header serves every call.
    hashed = [encoded];
    prefixed = [view(listHeader, 0, headerSize), fields];
  } else {
    // The two encodings share every field but the nonce: encode those once, under two list
    // headers (scratch, as above).
    const head = encodeFieldsHead(envelope);
    const body = isLone(envelope.data) ? EMPTY : envelope.data;
    const tail = encodeUint(envelope.nonce);
    const size = head.length + body.length;
    const withNonce = writeHeader(hashHeader, 0, size + tail.length, 0xc0);
    const withoutNonce = writeHeader(listHeader, 0, size, 0xc0);
    hashed = [view(hashHeader, 0, withNonce), head, body, tail];
    prefixed = [view(listHeader, 0, withoutNonce), head, body];
  }
  const [hash, bits] = keccak256WithPowBits(hashed, prefixed, envelope.nonce);
  return { hash, pow: powValue(bits, envelopeSize(envelope), envelope.ttl, diff) };
}

/**
 * The envelope's PoW as geth computes it (SPEC §4.2); +Infinity when ttl + diff is 0.
 *
 * @param diff - added to ttl in uint32, for envelopes from the future (node rules)
 * @throws TypeError / RangeError naming a bad field
 */
export function envelopePow(envelope: Envelope, diff = 0): number {
  return powOf(envelopePowWork(envelope), envelope.nonce, diff);
}

/** The list header of an encoding without its nonce, written per call (at most 9 bytes). */
const listHeader = new Uint8Array(9);
/** The list header of an encoding with its nonce, likewise. */
const hashHeader = new Uint8Array(9);

const scratch = itemHeader();

/** `bytes[start, end)` as a view, without TypedArray#subarray's species lookup. */
function view(bytes: Uint8Array, start: number, end: number): Uint8Array {
  return new Uint8Array(bytes.buffer, bytes.byteOffset + start, end - start);
}

/**
 * The envelope code for an RLP failure inside `field` (or outside any field): the RLP rules
 * keep their names, a list where a string belongs is the field's type error (SPEC §3.3).
 */
function fromRlp(error: RlpError, field: EnvelopeField | undefined): EnvelopeDecodeError {
  let code: EnvelopeDecodeErrorCode;
  switch (error.code) {
    case 'truncated':
    case 'non-canonical-size':
    case 'non-canonical-integer':
    case 'integer-overflow':
    case 'trailing-data':
      code = error.code;
      break;
    case 'expected-list':
      code = 'not-a-list';
      break;
    case 'end-of-list':
      code = 'missing-field';
      break;
    default:
      // 'expected-string' ('bad-boolean' never comes from the readers used here).
      code = field === 'data' ? 'data-type' : field === 'topic' ? 'topic-type' : 'integer-type';
  }
  const message = field ? `${field}: ${error.message}` : error.message;
  return new EnvelopeDecodeError(code, message, field ? { field, cause: error } : { cause: error });
}

/** The 4 topic bytes at `at`, copied: cheaper than TypedArray#slice for 4 bytes. */
function copyTopic(bytes: Uint8Array, at: number): Uint8Array {
  const topic = new Uint8Array(4);
  topic[0] = bytes[at]!;
  topic[1] = bytes[at + 1]!;
  topic[2] = bytes[at + 2]!;
  topic[3] = bytes[at + 3]!;
  return topic;
}

function missing(field: EnvelopeField): never {
  throw new EnvelopeDecodeError('missing-field', `${field} is missing`, { field });
}

const FIELDS: readonly EnvelopeField[] = ['expiry', 'ttl', 'topic', 'data', 'nonce'];

/**
 * The field whose item starts at `offset` in the envelope list at `pos` (undefined for the
 * list itself). For error reports only: the items before the failing one were read, so their
 * headers are read again without failing, and the hot path keeps no record of where it is.
 */
function fieldAt(
  bytes: Uint8Array,
  pos: number,
  limit: number,
  offset: number | undefined,
): EnvelopeField | undefined {
  if (offset === undefined || offset === pos) return undefined;
  const h = readHeader(bytes, pos, limit, itemHeader());
  const end = h.end;
  let at = h.start;
  for (const field of FIELDS) {
    if (at === offset) return field;
    if (at >= end) return undefined;
    at = readHeader(bytes, at, end, h).end;
  }
  return undefined;
}

/**
 * What a failure decoding the envelope item at `pos` (within `limit`) is reported as: an RLP
 * failure becomes an envelope failure naming its field, anything else is itself.
 */
function decodeFailure(error: unknown, bytes: Uint8Array, pos: number, limit: number): unknown {
  if (!(error instanceof RlpError)) return error;
  return fromRlp(error, fieldAt(bytes, pos, limit, error.offset));
}

/**
 * Decodes one envelope item at `pos` within `limit`. Returns the envelope; `scratch.end` is
 * the position after the item. With `views`, topic and data are views into `bytes` (which the
 * caller owns); otherwise copies. RLP failures are `RlpError`s: callers pass what they catch
 * through `decodeFailure`.
 */
function decodeEnvelopeAt(bytes: Uint8Array, pos: number, limit: number, views = false): Envelope {
  readList(bytes, pos, limit, scratch);
  return decodeFields(bytes, scratch.start, scratch.end, views);
}

/** `decodeEnvelopeAt` once the list header is read: the fields in `bytes[start, listEnd)`. */
function decodeFields(bytes: Uint8Array, start: number, listEnd: number, views: boolean): Envelope {
  const h = scratch;
  if (start >= listEnd) missing('expiry');
  const expiry = readUint(bytes, start, listEnd, h, 4);
  if (h.end >= listEnd) missing('ttl');
  const ttl = readUint(bytes, h.end, listEnd, h, 4);

  if (h.end >= listEnd) missing('topic');
  // Not readString: a topic `0x81 xx` is a topic of the wrong length (SPEC §3.3 E6).
  readHeader(bytes, h.end, listEnd, h);
  if (h.kind === ItemKind.List) {
    throw new EnvelopeDecodeError('topic-type', 'topic must be a byte string', { field: 'topic' });
  }
  if (h.kind === ItemKind.Byte || h.size !== 4) {
    throw new EnvelopeDecodeError('topic-length', `topic must be 4 bytes, got ${h.size}`, {
      field: 'topic',
    });
  }
  const topic = views ? view(bytes, h.start, h.end) : copyTopic(bytes, h.start);

  if (h.end >= listEnd) missing('data');
  // A fresh binding: `h` was narrowed by the topic checks, but readString rewrites it.
  const d = readString(bytes, h.end, listEnd, h);
  const data = views ? view(bytes, d.start, d.end) : copyBytes(bytes, d.start, d.end);

  if (h.end >= listEnd) missing('nonce');
  const nonce = readBigUint(bytes, h.end, listEnd, h, 8);
  if (h.end !== listEnd)
    throw new EnvelopeDecodeError('extra-field', 'envelope list has more than five items');
  h.end = listEnd;
  return { expiry, ttl, topic, data, nonce };
}

function assertInput(bytes: unknown, name: string): asserts bytes is Uint8Array {
  if (!(bytes instanceof Uint8Array)) throw new TypeError(`${name} must be a Uint8Array`);
}

/**
 * Decodes exactly one envelope, refusing every non-canonical form as geth does (SPEC §3.3).
 * Re-encoding the result gives `bytes` back, so its hash is keccak256(bytes).
 *
 * @param bytes - the RLP of one envelope
 * @param options.allowTrailing - ignore bytes after the envelope, as geth does for the single
 *   envelope of a p2p message (SPEC §7.3); strict by default
 * @returns the envelope, with its own copies of topic and data
 * @throws EnvelopeDecodeError whose `code` names the rule that failed
 * @throws TypeError if `bytes` is not a Uint8Array
 */
export function decodeEnvelope(
  bytes: Uint8Array,
  options: { allowTrailing?: boolean } = {},
): Envelope {
  assertInput(bytes, 'bytes');
  if (bytes.length === 0) throw new EnvelopeDecodeError('empty', 'no input');
  let envelope: Envelope;
  try {
    envelope = decodeEnvelopeAt(bytes, 0, bytes.length);
  } catch (error) {
    throw decodeFailure(error, bytes, 0, bytes.length);
  }
  if (scratch.end !== bytes.length && !options.allowTrailing) {
    throw new EnvelopeDecodeError('trailing-data', 'bytes after the envelope');
  }
  return envelope;
}

/**
 * Encodes a messages packet: the RLP list of the envelopes (SPEC §3.7).
 *
 * @throws TypeError / RangeError naming a bad envelope field
 */
export function encodeMessagesPacket(envelopes: readonly Envelope[]): Uint8Array {
  if (!Array.isArray(envelopes)) throw new TypeError('envelopes must be an array');
  return encodeList(envelopes.map(encodeEnvelope));
}

/**
 * Decodes a messages packet as geth does (SPEC §3.7): one list of envelopes, each strictly
 * canonical; the first bad envelope rejects the whole packet. Bytes after the list are
 * ignored, as geth ignores them.
 *
 * @param bytes - the payload of a messages (code 1) packet
 * @returns the envelopes, in order
 * @throws EnvelopeDecodeError with `code`, and `index` of the offending envelope
 * @throws TypeError if `bytes` is not a Uint8Array
 */
export function decodeMessagesPacket(bytes: Uint8Array): Envelope[] {
  return decodePacket(bytes, false).map((item) => item.envelope);
}

/**
 * As `decodeMessagesPacket`, with each envelope's canonical encoding (a copy of its bytes in
 * the packet), so that a node can pool and forward it without encoding it again. One copy per
 * envelope: its topic and data are views into its `encoded` (nothing of the packet is kept).
 *
 * @throws EnvelopeDecodeError with `code`, and `index` of the offending envelope
 * @throws TypeError if `bytes` is not a Uint8Array
 */
export function decodeMessagesPacketItems(
  bytes: Uint8Array,
): { envelope: Envelope; encoded: Uint8Array }[] {
  return decodePacket(bytes, true) as { envelope: Envelope; encoded: Uint8Array }[];
}

function decodePacket(
  bytes: Uint8Array,
  withEncoding: boolean,
): { envelope: Envelope; encoded?: Uint8Array }[] {
  assertInput(bytes, 'bytes');
  if (bytes.length === 0) throw new EnvelopeDecodeError('empty', 'no input');
  try {
    readList(bytes, 0, bytes.length, scratch);
  } catch (error) {
    throw decodeFailure(error, bytes, 0, bytes.length);
  }
  const end = scratch.end;
  const items: { envelope: Envelope; encoded?: Uint8Array }[] = [];
  for (let at = scratch.start; at < end; at = scratch.end) {
    // The copy being decoded, once the item's extent is known (failures inside it are at
    // offsets of the copy).
    let encoded: Uint8Array | undefined;
    try {
      if (withEncoding) {
        // The item's extent first (readList checks it lies within the packet), then one copy
        // of it, whose fields are decoded in place.
        readList(bytes, at, end, scratch);
        const itemEnd = scratch.end;
        const fieldsAt = scratch.start - at;
        encoded = copyBytes(bytes, at, itemEnd);
        const envelope = decodeFields(encoded, fieldsAt, encoded.length, true);
        scratch.end = itemEnd;
        items.push({ envelope, encoded });
      } else {
        items.push({ envelope: decodeEnvelopeAt(bytes, at, end) });
      }
    } catch (caught) {
      const error = encoded
        ? decodeFailure(caught, encoded, 0, encoded.length)
        : decodeFailure(caught, bytes, at, end);
      if (error instanceof EnvelopeDecodeError) {
        const index = items.length;
        const details: { field?: EnvelopeField; index: number; cause?: unknown } = { index };
        if (error.field) details.field = error.field;
        if (error.cause !== undefined) details.cause = error.cause;
        throw new EnvelopeDecodeError(error.code, `envelope ${index}: ${error.message}`, details);
      }
      throw error;
    }
  }
  return items;
}
