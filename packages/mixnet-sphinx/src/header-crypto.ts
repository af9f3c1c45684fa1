/**
 * The per-hop cryptography of the X25519 NIKE Sphinx (specs/mixnet-sphinx/SPEC.md §4), as
 * Katzenpost parameterises it: the shared secret X25519(mix key, alpha); 160 bytes of keys by
 * HKDF-SHA256 expand only (info `katzenpost-kdf-v0-hkdf-sha256`): header MAC key 32, header
 * stream key 32, header IV 16, payload SPRP key 48, blinding seed 32; the header stream
 * AES-256-CTR; the header MAC HMAC-SHA256 untruncated; the blinding scalar the first 32 bytes
 * of ChaCha20 (key the seed, zero nonce and counter); the replay tag SHA-512/256 of alpha.
 */

import {
  aes256CtrKeyStream,
  chacha20KeyStream,
  hkdfExpandSha256,
  hmacSha256,
  sha512t256,
} from '#primitives';
import { x25519Base, x25519Exp } from '#x25519';
import { SphinxError } from './errors.js';

const KDF_INFO = new TextEncoder().encode('katzenpost-kdf-v0-hkdf-sha256');
/** Bytes of key material per hop. */
export const KDF_OUTPUT_LENGTH = 160;

/** One hop's keys. */
export interface HopKeys {
  readonly headerMac: Uint8Array;
  readonly headerStream: Uint8Array;
  readonly headerIv: Uint8Array;
  /** 48 bytes: AEZ's key. */
  readonly payloadKey: Uint8Array;
  /** The X25519 scalar that blinds alpha for the next hop. */
  readonly blindingScalar: Uint8Array;
}

/** The keys of a shared secret. */
export function hopKeys(sharedSecret: Uint8Array): HopKeys {
  const okm = hkdfExpandSha256(sharedSecret, KDF_INFO, KDF_OUTPUT_LENGTH);
  // Views, not copies: the output is fresh and each key owns its own range of it.
  return {
    headerMac: okm.subarray(0, 32),
    headerStream: okm.subarray(32, 64),
    headerIv: okm.subarray(64, 80),
    payloadKey: okm.subarray(80, 128),
    blindingScalar: chacha20KeyStream(okm.subarray(128, 160), 32),
  };
}

/**
 * X25519 of a scalar and a group element.
 *
 * @param once - the scalar serves this one call (a mix's blinding scalar): the Node path
 *   then does not keep its imported key
 * @throws SphinxError 'bad-element' when the result is all zero (a low-order point)
 */
export function exp(scalar: Uint8Array, element: Uint8Array, once = false): Uint8Array {
  try {
    return x25519Exp(scalar, element, once);
  } catch (cause) {
    throw new SphinxError('bad-element', 'the group element is a low-order point', { cause });
  }
}

/** The X25519 public key of a private key. */
export function publicKeyOf(privateKey: Uint8Array): Uint8Array {
  return x25519Base(privateKey);
}

/** The header stream's first `length` bytes. */
export function headerKeyStream(keys: HopKeys, length: number): Uint8Array {
  return aes256CtrKeyStream(keys.headerStream, keys.headerIv, length);
}

/** HMAC-SHA256 of the parts, with the hop's MAC key. */
export function headerMac(keys: HopKeys, ...parts: Uint8Array[]): Uint8Array {
  return hmacSha256(keys.headerMac, parts);
}

/** The replay tag of a packet: SHA-512/256 of its alpha. */
export function replayTag(alpha: Uint8Array): Uint8Array {
  return sha512t256(alpha);
}

/** Constant-time equality. */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}
