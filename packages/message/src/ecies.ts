/**
 * Asymmetric messages (specs/whisper-v6 SPEC §5.4): geth's ECIES over secp256k1, from
 * @hush/crypto, with no shared info and no shared MAC data, and its failures as the
 * `MessageError` codes of SPEC §5.8.
 */
import { type CryptoBackend, type EciesRandomness, eciesDecrypt, eciesEncrypt } from '@hush/crypto';
import { MessageError } from './errors.js';

export type { EciesRandomness } from '@hush/crypto';

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
  return eciesEncrypt(plaintext, publicKey, backend, { randomness });
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
  const result = eciesDecrypt(data, privateKey, backend);
  if (result.ok) return result.plaintext;
  const code = result.failure === 'short-body' ? 'too-short' : result.failure;
  throw new MessageError(code, result.detail);
}
