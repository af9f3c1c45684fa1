/**
 * A mix's step (specs/mixnet-sphinx/SPEC.md §5): check the version, derive the hop's keys from
 * its private key and the packet's alpha, verify the header MAC over AD ‖ alpha ‖ routing
 * info, decrypt the routing information (extended by one hop of zeros, so the packet keeps its
 * length), read this hop's commands, decrypt the payload once with the SPRP, and either make
 * the packet for the next hop (alpha blinded, routing information shifted, the next MAC) or
 * end: at the recipient the zero tag must be zero; a SURB reply's payload is left as it is
 * for its creator's keys.
 */
import { decodeCommands, type RoutingCommand } from './commands.js';
import { SphinxError } from './errors.js';
import {
  AD_LENGTH,
  type Geometry,
  GROUP_ELEMENT_LENGTH,
  MAC_LENGTH,
  PAYLOAD_TAG_LENGTH,
} from './geometry.js';
import {
  equalBytes,
  exp,
  headerKeyStream,
  headerMac,
  hopKeys,
  replayTag as tagOf,
} from './header-crypto.js';

/** The payload's strong pseudorandom permutation (AEZ v5, tau 0, in Katzenpost). */
export interface PayloadSprp {
  encrypt(key: Uint8Array, iv: Uint8Array, data: Uint8Array): Uint8Array;
  decrypt(key: Uint8Array, iv: Uint8Array, data: Uint8Array): Uint8Array;
}

/** What a hop did with a packet. */
export type Unwrapped =
  | {
      readonly kind: 'forward';
      readonly replayTag: Uint8Array;
      readonly commands: readonly RoutingCommand[];
      /** The next mix's id. */
      readonly nextHop: Uint8Array;
      /** The packet to send it. */
      readonly packet: Uint8Array;
    }
  | {
      readonly kind: 'final';
      readonly replayTag: Uint8Array;
      readonly commands: readonly RoutingCommand[];
      /**
       * The user payload (tag checked and removed), or for a SURB reply the still-encrypted
       * payload, tag included, for the SURB's creator to decrypt.
       */
      readonly payload: Uint8Array;
      /** The SURB id, for a SURB reply. */
      readonly surbId?: Uint8Array;
    };

const VERSION = new Uint8Array(AD_LENGTH);

/**
 * Unwraps one hop of a packet.
 *
 * @example
 * ```ts
 * const step = unwrapPacket(geometry(5, 103), mixPrivateKey, packet, aezSprp);
 * if (step.kind === 'forward') send(step.nextHop, step.packet);
 * ```
 * @throws SphinxError 'truncated' (wrong length), 'bad-version', 'bad-element', 'bad-mac',
 *   'bad-command', 'bad-tag'; the replay tag is computed before the MAC, so a caller that
 *   wants it for a refused packet calls {@link packetReplayTag}
 */
export function unwrapPacket(
  geo: Geometry,
  privateKey: Uint8Array,
  packet: Uint8Array,
  sprp: PayloadSprp,
): Unwrapped {
  if (!(packet instanceof Uint8Array) || packet.length !== geo.packetLength)
    throw new SphinxError(
      'truncated',
      `a packet is ${geo.packetLength} bytes, not ${packet?.length}`,
    );
  if (!equalBytes(packet.subarray(0, AD_LENGTH), VERSION))
    throw new SphinxError('bad-version', 'unknown packet version (AD is not 00 00)');
  const alphaOff = AD_LENGTH;
  const riOff = alphaOff + GROUP_ELEMENT_LENGTH;
  const macOff = riOff + geo.routingInfoLength;
  const payloadOff = macOff + MAC_LENGTH;
  const alpha = packet.subarray(alphaOff, riOff);
  const replayTag = tagOf(alpha);
  const keys = hopKeys(exp(privateKey, alpha));
  const mac = headerMac(keys, packet.subarray(0, macOff));
  if (!equalBytes(mac, packet.subarray(macOff, payloadOff)))
    throw new SphinxError('bad-mac', 'the header MAC does not verify');

  const per = geo.perHopRoutingInfoLength;
  const riLength = geo.routingInfoLength;
  const stream = headerKeyStream(keys, riLength + per);
  // Decrypted in place in the keystream's buffer: routing info ‖ one hop of zeros, XORed
  // with the stream, is the stream's last `per` bytes as they are.
  for (let i = 0; i < riLength; i++) stream[i]! ^= packet[riOff + i]!;
  const commands = decodeCommands(stream.subarray(0, per));
  const payload = sprp.decrypt(keys.payloadKey, keys.headerIv, packet.subarray(payloadOff));

  const next = commands.find((c) => c.type === 'next-node-hop');
  if (next) {
    const out = new Uint8Array(geo.packetLength);
    // The version is 00 00, as the zeroed buffer is.
    out.set(exp(keys.blindingScalar, alpha, true), alphaOff);
    out.set(stream.subarray(per), riOff);
    out.set(next.mac, macOff);
    out.set(payload, payloadOff);
    return { kind: 'forward', replayTag, commands, nextHop: next.id, packet: out };
  }
  const surb = commands.find((c) => c.type === 'surb-reply');
  if (surb) return { kind: 'final', replayTag, commands, payload, surbId: surb.id };
  for (let i = 0; i < PAYLOAD_TAG_LENGTH; i++)
    if (payload[i] !== 0) throw new SphinxError('bad-tag', 'the payload was tampered with');
  return { kind: 'final', replayTag, commands, payload: payload.slice(PAYLOAD_TAG_LENGTH) };
}

/**
 * The replay tag of a packet (SHA-512/256 of its alpha), without unwrapping it.
 *
 * @throws SphinxError 'truncated' for a packet too short to hold an alpha
 */
export function packetReplayTag(packet: Uint8Array): Uint8Array {
  if (packet.length < AD_LENGTH + GROUP_ELEMENT_LENGTH)
    throw new SphinxError('truncated', 'the packet is too short to hold an alpha');
  return tagOf(packet.subarray(AD_LENGTH, AD_LENGTH + GROUP_ELEMENT_LENGTH));
}
