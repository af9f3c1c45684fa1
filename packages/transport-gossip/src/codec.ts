/**
 * The Whisper v6 sub-protocol messages (specs/whisper-v6 SPEC §7.1), independent of the
 * framing underneath: the same payloads travel in devp2p frames between geth nodes and in
 * WebSocket frames between Hush nodes.
 */
import { BLOOM_FILTER_SIZE } from '@hush/bloom';
import {
  encodeBytes,
  encodeList,
  encodeUint,
  headerLength,
  RlpError,
  RlpStream,
  writeHeader,
} from '@hush/rlp';
import { GossipError } from './errors.js';
import { PROTOCOL_VERSION } from './protocol.js';

/** What a peer announces when it connects. */
export interface Status {
  readonly version: number;
  /** The PoW it requires of what it is sent; undefined when it sent none. */
  readonly minPow: number | undefined;
  /** Its bloom filter; null means a full node (no filter, or an empty one on the wire). */
  readonly bloom: Uint8Array | null;
  readonly lightNode: boolean;
}

function floatBits(value: number): bigint {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, value);
  return view.getBigUint64(0);
}

function bitsFloat(bits: bigint): number {
  const view = new DataView(new ArrayBuffer(8));
  view.setBigUint64(0, bits);
  return view.getFloat64(0);
}

const validPow = (pow: number) => Number.isFinite(pow) && pow >= 0;

/**
 * The status payload: RLP [version, Float64bits(minPow), bloom or empty string, isLightNode].
 *
 * @throws RangeError if `minPow` is not a finite non-negative number or the bloom is not 64 bytes
 */
export function encodeStatus(status: {
  minPow: number;
  bloom: Uint8Array | null;
  lightNode: boolean;
}): Uint8Array {
  if (!validPow(status.minPow)) throw new RangeError('minPow must be a finite non-negative number');
  if (status.bloom && status.bloom.length !== BLOOM_FILTER_SIZE)
    throw new RangeError('bloom must be 64 bytes');
  return encodeList([
    encodeUint(PROTOCOL_VERSION),
    encodeUint(floatBits(status.minPow)),
    encodeBytes(status.bloom ?? new Uint8Array(0)),
    encodeUint(status.lightNode ? 1 : 0),
  ]);
}

/**
 * Decodes a peer's status as geth does (SPEC §7.2): the version is required and must be 6; a
 * PoW, a bloom and the light flag may follow and are ignored when undecodable; anything after
 * them is ignored.
 *
 * @throws GossipError 'bad-status', 'version-mismatch', 'invalid-pow' or 'bloom-size'
 */
export function decodeStatus(payload: Uint8Array): Status {
  const s = new RlpStream(payload);
  let version: bigint;
  try {
    s.list();
    version = s.uint();
  } catch (error) {
    throw new GossipError('bad-status', `bad status message: ${(error as Error).message}`, {
      cause: error,
    });
  }
  if (version !== BigInt(PROTOCOL_VERSION)) {
    throw new GossipError(
      'version-mismatch',
      `protocol version mismatch ${version} != ${PROTOCOL_VERSION}`,
    );
  }
  let minPow: number | undefined;
  let bloom: Uint8Array | null = null;
  const powBits = attempt(() => s.uint());
  if (powBits !== undefined) {
    minPow = bitsFloat(powBits);
    if (!validPow(minPow)) throw new GossipError('invalid-pow', 'bad status message: invalid pow');
    const filter = attempt(() => s.string());
    if (filter !== undefined) {
      if (filter.length !== BLOOM_FILTER_SIZE && filter.length !== 0) {
        throw new GossipError(
          'bloom-size',
          `bad status message: wrong bloom filter size ${filter.length}`,
        );
      }
      bloom = filter.length === 0 || filter.every((b) => b === 0xff) ? null : filter;
    }
  }
  const lightNode = attempt(() => s.bool()) ?? false;
  return { version: Number(version), minPow, bloom, lightNode };
}

