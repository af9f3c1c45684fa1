/**
 * Contacts (SPEC §2.1): a node as the routing table and lookups know it, its peer id (the
 * public key its links prove), the id computed from that key, and the endpoints it says it
 * listens on.
 */
import type { PeerId } from '@hush/interface';
import { type NodeId, nodeIdOfPeer } from './id.js';

/** A node of the DHT. */
export interface Contact {
  /** Its peer id: the 64-byte secp256k1 public key, which every link to it proves. */
  readonly peer: PeerId;
  /** Keccak-256 of that key (SPEC §2.1), computed here, never taken from the node. */
  readonly id: NodeId;
  /** Addresses to dial it at (carrier addresses), as it announced them; at most 4. */
  readonly endpoints: readonly string[];
}

/** Limits of a contact's endpoints (SPEC §2.1, §3.3). */
export const ENDPOINT_LIMITS = {
  /** Endpoints of one contact. */
  count: 4,
  /** UTF-8 bytes of one endpoint. */
  bytes: 256,
} as const;

/**
 * A contact from a peer id and its endpoints, with its id computed from the key.
 *
 * @throws RangeError when there are more than 4 endpoints or one is empty or too long
 */
export function contactOf(peer: PeerId, endpoints: readonly string[] = []): Contact {
  checkEndpoints(endpoints);
  return { peer, id: nodeIdOfPeer(peer), endpoints: [...endpoints] };
}

const utf8 = new TextEncoder();

/**
 * Checks endpoints against ENDPOINT_LIMITS.
 *
 * @throws RangeError when they break a limit
 */
export function checkEndpoints(endpoints: readonly string[]): void {
  if (!Array.isArray(endpoints) || endpoints.length > ENDPOINT_LIMITS.count)
    throw new RangeError(`endpoints: at most ${ENDPOINT_LIMITS.count}`);
  for (const endpoint of endpoints) {
    if (typeof endpoint !== 'string' || endpoint.length === 0)
      throw new RangeError('endpoints: each a non-empty string');
    if (utf8.encode(endpoint).length > ENDPOINT_LIMITS.bytes)
      throw new RangeError(`endpoints: each at most ${ENDPOINT_LIMITS.bytes} bytes`);
  }
}
