/**
 * Connections (specs/whisper-v6 SPEC §7.6): a carrier moves opaque messages (WebSocket, an
 * in-memory pipe, later WebRTC and relays); an encrypter turns a carrier's raw channel into an
 * authenticated, encrypted {@link Connection} to a known peer; a {@link Transport} is the two
 * together. Every protocol speaks over `Connection`s only.
 */
import type { AbortOptions } from './abort.js';
import { HushError } from './errors.js';
import type { PeerId } from './peer.js';

/** Why a connection ended. */
export type CloseReason =
  | 'local'
  | 'remote'
  | 'handshake-timeout'
  | 'handshake-failed'
  | 'idle-timeout'
  | 'frame-too-large'
  | 'rate-limit'
  | 'slow-consumer'
  /** A frame failed authentication: altered, replayed, reordered or injected. */
  | 'bad-frame'
  | 'error';

/**
 * An unauthenticated, message-oriented channel a carrier provides: messages arrive whole and
 * in order, or the channel closes.
 */
export interface RawChannel {
  send(message: Uint8Array): void;
  /** Bytes accepted by `send` and not yet handed to the network. */
  bufferedAmount(): number;
  /** Receives messages; messages that arrived before the handler was set are delivered to it. */
  onMessage(handler: (message: Uint8Array) => void): void;
  onClose(handler: (detail?: string) => void): void;
  /** Signs of life other than messages (WebSocket pongs), which keep the idle timer away. */
  onActivity?(handler: () => void): void;
  close(): void;
  /** Where the other end is, as the carrier names it (for logs). */
  readonly remoteAddress: string;
}

/** Moves bytes: dials and accepts raw channels. */
export interface Carrier {
  /** Starts accepting; every inbound channel goes to `onChannel`. @throws TransportError 'listen-failed' */
  listen(onChannel: (channel: RawChannel) => void): Promise<void>;
  /** @throws TransportError 'dial-failed' or 'closed' */
  dial(address: string, options?: AbortOptions): Promise<RawChannel>;
  /** Addresses others can dial, once listening. */
  readonly addresses: readonly string[];
  /**
   * Stops accepting (a server may also drop the channels it accepted). Channels it dialed
   * stay their owners' to close: a transport closes them with its connections.
   */
  close(): Promise<void>;
}

/** What the dialer expects of the other side. */
export interface SecureOutboundOptions extends AbortOptions {
  /** The peer the dialer means to reach: any other is refused. */
  readonly remotePeer?: PeerId;
  /** The peer's encrypter static key, when known (enables a one-round-trip handshake). */
  readonly remoteStaticKey?: Uint8Array;
}

/** Authenticates and encrypts raw channels. */
export interface ConnectionEncrypter {
  /** The protocol it speaks, e.g. `hush-gossip/2 Noise_XX_25519_ChaChaPoly_SHA256`. */
  readonly protocol: string;
  /** This side's static public key, to put in addresses. */
  readonly staticKey: Uint8Array;
  /** @throws TransportError 'handshake-failed' */
  secureOutbound(channel: RawChannel, options?: SecureOutboundOptions): Promise<Connection>;
  /** @throws TransportError 'handshake-failed' */
  secureInbound(channel: RawChannel, options?: AbortOptions): Promise<Connection>;
}

/** An authenticated, encrypted connection to one peer, one frame per message. */
export interface Connection {
  /** The peer's 65-byte secp256k1 public key, proven during the handshake. */
  readonly remoteKey: Uint8Array;
  readonly remotePeer: PeerId;
  /** Where the peer is, as the carrier names it (for logs). */
  readonly remoteAddress: string;
  /** Whether we dialed (true) or accepted (false) it. */
  readonly outbound: boolean;
  /** The largest frame `send` accepts. */
  readonly maxFrameBytes: number;
  /**
   * Sends one frame. Returns false when the connection is closed (nothing sent) or congested
   * (the frame was sent, but the caller should hold back); a connection whose backlog passes
   * its hard limit is closed as a slow consumer.
   *
   * @throws RangeError when `frame` is larger than `maxFrameBytes`
   */
  send(frame: Uint8Array): boolean;
  /** Receives frames; set once, before frames are delivered. */
  onFrame(handler: (frame: Uint8Array) => void): void;
  /** Each handler is told once when the connection ends, locally or remotely. */
  onClose(handler: (reason: CloseReason, detail?: string) => void): void;
  close(reason?: CloseReason, detail?: string): void;
}

