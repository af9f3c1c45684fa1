/**
 * The mix link (specs/mixnet-sphinx/SPEC.md §11): the Noise link of `@hush/noise` under the
 * protocol name `hush-mix/1` (never completing with a gossip, direct or DHT link), proving the
 * secp256k1 identity a directory descriptor names, and the frames it carries:
 *
 * - `0x01 PACKETS` ‖ n packets of the geometry's length: mix to mix, 1 to 64 per frame;
 * - `0x02 SUBMIT` ‖ first hop id (32) ‖ packet: a client to its gateway; the first hop is the
 *   gateway itself (it unwraps the packet) or a first-layer mix (a SURB reply, sent on as is);
 * - `0x03 FETCH` ‖ u16 most: a client asks its gateway for its queued messages;
 * - `0x04 MESSAGES` ‖ (u64 seq ‖ u8 kind ‖ [SURB id (16) when kind 1] ‖ u32 length ‖ payload)*:
 *   the answer, oldest first (kind 0 a payload, kind 1 a SURB reply still enciphered);
 * - `0x05 ACK` ‖ u64 seq*: the client has them; the gateway deletes them.
 *
 * Integers are big-endian. A frame that does not parse is a protocol error: the link closes.
 */
import {
  type Carrier,
  type Clock,
  type Connection,
  type ConnectionEncrypter,
  type ConnectionLimits,
  type Identity,
  type IdentityVerifier,
  type PeerId,
  peerIdFromPublicKey,
  type RawChannel,
} from '@hush/interface';
import { type NoiseLinkEncrypter, noiseLinkEncrypter } from '@hush/noise';
import { SphinxError } from './errors.js';
import { NODE_ID_LENGTH, SURB_ID_LENGTH } from './geometry.js';

/** The protocol name of mix links: the Noise prologue of their handshakes. */
export const MIX_LINK_PROTOCOL = 'hush-mix/1';

/** Frame types. */
export const MixFrame = {
  packets: 0x01,
  submit: 0x02,
  fetch: 0x03,
  messages: 0x04,
  ack: 0x05,
} as const;

/** Most packets in one PACKETS frame: a frame's work stays bounded (64 unwraps). */
export const MAX_PACKETS_PER_FRAME = 64;

/** A message a gateway holds for a client. */
export interface QueuedMessage {
  readonly seq: bigint;
  /** For a SURB reply: its id (the payload is still enciphered for the SURB's creator). */
  readonly surbId?: Uint8Array;
  readonly payload: Uint8Array;
}

/** A decoded frame. */
export type MixLinkFrame =
  | { readonly type: 'packets'; readonly packets: readonly Uint8Array[] }
  | { readonly type: 'submit'; readonly firstHop: Uint8Array; readonly packet: Uint8Array }
  | { readonly type: 'fetch'; readonly most: number }
  | { readonly type: 'messages'; readonly messages: readonly QueuedMessage[] }
  | { readonly type: 'ack'; readonly seqs: readonly bigint[] };

/** Limits of mix links: mixes exchange thousands of packets a second. */
export const MIX_LINK_LIMITS: ConnectionLimits = {
  maxFrameBytes: 4 * 1024 * 1024,
  maxFramesPerSecond: 50_000,
  maxBytesPerSecond: 256 * 1024 * 1024,
  highWaterMark: 16 * 1024 * 1024,
  maxBacklog: 64 * 1024 * 1024,
};

/** What a mix, a gateway or a client brings to its mix links. */
export interface MixLinkOptions {
  readonly identity: Identity;
  readonly verifier: IdentityVerifier;
  /** 32-byte X25519 static private key of the link. */
  readonly staticKey: Uint8Array;
  readonly authorize?: (peer: PeerId, remoteKey: Uint8Array) => boolean;
  readonly limits?: ConnectionLimits;
  readonly clock?: Clock;
}

/**
 * The encrypter of mix links: the Noise link under `hush-mix/1`.
 *
 * @example
 * ```ts
 * const encrypter = mixLinkEncrypter({ identity, verifier, staticKey });
 * const link = await encrypter.secureOutbound(await carrier.dial(endpoint), { remotePeer });
 * ```
 * @throws RangeError when `staticKey` is not 32 bytes
 */
export function mixLinkEncrypter(options: MixLinkOptions): NoiseLinkEncrypter {
  return noiseLinkEncrypter({
    identity: options.identity,
    verifier: options.verifier,
    staticKey: options.staticKey,
    protocol: MIX_LINK_PROTOCOL,
    limits: options.limits ?? MIX_LINK_LIMITS,
    ...(options.authorize ? { authorize: options.authorize } : {}),
    ...(options.clock ? { clock: options.clock } : {}),
  });
}

/**
 * Opens a link to a mix or gateway: each of its descriptor's endpoints in turn, the link
 * proving the identity the descriptor names. A mix dials its next hops so, and a client its
 * gateway.
 *
 * @example
 * ```ts
 * const link = await dialDescriptor(webSocketCarrier(), encrypter, doc.gateways[0]);
 * ```
 * @throws SphinxError 'gateway-failed' naming each endpoint's failure
 */
export async function dialDescriptor(
  carrier: Pick<Carrier, 'dial'>,
  encrypter: Pick<ConnectionEncrypter, 'secureOutbound'>,
  descriptor: { readonly identity: Uint8Array; readonly endpoints: readonly string[] },
  signal?: AbortSignal,
): Promise<Connection> {
  const remotePeer = peerIdFromPublicKey(descriptor.identity);
  const reasons: string[] = [];
  for (const endpoint of descriptor.endpoints) {
    let channel: RawChannel | undefined;
    try {
      channel = await carrier.dial(endpoint, signal ? { signal } : {});
      return await encrypter.secureOutbound(channel, { remotePeer, ...(signal ? { signal } : {}) });
    } catch (error) {
      channel?.close();
      reasons.push(`${endpoint}: ${(error as Error).message}`);
    }
  }
  throw new SphinxError('gateway-failed', `no endpoint answered (${reasons.join('; ')})`);
}

