/**
 * @hush/mixnet-sphinx: Sphinx packets byte-exact with Katzenpost's X25519 NIKE Sphinx
 * (specs/mixnet-sphinx/SPEC.md): geometry, routing commands and a mix's unwrap step.
 *
 * @packageDocumentation
 */

export { AEZ_KEY_LENGTH, aezDecipher, aezDecrypt, aezEncipher, aezEncrypt } from './aez.js';
export {
  CommandType,
  decodeCommands,
  encodeCommand,
  encodeCommands,
  type RoutingCommand,
} from './commands.js';
export {
  type CreatedHeader,
  createHeader,
  createPacket,
  type PathHop,
  type RandomBytes,
} from './create.js';
export {
  type DirectoryDocument,
  DirectoryError,
  type DirectoryErrorCode,
  decodeDirectory,
  encodeDirectory,
  type LoopixParameters,
  type MixDescriptor,
  type SignedDirectory,
  signDirectory,
  verifyDirectory,
} from './directory.js';
export { SphinxError, type SphinxErrorCode } from './errors.js';
export {
  AD_LENGTH,
  type Geometry,
  GROUP_ELEMENT_LENGTH,
  geometry,
  MAC_LENGTH,
  NODE_ID_LENGTH,
  PAYLOAD_TAG_LENGTH,
  SURB_ID_LENGTH,
} from './geometry.js';
export { publicKeyOf } from './header-crypto.js';
export { type Delivery, type DropReason, Mix, type MixKey, type MixOptions } from './mix.js';
export { ReplayCache } from './replay-cache.js';
export { aezSprp } from './sprp.js';
export { type CreatedSurb, createSurb, decryptSurbPayload, packetFromSurb } from './surb.js';
export { type RetransmitDelays, retransmitDelay, SurbStore } from './surb-store.js';
export { type PayloadSprp, packetReplayTag, type Unwrapped, unwrapPacket } from './unwrap.js';
