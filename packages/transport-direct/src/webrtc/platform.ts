/**
 * What the WebRTC carrier needs of a platform (specs/transport-direct/SPEC.md §5.2): a peer
 * connection that gathers its ICE candidates fully before it hands out its SDP (no trickle),
 * and one ordered, reliable data channel. `#webrtc` resolves to `peer-node.ts`
 * (node-datachannel) in Node and to `peer-web.ts` (the native `RTCPeerConnection`) elsewhere.
 */

/** The data channel's label: both sides refuse any other. */
export const DATA_CHANNEL_LABEL = 'hush-direct/1';

/** How a platform peer connection is set up. */
export interface PeerConfig {
  /** STUN servers as `stun:host:port` URLs. */
  readonly iceServers: readonly string[];
  /** Gathering stops after this long and the candidates found so far are used. */
  readonly gatherTimeoutMs: number;
  /** The largest data channel message this side accepts, bytes. */
  readonly maxMessageSize: number;
}

/** One open data channel, as the platform has it. */
export interface PlatformChannel {
  send(message: Uint8Array): void;
  bufferedAmount(): number;
  /** The largest message the remote side accepts (its SDP's max-message-size). */
  readonly maxMessageSize: number;
  onMessage(handler: (message: Uint8Array) => void): void;
  onClose(handler: (detail: string) => void): void;
  close(): void;
  /** The selected remote candidate, `address:port`, or `webrtc` when unknown. */
  readonly remoteAddress: string;
}

/** One peer connection: the offering or the answering side. */
export interface PlatformPeer {
  /** Creates the data channel and the offer; resolves with the SDP once gathering ends. */
  createOffer(): Promise<string>;
  /** Takes the remote offer; resolves with the answer's SDP once gathering ends. */
  createAnswer(offerSdp: string): Promise<string>;
  /** Takes the remote answer (offering side). */
  acceptAnswer(answerSdp: string): void;
  /**
   * Adds a remote ICE candidate (`candidate:…`, no `a=`) of media section `mid`, once the
   * remote description is in. @throws when the platform refuses it
   */
  addRemoteCandidate(candidate: string, mid: string): void;
  /**
   * Resolves when the data channel is open on this side; rejects with the failure detail when
   * the connection fails or the peer is closed first.
   */
  readonly opened: Promise<PlatformChannel>;
  /** Ends the peer connection (and its data channel). Idempotent. */
  close(): void;
}

/** Makes a peer connection. */
export type CreatePeer = (config: PeerConfig) => PlatformPeer;