function attempt<T>(read: () => T): T | undefined {
  try {
    return read();
  } catch (error) {
    if (error instanceof RlpError) return undefined;
    throw error;
  }
}

/** powRequirement payload: RLP uint64 Float64bits(pow). */
export function encodePowRequirement(pow: number): Uint8Array {
  if (!validPow(pow)) throw new RangeError('pow must be a finite non-negative number');
  return encodeUint(floatBits(pow));
}

/**
 * Decodes a powRequirement payload.
 *
 * @throws GossipError 'invalid-pow-requirement' when undecodable, infinite, NaN or negative
 */
export function decodePowRequirement(payload: Uint8Array): number {
  let bits: bigint;
  try {
    bits = new RlpStream(payload).uint();
  } catch (error) {
    throw new GossipError('invalid-pow-requirement', 'invalid powRequirementCode message', {
      cause: error,
    });
  }
  const pow = bitsFloat(bits);
  if (!validPow(pow))
    throw new GossipError('invalid-pow-requirement', 'invalid value in powRequirementCode message');
  return pow;
}

/** bloomFilterEx payload: RLP byte string of 64 bytes. */
export function encodeBloomFilterEx(bloom: Uint8Array): Uint8Array {
  if (bloom.length !== BLOOM_FILTER_SIZE) throw new RangeError('bloom must be 64 bytes');
  return encodeBytes(bloom);
}

/**
 * Decodes a bloomFilterEx payload; an all-ones filter is returned as null (a full node).
 *
 * @throws GossipError 'invalid-bloom-exchange' unless it is a 64-byte string
 */
export function decodeBloomFilterEx(payload: Uint8Array): Uint8Array | null {
  let bloom: Uint8Array;
  try {
    bloom = new RlpStream(payload).string();
  } catch (error) {
    throw new GossipError('invalid-bloom-exchange', 'invalid bloom filter exchange message', {
      cause: error,
    });
  }
  if (bloom.length !== BLOOM_FILTER_SIZE) {
    throw new GossipError('invalid-bloom-exchange', `wrong bloom filter size ${bloom.length}`);
  }
  return bloom.every((b) => b === 0xff) ? null : bloom;
}

/** One sub-protocol message as it travels in a frame. */
export interface ProtocolMessage {
  readonly code: number;
  readonly payload: Uint8Array;
}

/** A transport frame: RLP [code, payload as a byte string], written in one allocation. */
export function encodeFrame(message: ProtocolMessage): Uint8Array {
  const code = encodeUint(message.code);
  const { payload } = message;
  const lone = payload.length === 1 && payload[0]! < 0x80;
  const payloadHead = lone ? 0 : headerLength(payload.length);
  const body = code.length + payloadHead + payload.length;
  const out = new Uint8Array(headerLength(body) + body);
  let at = writeHeader(out, 0, body, 0xc0);
  out.set(code, at);
  at += code.length;
  if (!lone) at = writeHeader(out, at, payload.length, 0x80);
  out.set(payload, at);
  return out;
}

/**
 * Decodes a transport frame strictly (nothing may follow it). The payload is a view into
 * `frame`, not a copy: every decoder of payloads copies what it keeps.
 *
 * @throws GossipError 'bad-frame'
 */
export function decodeFrame(frame: Uint8Array): ProtocolMessage {
  try {
    const s = new RlpStream(frame);
    s.list();
    const code = s.uintNumber(4);
    const payload = s.view();
    if (!s.atListEnd()) throw new RlpError('trailing-data', 'rlp: items after the payload');
    s.leave();
    if (!s.atEnd()) throw new RlpError('trailing-data', 'rlp: bytes after the frame');
    return { code, payload };
  } catch (error) {
    throw new GossipError('bad-frame', `bad frame: ${(error as Error).message}`, { cause: error });
  }
}
