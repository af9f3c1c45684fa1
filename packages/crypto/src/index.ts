/**
 * @hush/crypto: the primitives of Whisper v6 messages (AES-GCM, AES-128-CTR, SHA-256, HMAC,
 * PBKDF2, secp256k1 ECDH / recoverable signatures) behind the `CryptoBackend` interface. The
 * default is native in Node (node:crypto, libsecp256k1) and pure JS (@noble) elsewhere; both
 * give identical results.
 *
 * @packageDocumentation
 */

export { defaultBackend } from '#default-backend';
export { type CryptoBackend, randomBytes } from './backend.js';
export {
  ECIES_OVERHEAD,
  type EciesFailure,
  type EciesOptions,
  type EciesRandomness,
  eciesDecrypt,
  eciesEncrypt,
} from './ecies.js';
export { secp256k1Identity, secp256k1Verifier } from './identity.js';
export { nobleBackend } from './noble-backend.js';
