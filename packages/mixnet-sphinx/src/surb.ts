/**
 * Single-use reply blocks (specs/mixnet-sphinx/SPEC.md §7): a header over a return path that
 * ends in a SURB-reply command, the first hop's id and a fresh SPRP key and IV; the creator's
 * decryption keys (each hop's SPRP key and IV in reverse order, then the SURB's own); the
 * reply packet a receiver makes from a SURB; and the creator's decryption of the payload the
 * last hop hands over.
 */
import { AEZ_KEY_LENGTH } from './aez.js';
import { createHeader, type PathHop, type RandomBytes, systemRandom } from './create.js';
import { SphinxError } from './errors.js';
import {
  type Geometry,
  NODE_ID_LENGTH,
  PAYLOAD_TAG_LENGTH,
  SPRP_KEY_MATERIAL_LENGTH,
} from './geometry.js';
import type { PayloadSprp } from './unwrap.js';

const SPRP_KEY_LENGTH = AEZ_KEY_LENGTH;

/** A SURB and what its creator keeps to read the reply. */
export interface CreatedSurb {
  /** header ‖ first hop id ‖ SPRP key ‖ IV: what the receiver is given. */
  readonly surb: Uint8Array;
  /** (hops + 1) × 64 bytes: the creator's, secret. */
  readonly keys: Uint8Array;
}

/**
 * A SURB over `path`, whose last hop's commands must include a SURB reply.
 *
 * @throws SphinxError 'bad-path' (see createHeader), or when the last hop has no SURB reply
 */
export function createSurb(
  geo: Geometry,
  path: readonly PathHop[],
  random: RandomBytes = systemRandom,
): CreatedSurb {
  if (!path.at(-1)?.commands.some((c) => c.type === 'surb-reply'))
    throw new SphinxError('bad-path', "a SURB's last hop must carry a SURB-reply command");
  const own = random(SPRP_KEY_MATERIAL_LENGTH);
  const { header, keys: hopKeys } = createHeader(geo, path, random);
  const keys = new Uint8Array(SPRP_KEY_MATERIAL_LENGTH * (path.length + 1));
  let at = 0;
  for (let i = hopKeys.length - 1; i >= 0; i--) {
    keys.set(hopKeys[i]!.payloadKey, at);
    keys.set(hopKeys[i]!.headerIv, at + SPRP_KEY_LENGTH);
    at += SPRP_KEY_MATERIAL_LENGTH;
  }
  keys.set(own, at);
  const surb = new Uint8Array(geo.surbLength);
  surb.set(header);
  surb.set(path[0]!.id, geo.headerLength);
  surb.set(own, geo.headerLength + NODE_ID_LENGTH);
  return { surb, keys };
}

/**
 * The reply packet a receiver makes from a SURB, and the first hop to send it to.
 *
 * @throws SphinxError 'truncated' for a SURB of the wrong length; 'bad-path' for a payload
 *   that is not the geometry's user payload length
 */
export function packetFromSurb(
  geo: Geometry,
  surb: Uint8Array,
  payload: Uint8Array,
  sprp: PayloadSprp,
): { packet: Uint8Array; firstHop: Uint8Array } {
  if (surb.length !== geo.surbLength)
    throw new SphinxError('truncated', `a SURB is ${geo.surbLength} bytes, not ${surb.length}`);
  if (payload.length !== geo.userPayloadLength)
    throw new SphinxError(
      'bad-path',
      `the payload is ${geo.userPayloadLength} bytes, not ${payload.length}`,
    );
  const idOff = geo.headerLength;
  const keyOff = idOff + NODE_ID_LENGTH;
  const body = new Uint8Array(geo.payloadLength);
  body.set(payload, PAYLOAD_TAG_LENGTH);
  const packet = new Uint8Array(geo.packetLength);
  packet.set(surb.subarray(0, idOff));
  packet.set(
    sprp.encrypt(
      surb.subarray(keyOff, keyOff + SPRP_KEY_LENGTH),
      surb.subarray(keyOff + SPRP_KEY_LENGTH, keyOff + SPRP_KEY_MATERIAL_LENGTH),
      body,
    ),
    geo.headerLength,
  );
  return { packet, firstHop: surb.slice(idOff, keyOff) };
}

/**
 * The reply's user payload, from what the SURB's last hop handed over and the creator's keys.
 *
 * @throws SphinxError 'bad-path' for keys that are not a whole number of 64-byte entries (at
 *   least two), 'truncated' for a payload shorter than the tag, 'bad-tag' when the reply was
 *   tampered with or the keys are not this SURB's
 */
export function decryptSurbPayload(
  payload: Uint8Array,
  keys: Uint8Array,
  sprp: PayloadSprp,
): Uint8Array {
  const entries = keys.length / SPRP_KEY_MATERIAL_LENGTH;
  if (!Number.isInteger(entries) || entries < 2)
    throw new SphinxError('bad-path', 'SURB keys are (hops + 1) × 64 bytes');
  if (payload.length < PAYLOAD_TAG_LENGTH)
    throw new SphinxError('truncated', 'the payload is shorter than its tag');
  let b = payload;
  for (let i = 0; i < entries; i++) {
    const entry = keys.subarray(i * SPRP_KEY_MATERIAL_LENGTH, (i + 1) * SPRP_KEY_MATERIAL_LENGTH);
    const key = entry.subarray(0, SPRP_KEY_LENGTH);
    const iv = entry.subarray(SPRP_KEY_LENGTH);
    // Each hop deciphered once on the way: enciphering undoes it; the SURB's own key last.
    b = i < entries - 1 ? sprp.encrypt(key, iv, b) : sprp.decrypt(key, iv, b);
  }
  for (let i = 0; i < PAYLOAD_TAG_LENGTH; i++)
    if (b[i] !== 0)
      throw new SphinxError('bad-tag', 'the reply was tampered with, or the keys are not its SURB');
  return b.slice(PAYLOAD_TAG_LENGTH);
}
