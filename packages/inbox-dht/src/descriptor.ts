/**
 * The signed descriptor of an inbox (specs/inbox-dht/SPEC.md §4.3–§4.5), the BEP 44 mutable
 * item in RLP: what the inbox accepts in one epoch (minimum PoW, maximum size and TTL), the
 * secp256k1 key deposits are sealed to, and a sequence number that only goes up, signed by
 * the inbox key over a domain-separated RLP list of every field.
 */
import { encodeBytes, encodeList, encodeUint, RlpError, RlpStream } from '@hush/rlp';
import { ed25519 } from '@noble/curves/ed25519.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { DhtError } from './errors.js';
import {
  epochSalt,
  INBOX_PUBLIC_KEY_LENGTH,
  inboxLocation,
  MAX_EPOCH,
  SIGNATURE_LENGTH,
} from './location.js';

/** What the signature of a descriptor is over, first (domain separation). */
export const DESCRIPTOR_DOMAIN = new TextEncoder().encode('hush-dht/1 descriptor');
/** Bytes of an encryption key: an uncompressed secp256k1 point. */
export const ENCRYPTION_KEY_LENGTH = 65;
/** Bytes of an encoded minimum PoW: IEEE 754 binary64, big-endian. */
export const MIN_POW_LENGTH = 8;
/** The largest descriptor encoding a decoder reads. */
export const MAX_DESCRIPTOR_LENGTH = 512;
const UINT32_MAX = 0xffffffff;
const UINT64_MAX = (1n << 64n) - 1n;

/** What the recipient chooses for an epoch. */
export interface DescriptorFields {
  /** The epoch (UTC day) the descriptor is for; its salt names the location. */
  readonly epoch: number;
  /** uint64, strictly higher with every update. */
  readonly seq: bigint;
  /** The least Whisper PoW a deposit must carry (finite, ≥ 0). */
  readonly minPow: number;
  /** The largest deposit, in Whisper size (20 + data bytes), 1 … 2³² − 1. */
  readonly maxSize: number;
  /** The longest deposit TTL, seconds, 1 … 2³² − 1. */
  readonly maxTtl: number;
  /** 65-byte uncompressed secp256k1 public key the deposits are sealed to. */
  readonly encryptionKey: Uint8Array;
}

/** A descriptor as published: the fields, the inbox public key and its signature. */
export interface Descriptor extends DescriptorFields {
  /** 32-byte ed25519 public key of the inbox. */
  readonly inboxKey: Uint8Array;
  /** 64-byte ed25519 signature over `descriptorSigningBytes`. */
  readonly signature: Uint8Array;
}

function minPowBytes(minPow: number): Uint8Array {
  const out = new Uint8Array(MIN_POW_LENGTH);
  new DataView(out.buffer).setFloat64(0, minPow);
  return out;
}

/**
 * Checks every field's type and range.
 *
 * @throws RangeError naming the field
 */
export function assertDescriptorFields(fields: DescriptorFields): void {
  const { epoch, seq, minPow, maxSize, maxTtl, encryptionKey } = fields;
  if (!Number.isInteger(epoch) || epoch < 0 || epoch > MAX_EPOCH)
    throw new RangeError('descriptor.epoch must be a uint32');
  if (typeof seq !== 'bigint' || seq < 0n || seq > UINT64_MAX)
    throw new RangeError('descriptor.seq must be a uint64 bigint');
  if (typeof minPow !== 'number' || !Number.isFinite(minPow) || minPow < 0 || Object.is(minPow, -0))
    throw new RangeError('descriptor.minPow must be a finite number ≥ 0 (not -0)');
  for (const [name, value] of [
    ['maxSize', maxSize],
    ['maxTtl', maxTtl],
  ] as const)
    if (!Number.isInteger(value) || value < 1 || value > UINT32_MAX)
      throw new RangeError(`descriptor.${name} must be an integer in 1 … 2^32 − 1`);
  if (!(encryptionKey instanceof Uint8Array) || !isEncryptionKey(encryptionKey))
    throw new RangeError('descriptor.encryptionKey must be a 65-byte secp256k1 point');
}

/** Whether `key` is an uncompressed secp256k1 point on the curve (not the identity). */
export function isEncryptionKey(key: Uint8Array): boolean {
  if (key.length !== ENCRYPTION_KEY_LENGTH || key[0] !== 0x04) return false;
  try {
    secp256k1.Point.fromBytes(key).assertValidity();
    return true;
  } catch {
    return false;
  }
}

/** The fields in signing order, each encoded: inbox key, salt, seq, minPow, maxSize, maxTtl, key. */
function encodedFields(inboxKey: Uint8Array, fields: DescriptorFields): Uint8Array[] {
  return [
    encodeBytes(inboxKey),
    encodeBytes(epochSalt(fields.epoch)),
    encodeUint(fields.seq),
    encodeBytes(minPowBytes(fields.minPow)),
    encodeUint(fields.maxSize),
    encodeUint(fields.maxTtl),
    encodeBytes(fields.encryptionKey),
  ];
}

/**
 * What the inbox key signs: RLP [domain, inbox key, salt, seq, minPow, maxSize, maxTtl,
 * encryption key] (§4.4).
 *
 * @throws RangeError naming a bad field
 */
