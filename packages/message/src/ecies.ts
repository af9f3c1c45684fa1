/**
 * Asymmetric messages (specs/whisper-v6 SPEC §5.4): geth's ECIES over secp256k1. Shared
 * secret = x coordinate of ECDH; K = SHA-256(0x00000001 ‖ x) (one concat-KDF block);
 * Ke = K[0:16] for AES-128-CTR, Km = SHA-256(K[16:32]) for HMAC-SHA-256 over IV ‖ ciphertext.
 * Data = ephemeral public key (65, uncompressed) ‖ IV (16) ‖ ciphertext ‖ MAC (32).
 */
import type { CryptoBackend } from '@hush/crypto';
import { randomBytes } from '@hush/crypto';
import { MessageError } from './errors.js';

const KEY_LENGTH = 16;
const IV_LENGTH = 16;
const MAC_LENGTH = 32;
const POINT_LENGTH = 65;
const COUNTER_1 = Uint8Array.of(0, 0, 0, 1);

function deriveKeys(
  backend: CryptoBackend,
  sharedX: Uint8Array,
): { ke: Uint8Array; km: Uint8Array } {
  const k = backend.sha256(concat(COUNTER_1, sharedX));
  return {
    ke: k.subarray(0, KEY_LENGTH),
    km: backend.sha256(k.subarray(KEY_LENGTH, 2 * KEY_LENGTH)),
  };
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** Fixed randomness for reproducing an encryption (tests, vectors). */
export interface EciesRandomness {
  /** Ephemeral private key, 32 bytes. */
  readonly ephemeralKey?: Uint8Array;
  /** 16-byte IV. */
  readonly iv?: Uint8Array;
}

/**
 * Encrypts to a public key.
 *
 * @throws MessageError 'bad-public-key' if `publicKey` is not a valid uncompressed point
 * @throws RangeError if given randomness has the wrong size or is not a valid key
 */
export function encryptAsymmetric(
  plaintext: Uint8Array,
  publicKey: Uint8Array,
  backend: CryptoBackend,
  randomness: EciesRandomness = {},
): Uint8Array {
  if (!backend.isValidPublicKey(publicKey)) {
    throw new MessageError(
      'bad-public-key',
      'invalid public key provided for asymmetric encryption',
    );
  }
  let ephemeral = randomness.ephemeralKey;
  if (ephemeral) {
    if (!backend.isValidPrivateKey(ephemeral))
      throw new RangeError('ephemeralKey must be a valid private key');
  } else {
    do ephemeral = randomBytes(32);
    while (!backend.isValidPrivateKey(ephemeral));
  }
  const iv = randomness.iv ?? randomBytes(IV_LENGTH);
  if (iv.length !== IV_LENGTH) throw new RangeError(`iv must be ${IV_LENGTH} bytes`);
  const { ke, km } = deriveKeys(backend, backend.ecdhX(ephemeral, publicKey));
  const ciphertext = backend.aes128Ctr(ke, iv, plaintext);
  const mac = backend.hmacSha256(km, iv, ciphertext);
  return concat(backend.publicKeyCreate(ephemeral), iv, ciphertext, mac);
}

/**
 * Decrypts envelope data with a private key, checking in geth's order: length, key prefix,
 * length again, the point, the MAC, then the body (which geth would panic on when shorter than
 * its IV).
 *
 * @throws MessageError 'too-short', 'bad-ephemeral-key' or 'decrypt-failed'
 */
export function decryptAsymmetric(
  data: Uint8Array,
  privateKey: Uint8Array,
  backend: CryptoBackend,
): Uint8Array {
  if (data.length === 0) throw new MessageError('too-short', 'empty asymmetric message');
  const prefix = data[0]!;
  if (prefix !== 2 && prefix !== 3 && prefix !== 4) {
    throw new MessageError('bad-ephemeral-key', 'ephemeral public key has an invalid prefix');
  }
  if (data.length < POINT_LENGTH + MAC_LENGTH + 1) {
    throw new MessageError('too-short', 'asymmetric message too short');
  }
  const ephemeral = data.subarray(0, POINT_LENGTH);
  if (!backend.isValidPublicKey(ephemeral)) {
    throw new MessageError(
      'bad-ephemeral-key',
      'ephemeral public key is not an uncompressed curve point',
    );
  }
  const body = data.subarray(POINT_LENGTH, data.length - MAC_LENGTH);
  const { ke, km } = deriveKeys(backend, backend.ecdhX(privateKey, ephemeral));
  const mac = backend.hmacSha256(km, body);
  if (!constantTimeEqual(mac, data.subarray(data.length - MAC_LENGTH))) {
    throw new MessageError('decrypt-failed', 'ECIES MAC mismatch');
  }
  if (body.length < IV_LENGTH)
    throw new MessageError('too-short', 'ECIES body shorter than its IV');
  return backend.aes128Ctr(ke, body.subarray(0, IV_LENGTH), body.subarray(IV_LENGTH));
}

function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}
