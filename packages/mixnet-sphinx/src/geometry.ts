/**
 * Packet geometry (specs/mixnet-sphinx/SPEC.md §2): the lengths every part of a packet has,
 * derived from the number of hops and the user payload length as Katzenpost's X25519 NIKE
 * geometry derives them.
 */

/** Length of the additional data (the version, `00 00`). */
export const AD_LENGTH = 2;
/** X25519 group element (the packet's alpha). */
export const GROUP_ELEMENT_LENGTH = 32;
/** Header MAC: HMAC-SHA256, untruncated. */
export const MAC_LENGTH = 32;
/** A mix node id. */
export const NODE_ID_LENGTH = 32;
/** The zero tag before the payload that authenticates it at the last hop. */
export const PAYLOAD_TAG_LENGTH = 32;
/** SURB id. */
export const SURB_ID_LENGTH = 16;
/** Next-hop command: type, node id, MAC. */
export const NEXT_NODE_HOP_LENGTH = 1 + NODE_ID_LENGTH + MAC_LENGTH;
/** SURB-reply command: type, SURB id. */
export const SURB_REPLY_LENGTH = 1 + SURB_ID_LENGTH;
/** SPRP key material per hop in a SURB's keys: 48-byte key and 16-byte IV. */
export const SPRP_KEY_MATERIAL_LENGTH = 64;

/** Every length of a packet of one geometry. */
export interface Geometry {
  readonly hops: number;
  /** The payload the user gives (forward packets without a SURB inside). */
  readonly userPayloadLength: number;
  readonly perHopRoutingInfoLength: number;
  readonly routingInfoLength: number;
  readonly headerLength: number;
  /** Tag plus user payload. */
  readonly payloadLength: number;
  readonly packetLength: number;
  /** Header, first hop id and SPRP key material. */
  readonly surbLength: number;
}

/**
 * The geometry of `hops` hops and a user payload of `userPayloadLength` bytes.
 *
 * @example
 * ```ts
 * geometry(5, 103).packetLength; // 611, the Katzenpost vectors' packets
 * ```
 * @throws RangeError naming the argument out of range
 */
export function geometry(hops: number, userPayloadLength: number): Geometry {
  if (!Number.isInteger(hops) || hops < 1 || hops > 32)
    throw new RangeError('hops must be an integer in [1, 32]');
  if (!Number.isInteger(userPayloadLength) || userPayloadLength < 1 || userPayloadLength > 1 << 20)
    throw new RangeError('userPayloadLength must be an integer in [1, 1 MiB]');
  const perHopRoutingInfoLength = NEXT_NODE_HOP_LENGTH + SURB_REPLY_LENGTH;
  const routingInfoLength = perHopRoutingInfoLength * hops;
  const headerLength = AD_LENGTH + GROUP_ELEMENT_LENGTH + routingInfoLength + MAC_LENGTH;
  const payloadLength = PAYLOAD_TAG_LENGTH + userPayloadLength;
  return {
    hops,
    userPayloadLength,
    perHopRoutingInfoLength,
    routingInfoLength,
    headerLength,
    payloadLength,
    packetLength: headerLength + payloadLength,
    surbLength: headerLength + NODE_ID_LENGTH + SPRP_KEY_MATERIAL_LENGTH,
  };
}
