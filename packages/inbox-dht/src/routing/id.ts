/**
 * Node ids (specs/inbox-dht/SPEC.md §2.1): a node's id is Keccak-256 of its 64-byte secp256k1
 * public key, as devp2p discovery has it, so an id is bound to the key every Noise link
 * proves. A peer's id is computed from its authenticated peer id, never read from what it
 * claims. Ids and keys share one 256-bit keyspace ordered by XOR distance.
 */
import { type PeerId, publicKeyOfPeerId } from '@hush/interface';
import { keccak256 } from '@hush/keccak';
import { toHex } from '../location.js';

/** Bytes of an id or key of the keyspace. */
export const ID_BYTES = 32;
/** Bits of the keyspace. */
export const ID_BITS = 256;

/** A 32-byte position in the keyspace: a node's id, an inbox location, a lookup target. */
export type NodeId = Uint8Array;

/**
 * The 64-byte body of a secp256k1 public key given as 65 bytes (0x04 ‖ X ‖ Y) or 64.
 *
 * @throws RangeError for another length or prefix
 */
export function publicKeyBody(publicKey: Uint8Array): Uint8Array {
  if (publicKey.length === 65 && publicKey[0] === 4) return publicKey.subarray(1);
  if (publicKey.length === 64) return publicKey;
  throw new RangeError('publicKey: must be a 65-byte uncompressed or 64-byte key');
}

/**
 * The node id of a secp256k1 public key: Keccak-256 of its 64 bytes X ‖ Y.
 *
 * @throws RangeError when `publicKey` is not a 65-byte uncompressed or 64-byte key
 */
export function nodeIdOfPublicKey(publicKey: Uint8Array): NodeId {
  return keccak256(publicKeyBody(publicKey));
}

/** The node id of an authenticated peer (its peer id is the public key it proved). */
export function nodeIdOfPeer(peer: PeerId): NodeId {
  return nodeIdOfPublicKey(publicKeyOfPeerId(peer));
}

/**
 * Whether `value` is a 32-byte id.
 */
export function isNodeId(value: unknown): value is NodeId {
  return value instanceof Uint8Array && value.length === ID_BYTES;
}

function checkId(value: Uint8Array, name: string): void {
  if (!isNodeId(value)) throw new RangeError(`${name}: must be ${ID_BYTES} bytes`);
}

/**
 * The XOR distance a ⊕ b, as 32 bytes (big-endian: compare them as numbers).
 *
 * @throws RangeError when an argument is not 32 bytes
 */
export function xorDistance(a: NodeId, b: NodeId): Uint8Array {
  checkId(a, 'a');
  checkId(b, 'b');
  const out = new Uint8Array(ID_BYTES);
  for (let i = 0; i < ID_BYTES; i++) out[i] = a[i]! ^ b[i]!;
  return out;
}

/**
 * Orders `a` and `b` by their distance to `target`: negative when `a` is closer, positive
 * when `b` is, 0 only when a = b. Allocates nothing.
 */
export function compareDistance(target: NodeId, a: NodeId, b: NodeId): number {
  for (let i = 0; i < ID_BYTES; i++) {
    const da = a[i]! ^ target[i]!;
    const db = b[i]! ^ target[i]!;
    if (da !== db) return da - db;
  }
  return 0;
}

/**
 * The log distance of `a` and `b`: the position (1–256) of the highest bit in which they
 * differ, 0 when they are equal. Nodes at log distance L from a node share its first 256 − L
 * bits and differ in the next.
 */
export function logDistance(a: NodeId, b: NodeId): number {
  for (let i = 0; i < ID_BYTES; i++) {
    const x = a[i]! ^ b[i]!;
    if (x !== 0) return (ID_BYTES - i) * 8 - Math.clz32(x) + 24;
  }
  return 0;
}

/** Whether two ids are the same. */
export function idEquals(a: NodeId, b: NodeId): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** An id in lowercase hex (map keys, logs). */
export function idHex(id: NodeId): string {
  return toHex(id);
}

/**
 * A random id at log distance `distance` (1–256) from `self`: its first 256 − distance bits
 * are self's, the next differs, the rest come from `random` (32 random bytes).
 *
 * @throws RangeError when `distance` is outside 1–256 or `random` is not 32 bytes
 */
export function randomIdAtDistance(self: NodeId, distance: number, random: Uint8Array): NodeId {
  if (!Number.isInteger(distance) || distance < 1 || distance > ID_BITS)
    throw new RangeError('distance: an integer from 1 to 256');
  checkId(random, 'random');
  const out = new Uint8Array(ID_BYTES);
  const bit = distance - 1; // from the least significant bit
  const byte = ID_BYTES - 1 - (bit >> 3);
  const mask = 1 << (bit & 7);
  for (let i = 0; i < ID_BYTES; i++) {
    if (i < byte) out[i] = self[i]!;
    else if (i > byte) out[i] = random[i]!;
    else {
      const high = ~((mask << 1) - 1) & 0xff; // bits above the one that differs
      const low = mask - 1;
      out[i] = (self[i]! & high) | (~self[i]! & mask) | (random[i]! & low);
    }
  }
  return out;
}
