/**
 * What a Loopix message carries for a Whisper node (specs/mixnet-sphinx/SPEC.md §13.5), and the
 * mixnet address a node gives its contacts. The message bytes of §13.1 are:
 *
 *   u8 kind ‖ u8 flags ‖ [u32 SURB epoch ‖ SURB, the geometry's SURB length: flags bit 0] ‖ body
 *
 * - kind 1 `deliver`: the body is for the recipient itself (a Whisper node hands it to its
 *   filters);
 * - kind 2 `inject`: the recipient is an exit, which posts the body into its gossip network
 *   (so the envelope enters gossip at the exit, not at its sender).
 *
 * The body is opaque here (a Whisper envelope's RLP for the node); a SURB lets the recipient
 * answer without learning who or where the sender is, and its epoch tells the recipient until
 * when it works (the keys of that epoch's mixes are gone a grace after its end).
 */
import { SphinxError } from './errors.js';
import { type Geometry, NODE_ID_LENGTH } from './geometry.js';
import type { LoopixAddress } from './loopix-client.js';

/** What the recipient does with a carried body. */
export type CarriedKind = 'deliver' | 'inject';

/** A message for a Whisper node over the mixnet. */
export interface CarriedMessage {
  readonly kind: CarriedKind;
  /** A SURB back to the sender (its geometry's `surbLength` bytes). */
  readonly surb?: Uint8Array;
  /** The epoch the SURB was made in (given with `surb`). */
  readonly surbEpoch?: number;
  readonly body: Uint8Array;
}

const KIND_BYTE: Record<CarriedKind, number> = { deliver: 1, inject: 2 };
const FLAG_SURB = 0x01;
const HEADER_LENGTH = 2;
const SURB_EPOCH_LENGTH = 4;
/** The u32 length prefix a Loopix message has in its payload (§13.1). */
const LENGTH_PREFIX = 4;

/**
 * The longest body a message of this geometry carries, with or without a SURB.
 *
 * @throws nothing
 */
export function maxCarriedBody(geometry: Geometry, withSurb: boolean): number {
  return (
    geometry.userPayloadLength -
    LENGTH_PREFIX -
    HEADER_LENGTH -
    (withSurb ? SURB_EPOCH_LENGTH + geometry.surbLength : 0)
  );
}

/**
 * Encodes a carried message (the data a `LoopixClient` sends).
 *
 * @example
 * ```ts
 * client.send(exit, encodeCarried(geometry, { kind: 'inject', body: encodeEnvelope(envelope) }));
 * ```
 * @throws RangeError when a SURB is not of the geometry's length or comes without its epoch
 *   (a u32), or the body does not fit
 */
export function encodeCarried(geometry: Geometry, message: CarriedMessage): Uint8Array {
  const surb = message.surb;
  if (surb && surb.length !== geometry.surbLength)
    throw new RangeError(`message.surb must be ${geometry.surbLength} bytes`);
  const epoch = message.surbEpoch;
  if (surb && !(Number.isInteger(epoch) && epoch! >= 0 && epoch! <= 0xffffffff))
    throw new RangeError('message.surbEpoch: a SURB goes with its epoch, a u32');
  const most = maxCarriedBody(geometry, surb !== undefined);
  if (message.body.length > most)
    throw new RangeError(
      `message.body: ${message.body.length} bytes do not fit one packet (at most ${most})`,
    );
  const kind = KIND_BYTE[message.kind];
  if (kind === undefined) throw new RangeError(`message.kind: unknown ${String(message.kind)}`);
  const surbPart = surb ? SURB_EPOCH_LENGTH + surb.length : 0;
  const out = new Uint8Array(HEADER_LENGTH + surbPart + message.body.length);
  out[0] = kind;
  out[1] = surb ? FLAG_SURB : 0;
  if (surb) {
    new DataView(out.buffer).setUint32(HEADER_LENGTH, epoch!);
    out.set(surb, HEADER_LENGTH + SURB_EPOCH_LENGTH);
  }
  out.set(message.body, HEADER_LENGTH + surbPart);
  return out;
}

/**
 * Decodes a carried message.
 *
 * @throws SphinxError 'bad-payload' for an unknown kind or flag, or bytes too short for what
 *   the header announces
 */
export function decodeCarried(geometry: Geometry, data: Uint8Array): CarriedMessage {
  if (data.length < HEADER_LENGTH)
    throw new SphinxError('bad-payload', 'a carried message is 2 bytes or more');
  const kind = data[0] === 1 ? 'deliver' : data[0] === 2 ? 'inject' : undefined;
  if (!kind) throw new SphinxError('bad-payload', `unknown carried kind ${data[0]}`);
  const flags = data[1]!;
  if ((flags & ~FLAG_SURB) !== 0) throw new SphinxError('bad-payload', `unknown flags ${flags}`);
  if (flags & FLAG_SURB) {
    const end = HEADER_LENGTH + SURB_EPOCH_LENGTH + geometry.surbLength;
    if (data.length < end)
      throw new SphinxError('bad-payload', 'a carried message too short for its SURB');
    return {
      kind,
      surbEpoch: new DataView(data.buffer, data.byteOffset).getUint32(HEADER_LENGTH),
      surb: data.slice(HEADER_LENGTH + SURB_EPOCH_LENGTH, end),
      body: data.slice(end),
    };
  }
  return { kind, body: data.slice(HEADER_LENGTH) };
}

const ADDRESS = /^([0-9a-f]{64})@([0-9a-f]{64})$/;

/**
 * A mixnet address as text: `<queue id hex>@<gateway id hex>`.
 *
 * @throws RangeError for ids not of 32 bytes
 */
export function formatMixnetAddress(address: LoopixAddress): string {
  if (address.id.length !== NODE_ID_LENGTH || address.gateway.length !== NODE_ID_LENGTH)
    throw new RangeError('address: ids are 32 bytes');
  const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  return `${hex(address.id)}@${hex(address.gateway)}`;
}

/**
 * Reads a mixnet address (`<queue id hex>@<gateway id hex>`, 64 hex digits each).
 *
 * @throws SphinxError 'bad-address' for any other text
 */
export function parseMixnetAddress(text: string): LoopixAddress {
  const match = ADDRESS.exec(typeof text === 'string' ? text.toLowerCase() : '');
  if (!match) throw new SphinxError('bad-address', 'a mixnet address is <64 hex>@<64 hex>');
  const bytes = (h: string) => Uint8Array.from(h.match(/../g)!, (x) => Number.parseInt(x, 16));
  return { id: bytes(match[1]!), gateway: bytes(match[2]!) };
}
