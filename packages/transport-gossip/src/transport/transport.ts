/**
 * The transport interface (specs/whisper-v6 SPEC §7.6): message-oriented, authenticated
 * connections carrying one sub-protocol frame per message. Implementations: in-memory (tests,
 * simulations) and WebSocket (ws in Node, the native WebSocket in browsers). One compliance
 * suite runs against each.
 */

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
  | 'error';

/** An authenticated connection to one peer. */
export interface Connection {
  /** The peer's node public key (65 bytes), proven during the handshake. */
  readonly remoteKey: Uint8Array;
  /** Where the peer is, as the transport names it (for logs). */
  readonly remoteAddress: string;
  /** Whether we dialed (true) or accepted (false) it. */
  readonly outbound: boolean;
  /** The largest frame `send` accepts. */
  readonly maxFrameBytes: number;
  /**
   * Sends one frame. Returns false when the connection is congested (the caller should hold
   * back); a connection whose backlog passes its hard limit is closed as a slow consumer.
   */
  send(frame: Uint8Array): boolean;
  /** Receives frames; set once, before frames are delivered. */
  onFrame(handler: (frame: Uint8Array) => void): void;
  /** Each handler is told once when the connection ends, locally or remotely. */
  onClose(handler: (reason: CloseReason, detail?: string) => void): void;
  close(reason?: CloseReason, detail?: string): void;
}

/** Something that makes and accepts connections. */
export interface Transport {
  /** Starts accepting; `onConnection` receives every authenticated inbound connection. */
  listen(onConnection: (connection: Connection) => void): Promise<void>;
  /**
   * Connects and authenticates.
   *
   * @throws TransportError 'dial-failed' or 'handshake-failed'
   */
  dial(address: string): Promise<Connection>;
  /** Addresses others can dial, once listening. */
  readonly addresses: readonly string[];
  /** Stops listening and closes every connection. */
  close(): Promise<void>;
}

/** Why a transport operation failed. */
export type TransportErrorCode = 'dial-failed' | 'handshake-failed' | 'listen-failed' | 'closed';

/** A transport failure. Callers match on `code`. */
export class TransportError extends Error {
  override readonly name = 'TransportError';
  readonly code: TransportErrorCode;

  constructor(code: TransportErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** Limits every transport enforces per connection. */
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

/** A token bucket per connection: average rate with a burst of `burstSeconds`. */
export class RateLimiter {
  private tokens: number;
  private last: number;
  private readonly rate: number;
  private readonly capacity: number;

  constructor(ratePerSecond: number, now: number, burstSeconds = 4) {
    this.rate = ratePerSecond;
    this.capacity = ratePerSecond * burstSeconds;
    this.tokens = this.capacity;
    this.last = now;
  }

  /** Takes `amount` tokens; false when the bucket is empty. */
  take(amount: number, now: number): boolean {
    this.tokens = Math.min(this.capacity, this.tokens + ((now - this.last) / 1000) * this.rate);
    this.last = now;
    if (this.tokens < amount) return false;
    this.tokens -= amount;
    return true;
  }
}

/** The open connections of a transport, so that closing the transport closes them all. */
export class ConnectionSet {
  private readonly open = new Set<Connection>();

  /** Remembers `connection` until it closes; returns it. */
  track(connection: Connection): Connection {
    this.open.add(connection);
    connection.onClose(() => this.open.delete(connection));
    return connection;
  }

  closeAll(): void {
    for (const connection of [...this.open]) connection.close();
  }
}
