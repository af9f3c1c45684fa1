/**
 * Peer identity. A Hush node is known by its secp256k1 public key, as a Whisper node is by
 * its enode id; every transport proves that key during its handshake, so one node has one
 * peer id on every transport.
 */
import { HushError } from './errors.js';

/** A peer's id: its enode id, the 64-byte secp256k1 public key (without 0x04) in lowercase hex. */
export type PeerId = string & { readonly __brand: 'PeerId' };

const HEX = /^[0-9a-f]{128}$/;
/** The two hex digits of each byte value (peer ids are made often: every contact heard of). */
const HEX_BYTES = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/**
 * The peer id of a 65-byte uncompressed (0x04 ‖ X ‖ Y) or 64-byte secp256k1 public key.
 *
 * @throws RangeError when `publicKey` has another length or prefix
 */
export function peerIdFromPublicKey(publicKey: Uint8Array): PeerId {
  const body =
    publicKey.length === 65 && publicKey[0] === 4
      ? publicKey.subarray(1)
      : publicKey.length === 64
        ? publicKey
        : undefined;
  if (!body) throw new RangeError('publicKey: must be a 65-byte uncompressed or 64-byte key');
  let hex = '';
  for (const byte of body) hex += HEX_BYTES[byte];
  return hex as PeerId;
}

/**
 * Reads a peer id from text (an enode id, with or without `0x`, any case).
 *
 * @throws RangeError when `text` is not 64 bytes of hex
 */
export function parsePeerId(text: string): PeerId {
  const hex = text.toLowerCase().replace(/^0x/, '');
  if (!HEX.test(hex)) throw new RangeError(`peer id: ${text} is not 64 bytes of hex`);
  return hex as PeerId;
}

/** The 65-byte public key of a peer id. */
export function publicKeyOfPeerId(peerId: PeerId): Uint8Array {
  const key = new Uint8Array(65);
  key[0] = 4;
  for (let i = 0; i < 64; i++) key[i + 1] = Number.parseInt(peerId.slice(i * 2, i * 2 + 2), 16);
  return key;
}

/** The local node's identity: its public key, and signing with the private key it hides. */
export interface Identity {
  /** 65-byte uncompressed secp256k1 public key. */
  readonly publicKey: Uint8Array;
  readonly peerId: PeerId;
  /**
   * Signs a 32-byte digest: 65 bytes, r ‖ s ‖ recovery id (geth's signature layout).
   *
   * @throws RangeError when `digest` is not 32 bytes
   */
  sign(digest: Uint8Array): Uint8Array;
}

/** Checks signatures made by an {@link Identity}. */
export interface IdentityVerifier {
  /** The 65-byte public key that made `signature` over `digest`, or null if none did. */
  recover(digest: Uint8Array, signature: Uint8Array): Uint8Array | null;
}

/** Why two parts of a node disagree about who it is. */
export type IdentityErrorCode = 'identity-mismatch';

/** A transport or service configured with another identity than the node's. */
export class IdentityError extends HushError<IdentityErrorCode> {
  override readonly name = 'IdentityError';
}

/**
 * Checks that every part of a node uses the node's one identity.
 *
 * @throws IdentityError 'identity-mismatch' naming the part that differs
 */
export function assertSameIdentity(
  node: PeerId,
  parts: Readonly<Record<string, { readonly peerId?: PeerId } | undefined>>,
): void {
  for (const [name, part] of Object.entries(parts))
    if (part?.peerId !== undefined && part.peerId !== node)
      throw new IdentityError(
        'identity-mismatch',
        `${name} proves identity ${part.peerId.slice(0, 16)}…, the node is ${node.slice(0, 16)}…`,
      );
}
