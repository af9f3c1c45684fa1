/**
 * @hush/transport-rlpx: RLPx (devp2p) as go-ethereum v1.8.27 speaks it (specs/rlpx): the
 * EIP-8 encryption handshake (pre-EIP-8 packets read too), frames with their MACs, the
 * devp2p hello, ping/pong and disconnect reasons, snappy exactly when geth uses it, and
 * `enode://` URLs, as a Hush `Transport` whose connections carry one capability (Whisper's
 * shh 6) to the gossip engine; and node discovery v4 over UDP (`discoveryV4`, SPEC §10).
 * Node only: it runs over TCP and UDP.
 *
 * @example
 * ```ts
 * import { rlpxTransport } from '@hush/transport-rlpx';
 * import { createGossipNode } from '@hush/transport-gossip';
 *
 * const transport = rlpxTransport({ privateKey: nodeKey, host: '0.0.0.0', port: 30303 });
 * const node = createGossipNode({ key: nodeKey, transport, bootstrap: [gethEnode] });
 * await node.start();
 * ```
 *
 * @packageDocumentation
 */
export {
  BASE_PROTOCOL_LENGTH,
  BASE_PROTOCOL_VERSION,
  BaseCode,
  type Capability,
  DisconnectReason,
  decodeDisconnect,
  decodeHello,
  disconnectReasonText,
  encodeDisconnect,
  encodeHello,
  type Hello,
  type MatchedCapability,
  matchCapabilities,
  SNAPPY_PROTOCOL_VERSION,
} from './devp2p.js';
export {
  type DecodedPacket,
  decodePacket,
  type Endpoint,
  encodePacket,
  type FindNodeBody,
  MAX_PACKET_SIZE,
  type NeighborsBody,
  type NodeRecord,
  PACKET_EXPIRATION_S,
  type PacketBody,
  PacketType,
  type PingBody,
  type PongBody,
} from './discovery/packet.js';
export {
  type DiscoveryV4,
  type DiscoveryV4Options,
  discoveryV4,
  LOOKUP_ALPHA,
  LOOKUP_MAX_QUERIES,
  MAX_BOND_RECORDS,
  MAX_NEIGHBORS,
  RESPONSE_TIMEOUT_MS,
} from './discovery/service.js';
export { type Enode, formatEnode, parseEnode } from './enode.js';
export { RlpxError, type RlpxErrorCode } from './errors.js';
export { FrameCodec, type FrameMessage, frameBodyBytes, MAX_FRAME_SIZE } from './frame.js';
export {
  ACK_PACKET_PLAIN_SIZE,
  type AckBody,
  AUTH_PACKET_PLAIN_SIZE,
  type AuthBody,
  answerAuth,
  deriveSecrets,
  type HandshakeRandomness,
  InitiatorHandshake,
  type MacState,
  RLPX_VERSION,
  readAck,
  readAuth,
  type Secrets,
} from './handshake.js';
export { PING_INTERVAL_MS, RlpxConnection, type RlpxSessionInit } from './session.js';
export { snappyCompress, snappyDecodedLength, snappyUncompress } from './snappy.js';
export {
  type RlpxTransport,
  type RlpxTransportOptions,
  rlpxTransport,
  SHH_CAPABILITY,
} from './transport.js';