const malformed = (why: string) => new SphinxError('bad-frame', `mix link: ${why}`);

/** A PACKETS frame. */
export function encodePackets(packets: readonly Uint8Array[]): Uint8Array {
  let length = 1;
  for (const p of packets) length += p.length;
  const out = new Uint8Array(length);
  out[0] = MixFrame.packets;
  let at = 1;
  for (const p of packets) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * A SUBMIT frame.
 *
 * @throws RangeError when `firstHop` is not a 32-byte node id
 */
export function encodeSubmit(firstHop: Uint8Array, packet: Uint8Array): Uint8Array {
  if (firstHop.length !== NODE_ID_LENGTH) throw new RangeError('firstHop must be a 32-byte id');
  const out = new Uint8Array(1 + NODE_ID_LENGTH + packet.length);
  out[0] = MixFrame.submit;
  out.set(firstHop, 1);
  out.set(packet, 1 + NODE_ID_LENGTH);
  return out;
}

/**
 * A FETCH frame.
 *
 * @throws RangeError for a count outside 1 … 65,535
 */
export function encodeFetch(most: number): Uint8Array {
  if (!Number.isInteger(most) || most < 1 || most > 0xffff)
    throw new RangeError('most must be in 1 … 65535');
  return Uint8Array.of(MixFrame.fetch, most >> 8, most & 0xff);
}

/** A MESSAGES frame. */
export function encodeMessages(messages: readonly QueuedMessage[]): Uint8Array {
  let length = 1;
  for (const m of messages)
    length += 8 + 1 + (m.surbId ? SURB_ID_LENGTH : 0) + 4 + m.payload.length;
  const out = new Uint8Array(length);
  const view = new DataView(out.buffer);
  out[0] = MixFrame.messages;
  let at = 1;
  for (const m of messages) {
    view.setBigUint64(at, m.seq);
    at += 8;
    out[at++] = m.surbId ? 1 : 0;
    if (m.surbId) {
      out.set(m.surbId, at);
      at += SURB_ID_LENGTH;
    }
    view.setUint32(at, m.payload.length);
    at += 4;
    out.set(m.payload, at);
    at += m.payload.length;
  }
  return out;
}

/** An ACK frame. */
export function encodeAck(seqs: readonly bigint[]): Uint8Array {
  const out = new Uint8Array(1 + 8 * seqs.length);
  const view = new DataView(out.buffer);
  out[0] = MixFrame.ack;
  for (const [i, seq] of seqs.entries()) view.setBigUint64(1 + 8 * i, seq);
  return out;
}

/**
 * Reads a frame of a network whose packets are `packetLength` bytes.
 *
 * @throws SphinxError 'bad-frame' for an unknown type, a length that does not add up, or a
 *   PACKETS frame that is not 1 to 64 whole packets
 */
export function decodeMixFrame(frame: Uint8Array, packetLength: number): MixLinkFrame {
  if (frame.length < 1) throw malformed('an empty frame');
  const body = frame.subarray(1);
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  switch (frame[0]) {
    case MixFrame.packets: {
      if (body.length === 0 || body.length % packetLength !== 0)
        throw malformed('PACKETS is not a whole number of packets');
      if (body.length / packetLength > MAX_PACKETS_PER_FRAME)
        throw malformed(`PACKETS of more than ${MAX_PACKETS_PER_FRAME} packets`);
      const packets: Uint8Array[] = [];
      for (let at = 0; at < body.length; at += packetLength)
        packets.push(body.slice(at, at + packetLength));
      return { type: 'packets', packets };
    }
    case MixFrame.submit:
      if (body.length !== NODE_ID_LENGTH + packetLength)
        throw malformed('SUBMIT of a wrong length');
      return {
        type: 'submit',
        firstHop: body.slice(0, NODE_ID_LENGTH),
        packet: body.slice(NODE_ID_LENGTH),
      };
    case MixFrame.fetch: {
      if (body.length !== 2) throw malformed('FETCH of a wrong length');
      const most = view.getUint16(0);
      if (most === 0) throw malformed('FETCH of nothing');
      return { type: 'fetch', most };
    }
    case MixFrame.messages: {
      const messages: QueuedMessage[] = [];
      let at = 0;
      const need = (n: number) => {
        if (at + n > body.length) throw malformed('MESSAGES is cut short');
      };
      while (at < body.length) {
        need(9);
        const seq = view.getBigUint64(at);
        const kind = body[at + 8];
        at += 9;
        if (kind !== 0 && kind !== 1) throw malformed('an unknown message kind');
        let surbId: Uint8Array | undefined;
        if (kind === 1) {
          need(SURB_ID_LENGTH);
          surbId = body.slice(at, at + SURB_ID_LENGTH);
          at += SURB_ID_LENGTH;
        }
        need(4);
        const length = view.getUint32(at);
        at += 4;
        need(length);
        const payload = body.slice(at, at + length);
        at += length;
        messages.push(surbId ? { seq, surbId, payload } : { seq, payload });
      }
      return { type: 'messages', messages };
    }
    case MixFrame.ack: {
      if (body.length % 8 !== 0) throw malformed('ACK is not a whole number of seqs');
      const seqs: bigint[] = [];
      for (let at = 0; at < body.length; at += 8) seqs.push(view.getBigUint64(at));
      return { type: 'ack', seqs };
    }
    default:
      throw malformed(`unknown frame type 0x${frame[0]!.toString(16).padStart(2, '0')}`);
  }
}
