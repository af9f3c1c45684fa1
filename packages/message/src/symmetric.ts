/**
 * Symmetric messages (specs/whisper-v6 SPEC §5.3): AES-GCM without associated data; the
 * envelope data is ciphertext ‖ 16-byte tag ‖ 12-byte nonce ("salt").
 */
import type { CryptoBackend } from '@hush/crypto';
import { randomBytes } from '@hush/crypto';
import { AES_KEY_LENGTH, AES_NONCE_LENGTH } from './constants.js';
import { MessageError } from './errors.js';

const TAG_LENGTH = 16;

/**
 * Checks a sender's symmetric key as geth's Wrap does: exactly 32 bytes, not all zero.
 *
 * @throws MessageError 'bad-key-size' or 'zero-key'
 */
export function assertSenderSymKey(key: Uint8Array): void {
  if (key.length !== AES_KEY_LENGTH) {
    throw new MessageError(
      'bad-key-size',
      `invalid key provided for symmetric encryption, size: ${key.length}`,
    );
  }
  if (key.every((b) => b === 0)) {
    throw new MessageError('zero-key', 'invalid key provided for symmetric encryption: all zero');
  }
}

/**
 * Encrypts a plaintext; `salt` (the 12-byte nonce) is random unless given.
 *
 * @throws MessageError 'bad-key-size' or 'zero-key'
 * @throws RangeError if `salt` is not 12 bytes
 */
export function encryptSymmetric(
  plaintext: Uint8Array,
  key: Uint8Array,
  backend: CryptoBackend,
  salt: Uint8Array = randomSalt(),
): Uint8Array {
  assertSenderSymKey(key);
  if (salt.length !== AES_NONCE_LENGTH)
    throw new RangeError(`salt must be ${AES_NONCE_LENGTH} bytes`);
  const sealed = backend.aesGcmSeal(key, salt, plaintext);
  const data = new Uint8Array(sealed.length + AES_NONCE_LENGTH);
  data.set(sealed, 0);
  data.set(salt, sealed.length);
  return data;
}

function randomSalt(): Uint8Array {
  for (;;) {
    const salt = randomBytes(AES_NONCE_LENGTH);
    if (salt.some((b) => b !== 0)) return salt;
  }
}

/**
 * Decrypts envelope data with a symmetric key. Like geth, any AES key length (16, 24, 32)
 * decrypts; only senders are held to 32 bytes.
 *
 * @returns the plaintext and the salt
 * @throws MessageError 'too-short', 'bad-key-size' or 'decrypt-failed'
 */
export function decryptSymmetric(
  data: Uint8Array,
  key: Uint8Array,
  backend: CryptoBackend,
): { plaintext: Uint8Array; salt: Uint8Array } {
  if (data.length < AES_NONCE_LENGTH)
    throw new MessageError('too-short', 'missing salt in symmetric message');
  if (key.length !== 16 && key.length !== 24 && key.length !== 32) {
    throw new MessageError('bad-key-size', `invalid AES key size ${key.length}`);
  }
  if (data.length < AES_NONCE_LENGTH + TAG_LENGTH) {
    throw new MessageError('too-short', 'symmetric message shorter than salt and tag');
  }
  const salt = data.subarray(data.length - AES_NONCE_LENGTH);
  const plaintext = backend.aesGcmOpen(key, salt, data.subarray(0, data.length - AES_NONCE_LENGTH));
  if (!plaintext) throw new MessageError('decrypt-failed', 'message authentication failed');
  return { plaintext, salt };
}
