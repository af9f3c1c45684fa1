/**
 * The message plaintext (specs/whisper-v6 SPEC §5.1–§5.2): flags ‖ payload size
 * (little-endian, flags & 3 bytes) ‖ payload ‖ padding ‖ [signature]. Building follows
 * geth's sender; parsing accepts exactly what geth's ValidateAndParse accepts and refuses, with
 * a code, the inputs that make geth panic.
 */
import type { CryptoBackend } from '@hush/crypto';
import { randomBytes } from '@hush/crypto';
import { keccak256 } from '@hush/keccak';
import {
  FLAGS_LENGTH,
  PAD_SIZE_LIMIT,
  SIGNATURE_FLAG,
  SIGNATURE_LENGTH,
  SIZE_MASK,
} from './constants.js';
import { MessageError } from './errors.js';

/** The fields of a parsed plaintext. */
export interface ParsedPlaintext {
  /** The whole decrypted plaintext. */
  readonly raw: Uint8Array;
  readonly flags: number;
  /** flags & 3: bytes of the payload-size field (0 = none, then the payload is empty). */
  readonly payloadSizeFieldLength: number;
  readonly payload: Uint8Array;
  readonly padding: Uint8Array;
  /** r ‖ s ‖ v, or null when unsigned. */
  readonly signature: Uint8Array | null;
  /** The signer's 65-byte public key, or null when unsigned. */
  readonly signer: Uint8Array | null;
  /**
   * keccak256 of the plaintext before the signature: what the signature covers. Null when
   * unsigned (geth's hash of an unsigned message is keccak256 of all of it, see
   * `messageHash`); not computed then, since nothing needs it.
   */
  readonly signedHash: Uint8Array | null;
}

/** Bytes needed for the little-endian payload size: at least one. */
export function payloadSizeFieldLength(payloadLength: number): number {
  let size = 1;
  for (let n = payloadLength; n >= 256; n = Math.floor(n / 256)) size++;
  return size;
}

/**
 * Geth's default padding length: aligns flags + size field + payload (+ signature) to 256
 * bytes, 1 to 256 bytes, never 0.
 */
export function defaultPaddingLength(payloadLength: number, signed: boolean): number {
  const raw =
    FLAGS_LENGTH +
    payloadSizeFieldLength(payloadLength) +
    payloadLength +
    (signed ? SIGNATURE_LENGTH : 0);
  return PAD_SIZE_LIMIT - (raw % PAD_SIZE_LIMIT);
}

/**
 * Builds a plaintext as geth's sender does: explicit padding as given (an empty one means
 * default), otherwise random default padding; signed last when `signingKey` is given.
 *
 * @throws MessageError 'bad-private-key' if the signing key is invalid
 * @throws RangeError if the payload needs a 4-byte size field (16 MiB or more)
 */
export function buildPlaintext(
  payload: Uint8Array,
  padding: Uint8Array | undefined,
  signingKey: Uint8Array | undefined,
  backend: CryptoBackend,
): Uint8Array {
  const sizeLength = payloadSizeFieldLength(payload.length);
  if (sizeLength > SIZE_MASK) {
    // A 4-byte size field would set the signed flag (geth's sender has this bug); such a
    // payload is far above every message size limit anyway.
    throw new RangeError(`payload of ${payload.length} bytes is too large for a Whisper message`);
  }
  const pad =
    padding && padding.length > 0
      ? padding
      : randomPadding(defaultPaddingLength(payload.length, !!signingKey));
  const body = FLAGS_LENGTH + sizeLength + payload.length + pad.length;
  const raw = new Uint8Array(body + (signingKey ? SIGNATURE_LENGTH : 0));
  raw[0] = sizeLength | (signingKey ? SIGNATURE_FLAG : 0);
  for (let i = 0, n = payload.length; i < sizeLength; i++, n = Math.floor(n / 256))
    raw[1 + i] = n % 256;
  raw.set(payload, 1 + sizeLength);
  raw.set(pad, 1 + sizeLength + payload.length);
  if (signingKey) {
    if (!backend.isValidPrivateKey(signingKey)) {
      throw new MessageError('bad-private-key', 'invalid private key provided for signing');
    }
    // The signature covers everything before it, with the signed flag already set.
    raw.set(backend.signRecoverable(keccak256(raw.subarray(0, body)), signingKey), body);
  }
  return raw;
}

/** Random padding that is not all zeros (geth's integrity check on its random source). */
function randomPadding(length: number): Uint8Array {
  for (;;) {
    const pad = randomBytes(length);
    if (length <= 3 || pad.some((b) => b !== 0)) return pad;
  }
}

/**
 * Parses a decrypted plaintext (SPEC §5.2). Signature recovery comes first, as in geth.
 *
 * @throws MessageError 'empty-plaintext', 'signature-too-short', 'bad-signature',
 *   'size-field-truncated' or 'payload-size-overflow'
 */
export function parsePlaintext(raw: Uint8Array, backend: CryptoBackend): ParsedPlaintext {
  if (raw.length < 1) throw new MessageError('empty-plaintext', 'empty plaintext');
  const flags = raw[0]!;
  let end = raw.length;
  let signature: Uint8Array | null = null;
  let signer: Uint8Array | null = null;
  let signedHash: Uint8Array | null = null;
  if ((flags & SIGNATURE_FLAG) !== 0) {
    end -= SIGNATURE_LENGTH;
    if (end <= 1)
      throw new MessageError('signature-too-short', 'signed message too short for its signature');
    signature = raw.subarray(end, end + SIGNATURE_LENGTH);
    signedHash = keccak256(raw.subarray(0, end));
    signer = backend.recoverPublicKey(signedHash, signature);
    if (!signer)
      throw new MessageError('bad-signature', 'no public key recovers from the signature');
  }
  const sizeLength = flags & SIZE_MASK;
  let begin = FLAGS_LENGTH;
  let payloadSize = 0;
  if (sizeLength !== 0) {
    // geth reads the size field without checking that it fits, and panics when it does not.
    if (begin + sizeLength > end) {
      throw new MessageError('size-field-truncated', 'payload-size field runs past the message');
    }
    for (let i = sizeLength - 1; i >= 0; i--) payloadSize = payloadSize * 256 + raw[begin + i]!;
    begin += sizeLength;
    // geth checks only payloadSize + 1 > end, and panics on the rest of this overrun.
    if (payloadSize + 1 > end || begin + payloadSize > end) {
      throw new MessageError(
        'payload-size-overflow',
        `payload size ${payloadSize} exceeds the message`,
      );
    }
  }
  return {
    raw,
    flags,
    payloadSizeFieldLength: sizeLength,
    payload: raw.subarray(begin, begin + payloadSize),
    padding: raw.subarray(begin + payloadSize, end),
    signature,
    signer,
    signedHash,
  };
}

/**
 * geth's message hash: keccak256 of the plaintext without its signature, or of all of it when
 * unsigned.
 */
export function messageHash(message: Pick<ParsedPlaintext, 'raw' | 'signedHash'>): Uint8Array {
  return message.signedHash ?? keccak256(message.raw);
}
