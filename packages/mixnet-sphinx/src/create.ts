/**
 * Packet creation (specs/mixnet-sphinx/SPEC.md §6): an ephemeral X25519 key, each hop's keys
 * from its shared secret blinded by every earlier hop's scalar, the routing information built
 * from the last hop back (each hop's commands, then the next-hop command carrying the next
 * MAC, padded, and encrypted under the hop's stream), the MACs over the header each hop will
 * see (the filler of the earlier hops' streams included), and the payload — zero tag and user
 * payload — enciphered by every hop's SPRP from the last to the first. Checked by unwrapping:
 * the vectors' ephemeral keys were random, so creation is proven by round trips.
 */
import { encodeCommand, encodeCommands, type RoutingCommand } from './commands.js';
import { SphinxError } from './errors.js';
import {
  AD_LENGTH,
  type Geometry,
  GROUP_ELEMENT_LENGTH,
  NEXT_NODE_HOP_LENGTH,
  NODE_ID_LENGTH,
  PAYLOAD_TAG_LENGTH,
} from './geometry.js';
import {
  exp,
  type HopKeys,
  headerKeyStream,
  headerMac,
  hopKeys,
  publicKeyOf,
} from './header-crypto.js';
import type { PayloadSprp } from './unwrap.js';

/** One hop of a path. */
export interface PathHop {
  /** The mix's 32-byte node id. */
  readonly id: Uint8Array;
  /** Its X25519 public key for the epoch. */
  readonly publicKey: Uint8Array;
  /** Its commands, next hop excluded (made here): node delay, recipient, SURB reply. */
  readonly commands: readonly RoutingCommand[];
}

/** Where random bytes come from (tests pass a seeded one). */
export type RandomBytes = (length: number) => Uint8Array;

/** The platform's CSPRNG (WebCrypto), every creator's default. */
export const systemRandom: RandomBytes = (length) => crypto.getRandomValues(new Uint8Array(length));

/** A header and the per-hop keys its payload is enciphered with. */
export interface CreatedHeader {
  readonly header: Uint8Array;
  readonly keys: readonly HopKeys[];
}

/**
 * The header of a packet over `path`.
 *
 * @throws SphinxError 'bad-path' for an empty path, one longer than the geometry's hops, a
 *   node id or key of the wrong length, a next-hop command among a hop's commands, or commands
 *   that do not fit a hop's routing information
 */
export function createHeader(
  geo: Geometry,
  path: readonly PathHop[],
  random: RandomBytes = systemRandom,
): CreatedHeader {
  const hops = path.length;
  if (hops < 1 || hops > geo.hops)
    throw new SphinxError('bad-path', `a path has 1 to ${geo.hops} hops, not ${hops}`);
  const per = geo.perHopRoutingInfoLength;
  const blocks = path.map((hop, i) => {
    if (hop.id.length !== NODE_ID_LENGTH || hop.publicKey.length !== GROUP_ELEMENT_LENGTH)
      throw new SphinxError('bad-path', `hop ${i}: a node id and a public key are 32 bytes`);
    if (hop.commands.some((c) => c.type === 'next-node-hop'))
      throw new SphinxError('bad-path', `hop ${i}: the next-hop command is made here, not given`);
    const own = encodeCommands(hop.commands);
    const room = i === hops - 1 ? per : per - NEXT_NODE_HOP_LENGTH;
    if (own.length > room)
      throw new SphinxError(
        'bad-path',
        `hop ${i}: its commands take ${own.length} bytes of ${room}`,
      );
    return own;
  });

  // Keys: each hop's shared secret, blinded by the scalars of the hops before it.
  const secret = random(32);
  const keys: HopKeys[] = [];
  const alphas: Uint8Array[] = [];
  let alpha = publicKeyOf(secret);
  for (let i = 0; i < hops; i++) {
    let shared = exp(secret, path[i]!.publicKey);
    for (let j = 0; j < i; j++) shared = exp(keys[j]!.blindingScalar, shared);
    keys.push(hopKeys(shared));
    alphas.push(alpha);
    alpha = exp(keys[i]!.blindingScalar, alpha);
  }

  // Each hop's stream over the routing information and one hop more: the part this hop
  // decrypts, and the filler it shifts in, which the MACs of the hops before it must include.
  const streams = keys.map((k) => headerKeyStream(k, geo.routingInfoLength + per));
  const fillers: Uint8Array[] = [];
  for (let i = 0; i < hops; i++) {
    const cut = geo.routingInfoLength + per - (i + 1) * per;
    const filler = streams[i]!.slice(cut);
    if (i > 0) for (let b = 0; b < fillers[i - 1]!.length; b++) filler[b]! ^= fillers[i - 1]![b]!;
    fillers.push(filler);
  }

  let routing = random((geo.hops - hops) * per);
  let mac: Uint8Array = new Uint8Array(0);
  const version = new Uint8Array(AD_LENGTH);
  for (let i = hops - 1; i >= 0; i--) {
    const fragment = new Uint8Array(per);
    fragment.set(blocks[i]!);
    if (i < hops - 1)
      fragment.set(
        encodeCommand({ type: 'next-node-hop', id: path[i + 1]!.id, mac }),
        blocks[i]!.length,
      );
    const next = new Uint8Array(per + routing.length);
    next.set(fragment);
    next.set(routing, per);
    const stream = streams[i]!;
    for (let b = 0; b < next.length; b++) next[b]! ^= stream[b]!;
    routing = next;
    mac =
      i > 0
        ? headerMac(keys[i]!, version, alphas[i]!, routing, fillers[i - 1]!)
        : headerMac(keys[i]!, version, alphas[i]!, routing);
  }

  const header = new Uint8Array(geo.headerLength);
  header.set(alphas[0]!, AD_LENGTH);
  header.set(routing, AD_LENGTH + GROUP_ELEMENT_LENGTH);
  header.set(mac, AD_LENGTH + GROUP_ELEMENT_LENGTH + geo.routingInfoLength);
  return { header, keys };
}

/**
 * A forward packet over `path` carrying `payload` (exactly the geometry's user payload).
 *
 * @example
 * ```ts
 * const packet = createPacket(geo, [{ id, publicKey, commands: [{ type: 'node-delay', delayMs: 500 }] }, …], payload, aezSprp);
 * ```
 * @throws SphinxError 'bad-path' (see createHeader) or for a payload of the wrong length
 */
export function createPacket(
  geo: Geometry,
  path: readonly PathHop[],
  payload: Uint8Array,
  sprp: PayloadSprp,
  random: RandomBytes = systemRandom,
): Uint8Array {
  if (payload.length !== geo.userPayloadLength)
    throw new SphinxError(
      'bad-path',
      `the payload is ${geo.userPayloadLength} bytes, not ${payload.length}`,
    );
  const { header, keys } = createHeader(geo, path, random);
  let body: Uint8Array = new Uint8Array(geo.payloadLength);
  body.set(payload, PAYLOAD_TAG_LENGTH);
  for (let i = keys.length - 1; i >= 0; i--)
    body = sprp.encrypt(keys[i]!.payloadKey, keys[i]!.headerIv, body);
  const packet = new Uint8Array(geo.packetLength);
  packet.set(header);
  packet.set(body, geo.headerLength);
  return packet;
}
