/**
 * @hush/transport-gossip: Whisper v6 gossip. The sub-protocol codec (independent of framing),
 * the node engine that accepts, pools and floods envelopes by geth's rules, and transports.
 *
 * @packageDocumentation
 */

export { webSocketTransport } from '#websocket';
export { type Admission, type AdmissionSettings, admit } from './admission.js';
export {
  decodeBloomFilterEx,
  decodeFrame,
  decodePowRequirement,
  decodeStatus,
  encodeBloomFilterEx,
  encodeFrame,
  encodePowRequirement,
  encodeStatus,
  type ProtocolMessage,
  type Status,
} from './codec.js';
export {
  type EngineEvents,
  type EngineOptions,
  GossipEngine,
  type P2PRequestHandler,
  type P2PRequestPeer,
  type PeerHandle,
  type PeerInfo,
  type PeerLink,
  type PeerStats,
} from './engine.js';
export { GossipError, type GossipErrorCode } from './errors.js';
export {
  createGossipNode,
  GossipNode,
  type GossipNodeEvents,
  type GossipNodeOptions,
  type NodePeerStats,
} from './node.js';
export {
  decodeP2PMessage,
  decodeP2PRequest,
  decodeRequestCompletePayload,
  encodeP2PMessage,
  encodeRequestCompletePayload,
} from './p2p.js';
export {
  DEFAULT_MAX_MESSAGE_SIZE,
  DEFAULT_MINIMUM_POW,
  DEFAULT_SYNC_ALLOWANCE,
  EXPIRATION_CYCLE_MS,
  MAX_MESSAGE_SIZE,
  MessageCode,
  NUMBER_OF_MESSAGE_CODES,
  PROTOCOL_VERSION,
  TRANSMISSION_CYCLE_MS,
} from './protocol.js';
export { type ReplayResult, type ReplayScript, replayExchange } from './replay.js';
export type { NodeSettingsSnapshot } from './settings.js';
export type { AcceptedEnvelope, SubscribeOptions, Subscription } from './subscription.js';
export {
  GOSSIP_LINK_PROTOCOL,
  type GossipLinkOptions,
  gossipLinkEncrypter,
  gossipStaticKey,
} from './transport/gossip-link.js';
export {
  ConnectionSet,
  type LinkTransport,
  linkTransport,
  parseLinkAddress,
} from './transport/link-transport.js';
export {
  MemoryNetwork,
  type MemoryNetworkOptions,
  type WirePacket,
  type WireTap,
} from './transport/memory.js';
export type { WebSocketTransportOptions } from './transport/websocket-options.js';
