/**
 * @hush/noise: the Noise Protocol Framework, revision 34 (specs/noise/SPEC.md), on @noble.
 * Every handshake pattern of the spec (one-way, fundamental, deferred) with psk modifiers;
 * DH 25519 and 448; ciphers ChaChaPoly and AESGCM; hashes SHA256, SHA512, BLAKE2s, BLAKE2b.
 *
 * @example
 * ```ts
 * import { HandshakeState } from '@hush/noise';
 * const protocol = 'Noise_XX_25519_ChaChaPoly_SHA256';
 * const alice = new HandshakeState({ protocol, initiator: true, staticKey: aliceKey });
 * const bob = new HandshakeState({ protocol, initiator: false, staticKey: bobKey });
 * bob.readMessage(alice.writeMessage());
 * alice.readMessage(bob.writeMessage());
 * bob.readMessage(alice.writeMessage());
 * const sealed = alice.transportCiphers().send.encryptWithAd(new Uint8Array(0), data);
 * ```
 *
 * @packageDocumentation
 */
export { CipherState, MAX_MESSAGE_LENGTH } from './cipher-state.js';
export { NoiseError, type NoiseErrorCode } from './errors.js';
export {
  type HandshakeOptions,
  HandshakeState,
  type KeyPair,
  type NoiseProtocol,
  noiseProtocol,
} from './handshake.js';
export { BINDING_LENGTH, encodeBinding, verifyBinding } from './link/binding.js';
export { LinkConnection, RateLimiter } from './link/connection.js';
export {
  type NoiseLinkEncrypter,
  type NoiseLinkOptions,
  noiseLinkEncrypter,
} from './link/encrypter.js';
export { CHUNK_PLAINTEXT, openFrame, sealedLength, sealFrame } from './link/framing.js';
export { loadStaticKey } from './link/static-key.js';
export { type HandshakePattern, handshakePattern, PATTERN_NAMES, type Token } from './patterns.js';
export {
  CIPHERS,
  type CipherFunction,
  DH,
  type DhFunction,
  HASHES,
  type HashFunction,
} from './primitives.js';
