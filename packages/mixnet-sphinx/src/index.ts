/**
 * @hush/mixnet-sphinx: Sphinx packets byte-exact with Katzenpost's X25519 NIKE Sphinx
 * (specs/mixnet-sphinx/SPEC.md): geometry, routing commands, a mix's unwrap step, packet and
 * SURB creation; the mix and gateway on `hush-mix/1` links with their own loops, clients'
 * gateway links, routes; the network configuration, mix descriptors and the threshold-signed
 * directory.
 *
 * @packageDocumentation
 */

export { AEZ_KEY_LENGTH, aezDecipher, aezDecrypt, aezEncipher, aezEncrypt } from './aez.js';
export {
  type CarriedKind,
  type CarriedMessage,
  decodeCarried,
  encodeCarried,
  formatMixnetAddress,
  maxCarriedBody,
  parseMixnetAddress,
} from './carried.js';
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
  systemRandom,
} from './create.js';
export {
  type MixDescriptorUpload,
  type SignedMixDescriptor,
  signMixDescriptor,
  verifyMixDescriptor,
} from './descriptor.js';
export {
  type DirectoryDocument,
  DirectoryError,
  type DirectoryErrorCode,
  decodeDirectory,
  encodeDirectory,
  IDENTITY_LENGTH,
  type LoopixParameters,
  type MixDescriptor,
  mixNodeId,
  type SignedDirectory,
  type SphinxParameters,
  signDirectory,
  verifyDirectory,
} from './directory.js';
export {
  type FetchDirectoryOptions,
  fetchDirectory,
  readCappedText,
} from './directory-client.js';
export { EpochKeys } from './epoch-keys.js';
export { SphinxError, type SphinxErrorCode } from './errors.js';
export { FETCH_HOLD_MS, FetchAnswerer, type FetchAnswererOptions } from './fetch-answerer.js';
export { GatewayClient, type GatewayClientOptions } from './gateway-client.js';
export {
  type DepositRefusal,
  type GatewayQueueOptions,
  GatewayQueues,
} from './gateway-queues.js';
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
export {
  decodeMixFrame,
  dialDescriptor,
  encodeAck,
  encodeFetch,
  encodeMessages,
  encodePackets,
  encodeSubmit,
  MAX_PACKETS_PER_FRAME,
  MIX_LINK_LIMITS,
  MIX_LINK_PROTOCOL,
  MixFrame,
  type MixLinkFrame,
  type MixLinkOptions,
  mixLinkEncrypter,
  type QueuedMessage,
} from './link.js';
export {
  DROP_RECIPIENT,
  type LoopixAddress,
  LoopixClient,
  type LoopixClientOptions,
  type LoopixRates,
  type LoopixReceived,
  type LoopixStream,
} from './loopix-client.js';
export {
  type Delivery,
  type DropReason,
  Mix,
  type MixKey,
  type MixOptions,
  type Unwrapper,
  UnwrapUnavailable,
  type UnwrapUnavailableCode,
} from './mix.js';
export {
  MIX_LOOP_LOSS_WARNING,
  MIX_LOOP_LOSS_WINDOW,
  type MixLoopReturn,
  MixLoops,
  type MixLoopsOptions,
} from './mix-loops.js';
export { MixServer, type MixServerOptions } from './mix-server.js';
export {
  type AuthorityInfo,
  buildDirectory,
  encodeNetworkConfig,
  epochAt,
  epochLabel,
  epochStart,
  missingNodes,
  type NetworkConfig,
  parseNetworkConfig,
  preferredUpload,
} from './network.js';
export { QueueFetcher, type QueueFetcherOptions } from './queue-fetcher.js';
export { ReplayCache } from './replay-cache.js';
export {
  exponentialDelay,
  exponentialSample,
  forwardRoute,
  mixLoopRoute,
  surbRoute,
} from './route.js';
export { aezSprp } from './sprp.js';
export { type CreatedSurb, createSurb, decryptSurbPayload, packetFromSurb } from './surb.js';
export {
  decodeFetchRequest,
  defaultFetchSurbs,
  encodeFetchRequest,
  FETCH_ACK_LENGTH,
  FETCH_CLOCK_SKEW_MS,
  FETCH_RECIPIENT,
  type FetchRequest,
  fetchMessageId,
  maxFetchAcks,
  maxFetchSurbs,
  type ReadFetchRequest,
} from './surb-fetch.js';
export { type RetransmitDelays, retransmitDelay, SurbStore } from './surb-store.js';
export { type PayloadSprp, packetReplayTag, type Unwrapped, unwrapPacket } from './unwrap.js';