export function descriptorSigningBytes(inboxKey: Uint8Array, fields: DescriptorFields): Uint8Array {
  assertDescriptorFields(fields);
  if (!(inboxKey instanceof Uint8Array) || inboxKey.length !== INBOX_PUBLIC_KEY_LENGTH)
    throw new RangeError(`descriptor.inboxKey must be ${INBOX_PUBLIC_KEY_LENGTH} bytes`);
  return encodeList([encodeBytes(DESCRIPTOR_DOMAIN), ...encodedFields(inboxKey, fields)]);
}

/**
 * Signs the fields with the inbox secret key.
 *
 * @throws RangeError naming a bad field or a secret key that is not 32 bytes
 */
export function signDescriptor(fields: DescriptorFields, secretKey: Uint8Array): Descriptor {
  if (!(secretKey instanceof Uint8Array) || secretKey.length !== 32)
    throw new RangeError('the inbox secret key is 32 bytes');
  const inboxKey = ed25519.getPublicKey(secretKey);
  const signature = ed25519.sign(descriptorSigningBytes(inboxKey, fields), secretKey);
  return {
    epoch: fields.epoch,
    seq: fields.seq,
    minPow: fields.minPow,
    maxSize: fields.maxSize,
    maxTtl: fields.maxTtl,
    encryptionKey: fields.encryptionKey.slice(),
    inboxKey,
    signature,
  };
}

/**
 * The descriptor's encoding: RLP [inbox key, salt, seq, minPow, maxSize, maxTtl, encryption
 * key, signature] (§4.3).
 *
 * @throws RangeError naming a bad field
 */
export function encodeDescriptor(descriptor: Descriptor): Uint8Array {
  assertDescriptorFields(descriptor);
  if (
    !(descriptor.signature instanceof Uint8Array) ||
    descriptor.signature.length !== SIGNATURE_LENGTH
  )
    throw new RangeError(`descriptor.signature must be ${SIGNATURE_LENGTH} bytes`);
  if (
    !(descriptor.inboxKey instanceof Uint8Array) ||
    descriptor.inboxKey.length !== INBOX_PUBLIC_KEY_LENGTH
  )
    throw new RangeError(`descriptor.inboxKey must be ${INBOX_PUBLIC_KEY_LENGTH} bytes`);
  return encodeList([
    ...encodedFields(descriptor.inboxKey, descriptor),
    encodeBytes(descriptor.signature),
  ]);
}

function malformed(message: string, cause?: unknown): DhtError {
  return new DhtError('malformed', `descriptor: ${message}`, cause ? { cause } : {});
}

function fixed(s: RlpStream, length: number, name: string): Uint8Array {
  const bytes = s.string();
  if (bytes.length !== length) throw malformed(`${name} must be ${length} bytes`);
  return bytes;
}

/**
 * Decodes a descriptor strictly: canonical RLP, exactly eight fields, every length and range
 * as §4.3 says, the encryption key a point on secp256k1. The signature is not checked here
 * (`verifyDescriptor`).
 *
 * @throws DhtError 'malformed' naming the rule that failed
 */
export function decodeDescriptor(bytes: Uint8Array): Descriptor {
  if (!(bytes instanceof Uint8Array)) throw malformed('not bytes');
  if (bytes.length > MAX_DESCRIPTOR_LENGTH)
    throw malformed(`longer than ${MAX_DESCRIPTOR_LENGTH} bytes`);
  try {
    const s = new RlpStream(bytes);
    s.list();
    const inboxKey = fixed(s, INBOX_PUBLIC_KEY_LENGTH, 'inbox key');
    const epoch = new DataView(fixed(s, 4, 'salt').buffer).getUint32(0);
    const seq = s.uint(8);
    const minPow = new DataView(fixed(s, MIN_POW_LENGTH, 'minPow').buffer).getFloat64(0);
    const maxSize = s.uintNumber(4);
    const maxTtl = s.uintNumber(4);
    const encryptionKey = fixed(s, ENCRYPTION_KEY_LENGTH, 'encryption key');
    const signature = fixed(s, SIGNATURE_LENGTH, 'signature');
    if (!s.atListEnd()) throw malformed('more than eight fields');
    s.leave();
    if (!s.atEnd()) throw malformed('bytes after the descriptor');
    const descriptor: Descriptor = {
      epoch,
      seq,
      minPow,
      maxSize,
      maxTtl,
      encryptionKey,
      inboxKey,
      signature,
    };
    try {
      assertDescriptorFields(descriptor);
    } catch (error) {
      throw malformed((error as Error).message, error);
    }
    return descriptor;
  } catch (error) {
    if (error instanceof RlpError) throw malformed(error.message, error);
    throw error;
  }
}

/**
 * Checks the signature of the inbox key over the descriptor (strict RFC 8032 verification).
 *
 * @throws DhtError 'bad-signature' when it does not verify
 * @throws RangeError naming a bad field
 */
export function verifyDescriptor(descriptor: Descriptor): void {
  const message = descriptorSigningBytes(descriptor.inboxKey, descriptor);
  let ok = false;
  try {
    ok = ed25519.verify(descriptor.signature, message, descriptor.inboxKey, { zip215: false });
  } catch {
    ok = false;
  }
  if (!ok) throw new DhtError('bad-signature', 'descriptor: the signature does not verify');
}

/** The location a descriptor is stored at: SHA-256(inbox key ‖ salt of its epoch). */
export function descriptorLocation(descriptor: Descriptor): Uint8Array {
  return inboxLocation(descriptor.inboxKey, descriptor.epoch);
}
