/**
 * @hush/transport-direct: direct channels between trusted contacts (specs/transport-direct).
 * Built so far: introductions over Whisper (SPEC §2), signed and asymmetric, acted on only
 * when the signer is a contact, and the contact list they are judged against (`ContactBook`). The channel itself (Noise IK/XX over WebSocket, WebRTC or a
 * relay), the envelopes without PoW or expiry and the store-and-forward outbox follow.
 *
 * @example
 * ```ts
 * import { openIntroduction, wrapIntroduction } from '@hush/transport-direct';
 * const envelope = await wrapIntroduction(intro, { from: aliceKey, to: bobPublicKey, pow: 0.2, workTime: 5 });
 * const verdict = openIntroduction(envelope, { privateKey: bobKey, isContact, now });
 * ```
 *
 * @packageDocumentation
 */

export {
  relaySocketChannel,
  type ServedRelay,
  type ServeRelayOptions,
  serveRelay,
} from '#relay-server';
export { type CausalItem, CausalOrder, type CausalOrderOptions } from './causal.js';
export { DIRECT_LINK_PROTOCOL, type DirectLinkOptions, directLinkEncrypter } from './channel.js';
export {
  type Connected,
  type ConnectorOptions,
  type ConnectPath,
  DirectConnector,
  type Signalling,
} from './connect.js';
export { type Contact, ContactBook } from './contacts.js';
export {
  type ChannelState,
  type DirectDialer,
  DirectNode,
  type DirectNodeOptions,
  type DirectSendResult,
  type ReconnectPolicy,
} from './direct-node.js';
export { DirectError, type DirectErrorCode } from './errors.js';
export {
  type DirectFrame,
  type DirectMessage,
  decodeFrame,
  directMessage,
  encodeFrame,
  FRAME_LIMITS,
  FRAME_VERSION,
} from './frames.js';
export {
  DEFAULT_INBOX_LIMITS,
  DirectInbox,
  type DirectInboxLimits,
  type ReceivedMessage,
} from './inbox.js';
export {
  decodeIntroduction,
  encodeIntroduction,
  type IgnoredBecause,
  INTRODUCTION_LIMITS,
  INTRODUCTION_MAX_SKEW,
  INTRODUCTION_TOPIC,
  type Introduction,
  type IntroductionVerdict,
  type OpenIntroductionOptions,
  openIntroduction,
  type WrapIntroductionOptions,
  wrapIntroduction,
} from './introduction.js';
export { type DirectMetrics, directMetrics } from './metrics.js';
export {
  DEFAULT_OUTBOX_LIMITS,
  DEFAULT_RETRANSMIT,
  Outbox,
  type OutboxLimits,
  type RetransmitPolicy,
} from './outbox.js';
export { type RelayChannelOptions, relayChannel } from './relay/client.js';
export { RELAY_PATH, type RelayRefusal } from './relay/protocol.js';
export { type RelayDrop, type RelayOptions, RelayServer } from './relay/server.js';
export { DEFAULT_MAX_MESSAGE_BYTES, webRtcRawChannel } from './webrtc/channel.js';
export {
  answerWebRtcOffer,
  createWebRtcOffer,
  type WebRtcAnswer,
  type WebRtcOffer,
  type WebRtcOptions,
} from './webrtc/session.js';
export {
  decodeSignal,
  encodeSignal,
  type RelayRendezvous,
  SIGNAL_LIMITS,
  type Signal,
  type SignalKind,
} from './webrtc/signal.js';