/** What a dialer may require of the peer it reaches. */
export interface DialOptions extends AbortOptions {
  /** The peer meant: a connection that proves another identity fails its handshake. */
  readonly remotePeer?: PeerId;
}

/** Makes and accepts connections: a carrier with an encrypter. */
export interface Transport {
  /**
   * Starts accepting; `onConnection` receives every authenticated inbound connection.
   *
   * @throws TransportError 'listen-failed'
   */
  listen(onConnection: (connection: Connection) => void): Promise<void>;
  /**
   * Connects and authenticates.
   *
   * @throws TransportError 'dial-failed', 'handshake-failed' or 'closed'
   */
  dial(address: string, options?: DialOptions): Promise<Connection>;
  /** Addresses others can dial, once listening. */
  readonly addresses: readonly string[];
  /** The identity its connections prove, when it proves one (a node checks it is its own). */
  readonly peerId?: PeerId;
  /** Stops listening and closes every connection. */
  close(): Promise<void>;
}

/** Why a transport operation failed. */
export type TransportErrorCode = 'dial-failed' | 'handshake-failed' | 'listen-failed' | 'closed';

/** A transport failure. Callers match on `code`. */
export class TransportError extends HushError<TransportErrorCode> {
  override readonly name = 'TransportError';
}

/** Limits every connection enforces. */
export interface ConnectionLimits {
  /** Largest frame accepted, bytes (default 1 MiB + 1 KiB). */
  readonly maxFrameBytes?: number;
  /** Time allowed for the authentication handshake (default 10 s). */
  readonly handshakeTimeoutMs?: number;
  /**
   * A connection silent this long is closed (default 120 s; WebSocket keeps live peers talking
   * with pings); 0 disables it.
   */
  readonly idleTimeoutMs?: number;
  /** Backlog at which `send` starts returning false (default 4 MiB). */
  readonly highWaterMark?: number;
  /** Backlog at which the peer is dropped as a slow consumer (default 32 MiB). */
  readonly maxBacklog?: number;
  /** A backlog above the high-water mark for this long drops the peer too (default 30 s). */
  readonly stallTimeoutMs?: number;
  /** Inbound bytes per second allowed on average (default 8 MiB/s), with a burst of 4 s. */
  readonly maxBytesPerSecond?: number;
  /** Inbound frames per second allowed on average (default 500), with a burst of 4 s. */
  readonly maxFramesPerSecond?: number;
}

/** The limits with their defaults filled in. */
export function resolveLimits(limits: ConnectionLimits = {}): Required<ConnectionLimits> {
  return {
    maxFrameBytes: limits.maxFrameBytes ?? 1024 * 1024 + 1024,
    handshakeTimeoutMs: limits.handshakeTimeoutMs ?? 10_000,
    idleTimeoutMs: limits.idleTimeoutMs ?? 120_000,
    highWaterMark: limits.highWaterMark ?? 4 * 1024 * 1024,
    maxBacklog: limits.maxBacklog ?? 32 * 1024 * 1024,
    stallTimeoutMs: limits.stallTimeoutMs ?? 30_000,
    maxBytesPerSecond: limits.maxBytesPerSecond ?? 8 * 1024 * 1024,
    maxFramesPerSecond: limits.maxFramesPerSecond ?? 500,
  };
}
