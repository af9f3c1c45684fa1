/**
 * Keys as geth's Whisper forms them (specs/whisper-v6 SPEC §5.5): secp256k1 key pairs,
 * 32-byte symmetric keys, password keys (PBKDF2-SHA256, no salt, 65356 iterations) and key
 * ids (32 random bytes, hex without 0x).
 */
import { type CryptoBackend, defaultBackend, randomBytes } from '@hush/crypto';
import { keccak256 } from '@hush/keccak';
import { AES_KEY_LENGTH, KEY_ID_SIZE, PASSWORD_KEY_ITERATIONS } from './constants.js';

function nonZeroRandom(length: number): Uint8Array {
  for (;;) {
    const bytes = randomBytes(length);
    if (bytes.some((b) => b !== 0)) return bytes;
  }
}

/** A new random secp256k1 private key (32 bytes). */
export function generatePrivateKey(backend: CryptoBackend = defaultBackend): Uint8Array {
  for (;;) {
    const key = randomBytes(32);
    if (backend.isValidPrivateKey(key)) return key;
  }
}

/**
 * The 65-byte uncompressed public key of a private key.
 *
 * @throws TypeError if `privateKey` is not a Uint8Array
 * @throws RangeError if it is not a valid secp256k1 private key
 */
export function publicKeyOf(
  privateKey: Uint8Array,
  backend: CryptoBackend = defaultBackend,
): Uint8Array {
  if (!(privateKey instanceof Uint8Array)) throw new TypeError('privateKey must be a Uint8Array');
  if (!backend.isValidPrivateKey(privateKey))
    throw new RangeError('privateKey is not a valid secp256k1 key');
  return backend.publicKeyCreate(privateKey);
}

/** A new random 32-byte symmetric key (never all zero). */
export function generateSymKey(): Uint8Array {
  return nonZeroRandom(AES_KEY_LENGTH);
}

/**
 * The symmetric key geth derives from a password: PBKDF2-HMAC-SHA256 of its UTF-8 bytes, empty
 * salt, 65356 iterations, 32 bytes.
 *
 * @throws TypeError if `password` is not a string
 */
export function symKeyFromPassword(
  password: string,
  backend: CryptoBackend = defaultBackend,
): Uint8Array {
  if (typeof password !== 'string') throw new TypeError('password must be a string');
  return backend.pbkdf2Sha256(
    new TextEncoder().encode(password),
    new Uint8Array(0),
    PASSWORD_KEY_ITERATIONS,
    32,
  );
}

/** A new key id as geth forms them: 32 random bytes as lowercase hex, without 0x. */
export function generateKeyId(): string {
  let id = '';
  for (const b of nonZeroRandom(KEY_ID_SIZE)) id += b.toString(16).padStart(2, '0');
  return id;
}

/** keccak256 of a symmetric key: how a received message names the key that opened it. */
export function symKeyHash(key: Uint8Array): Uint8Array {
  return keccak256(key);
}

/**
 * The Ethereum address of a public key: the last 20 bytes of keccak256(X ‖ Y).
 *
 * @throws RangeError if `publicKey` is not 65 bytes starting with 0x04
 */
export function publicKeyToAddress(publicKey: Uint8Array): Uint8Array {
  if (!(publicKey instanceof Uint8Array) || publicKey.length !== 65 || publicKey[0] !== 4) {
    throw new RangeError('publicKey must be a 65-byte uncompressed key');
  }
  return keccak256(publicKey.subarray(1)).slice(12);
}
