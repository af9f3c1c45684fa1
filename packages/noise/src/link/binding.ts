/**
 * The identity binding of a Noise link (specs/whisper-v6 SPEC §7.6.2): the payload each side
 * sends inside its handshake message that carries its static key. It is the node's 65-byte
 * secp256k1 public key and a 65-byte recoverable signature by that key over
 * SHA-256("hush-link/1 static key" ‖ the Noise static public key), so a peer is known by its
 * Whisper identity and the Noise key it proved is that identity's.
 */
import type { Identity, IdentityVerifier } from '@hush/interface';
import { sha256 } from '@noble/hashes/sha2.js';

const DOMAIN = new TextEncoder().encode('hush-link/1 static key');
/** Bytes of a binding: the public key, then the signature. */
export const BINDING_LENGTH = 130;

function digestOf(staticKey: Uint8Array): Uint8Array {
  const input = new Uint8Array(DOMAIN.length + staticKey.length);
  input.set(DOMAIN, 0);
  input.set(staticKey, DOMAIN.length);
  return sha256(input);
}

/** The binding of `staticKey` (this side's Noise static public key) to `identity`. */
export function encodeBinding(identity: Identity, staticKey: Uint8Array): Uint8Array {
  const out = new Uint8Array(BINDING_LENGTH);
  out.set(identity.publicKey, 0);
  out.set(identity.sign(digestOf(staticKey)), 65);
  return out;
}

/**
 * The secp256k1 public key a binding proves for `staticKey` (the other side's Noise static
 * public key, as the handshake authenticated it), or undefined when it proves nothing.
 */
export function verifyBinding(
  binding: Uint8Array,
  staticKey: Uint8Array,
  verifier: IdentityVerifier,
): Uint8Array | undefined {
  if (binding.length !== BINDING_LENGTH) return undefined;
  const claimed = binding.subarray(0, 65);
  const signer = verifier.recover(digestOf(staticKey), binding.subarray(65));
  if (signer?.length !== 65) return undefined;
  for (let i = 0; i < 65; i++) if (signer[i] !== claimed[i]) return undefined;
  return signer;
}
