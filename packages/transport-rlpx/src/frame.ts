/**
 * RLPx frames (specs/rlpx SPEC §4, go-ethereum v1.8.27 `rlpxFrameRW`): a 16-byte header
 * (24-bit frame size ‖ the constant header data `c2 80 80` ‖ zeros) encrypted with AES-256-CTR
 * and followed by its MAC, then the frame (message code ‖ payload, zero-padded to 16 bytes) in
 * the same CTR stream, then the frame MAC. MACs run over the ciphertext in the Keccak-256
 * states of the handshake (§3.4), reseeded with AES-256-ECB under the MAC secret.
 *
 * Node's AES (node:crypto) does the ciphers: RLPx runs over TCP, so this package is Node's.
 */
import { createCipheriv } from 'node:crypto';

type Cipheriv = ReturnType<typeof createCipheriv>;

import { encodeUint } from '@hush/rlp';
import { RlpxError } from './errors.js';
import type { MacState, Secrets } from './handshake.js';

/** The largest frame size a header can say: 2²⁴ − 1 bytes. */
export const MAX_FRAME_SIZE = 0xffffff;
/** The header and its MAC. */
export const HEADER_BYTES = 32;
const MAC_BYTES = 16;
const HEADER_DATA = Uint8Array.of(0xc2, 0x80, 0x80);
const ZERO_IV = new Uint8Array(16);

function asBytes(b: Buffer): Uint8Array {
  return new Uint8Array(b.buffer, b.byteOffset, b.length);
}

/** The bytes a frame of `size` occupies on the wire after its header: padded body ‖ MAC. */
export function frameBodyBytes(size: number): number {
  return ((size + 15) & ~15) + MAC_BYTES;
}

/** One direction's MAC: the running Keccak state, reseeded through AES-ECB. */
class FrameMac {
  private readonly state: MacState;
  private readonly ecb: Cipheriv;

  constructor(state: MacState, macSecret: Uint8Array) {
    this.state = state;
    this.ecb = createCipheriv('aes-256-ecb', macSecret, null).setAutoPadding(false);
  }

  /** geth's updateMAC: state ← state ‖ (AES(sum[0:16]) ^ seed); the new sum's first 16 bytes. */
  private reseed(seed: Uint8Array): Uint8Array {
    const block = asBytes(this.ecb.update(this.state.sum().subarray(0, 16)));
    for (let i = 0; i < 16; i++) block[i]! ^= seed[i]!;
    this.state.update(block);
    return this.state.sum().subarray(0, 16);
  }

  header(encryptedHeader: Uint8Array): Uint8Array {
    return this.reseed(encryptedHeader);
  }

  /** The frame MAC after `ciphertext` went into the state. */
  frame(ciphertext: Uint8Array): Uint8Array {
    this.state.update(ciphertext);
    return this.reseed(this.state.sum());
  }
}

function equal16(a: Uint8Array, b: Uint8Array): boolean {
  let diff = 0;
  for (let i = 0; i < 16; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

/** A decoded message: its code and its payload (the RLP of its data, maybe compressed). */
export interface FrameMessage {
  readonly code: number;
  readonly payload: Uint8Array;
}

/**
 * Both directions of a connection's frames. Writes and reads must each happen in order: the
 * cipher and MAC states run across frames.
 *
 * @example
 * ```ts
 * const frames = new FrameCodec(secrets);
 * socket.write(frames.seal(0x10, statusPayload));
 * const size = frames.openHeader(head32);        // verifies and decrypts the header
 * const { code, payload } = frames.openBody(body, size);
 * ```
 */
export class FrameCodec {
  private readonly encrypt: Cipheriv;
  private readonly decrypt: Cipheriv;
  private readonly egress: FrameMac;
  private readonly ingress: FrameMac;

  constructor(secrets: Pick<Secrets, 'aes' | 'mac' | 'egressMac' | 'ingressMac'>) {
    // An all-zero IV is safe: the AES key is fresh for every connection.
    this.encrypt = createCipheriv('aes-256-ctr', secrets.aes, ZERO_IV);
    this.decrypt = createCipheriv('aes-256-ctr', secrets.aes, ZERO_IV);
    this.egress = new FrameMac(secrets.egressMac, secrets.mac);
    this.ingress = new FrameMac(secrets.ingressMac, secrets.mac);
  }

  /**
   * One message as a whole frame: header ‖ header MAC ‖ body ‖ frame MAC.
   *
   * @throws RangeError when code ‖ payload is over 2²⁴ − 1 bytes
   */
  seal(code: number, payload: Uint8Array): Uint8Array {
    const codeBytes = encodeUint(code);
    const size = codeBytes.length + payload.length;
    if (size > MAX_FRAME_SIZE) throw new RangeError(`frame of ${size} bytes over 2^24 - 1`);
    const padded = (size + 15) & ~15;
    const out = new Uint8Array(HEADER_BYTES + padded + MAC_BYTES);
    out[0] = size >>> 16;
    out[1] = (size >>> 8) & 0xff;
    out[2] = size & 0xff;
    out.set(HEADER_DATA, 3);
    const header = out.subarray(0, 16);
    header.set(asBytes(this.encrypt.update(header)));
    out.set(this.egress.header(header), 16);
    const body = out.subarray(HEADER_BYTES, HEADER_BYTES + padded);
    body.set(codeBytes, 0);
    body.set(payload, codeBytes.length);
    body.set(asBytes(this.encrypt.update(body)));
    out.set(this.egress.frame(body), HEADER_BYTES + padded);
    return out;
  }

  /**
   * Checks a header's MAC and decrypts it: the frame size it says.
   *
   * @throws RlpxError 'bad-mac'
   */
  openHeader(head: Uint8Array): number {
    const expected = this.ingress.header(head.subarray(0, 16));
    if (!equal16(expected, head.subarray(16, 32))) throw new RlpxError('bad-mac', 'bad header MAC');
    const plain = asBytes(this.decrypt.update(head.subarray(0, 16)));
    return (plain[0]! << 16) | (plain[1]! << 8) | plain[2]!;
  }

  /**
   * Checks the frame MAC of `body` (the padded frame ‖ its MAC, `frameBodyBytes(size)`
   * bytes) and decrypts it into its message.
   *
   * @throws RlpxError 'bad-mac' or 'bad-message' (a code that is not a canonical integer)
   */
  openBody(body: Uint8Array, size: number): FrameMessage {
    const padded = body.length - MAC_BYTES;
    const ciphertext = body.subarray(0, padded);
    const expected = this.ingress.frame(ciphertext);
    if (!equal16(expected, body.subarray(padded))) throw new RlpxError('bad-mac', 'bad frame MAC');
    const plain = asBytes(this.decrypt.update(ciphertext)).subarray(0, size);
    return decodeCode(plain);
  }
}

/** The message code at the start of a frame (a canonical RLP integer) and what follows. */
function decodeCode(plain: Uint8Array): FrameMessage {
  if (plain.length === 0) throw new RlpxError('bad-message', 'empty frame');
  const b = plain[0]!;
  if (b < 0x80) return { code: b, payload: plain.subarray(1) };
  if (b === 0x80) return { code: 0, payload: plain.subarray(1) };
  const n = b - 0x80;
  if (n > 6 || plain.length < 1 + n)
    throw new RlpxError('bad-message', 'frame message code is not an integer');
  if (plain[1] === 0 || (n === 1 && plain[1]! < 0x80))
    throw new RlpxError('bad-message', 'frame message code is not canonical');
  let code = 0;
  for (let i = 1; i <= n; i++) code = code * 256 + plain[i]!;
  return { code, payload: plain.subarray(1 + n) };
}
