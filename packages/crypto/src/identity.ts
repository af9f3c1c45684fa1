/**
 * The node identity of `@hush/interface` on secp256k1: a Whisper node's key signs (geth's
 * r ‖ s ‖ v layout) and anyone recovers the signer.
 */
import { type Identity, type IdentityVerifier, peerIdFromPublicKey } from '@hush/interface';
import { defaultBackend } from '#default-backend';
import type { CryptoBackend } from './backend.js';

/**
 * The identity of a secp256k1 private key. The key stays inside the returned object.
 *
 * @throws RangeError when `privateKey` is not a valid secp256k1 private key
 * @example
 * ```ts
 * const identity = secp256k1Identity(nodeKey);
 * identity.peerId; // the enode id
 * ```
 */
export function secp256k1Identity(
  privateKey: Uint8Array,
  backend: CryptoBackend = defaultBackend,
): Identity {
  if (!(privateKey instanceof Uint8Array) || !backend.isValidPrivateKey(privateKey))
    throw new RangeError('privateKey: not a valid secp256k1 private key');
  const key = privateKey.slice();
  const publicKey = backend.publicKeyCreate(key);
  return {
    publicKey,
    peerId: peerIdFromPublicKey(publicKey),
    sign(digest) {
      if (!(digest instanceof Uint8Array) || digest.length !== 32)
        throw new RangeError('digest: must be 32 bytes');
      return backend.signRecoverable(digest, key);
    },
  };
}

/** Recovers the secp256k1 signers of identity signatures. */
export function secp256k1Verifier(backend: CryptoBackend = defaultBackend): IdentityVerifier {
  return {
    recover: (digest, signature) =>
      digest.length === 32 && signature.length === 65
        ? backend.recoverPublicKey(digest, signature)
        : null,
  };
}
