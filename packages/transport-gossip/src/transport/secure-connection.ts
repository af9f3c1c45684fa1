/**
 * Authentication and per-connection limits over any message channel (specs/whisper-v6 SPEC
 * §7.6). Both sides send HELLO = RLP ["hush-gossip/1", node public key, 32-byte nonce], then
 * AUTH = RLP [signature] where the signature, by the node key, covers
 * keccak256("hush-gossip/1 auth" ‖ signer key ‖ receiver key ‖ receiver nonce ‖ signer nonce).
 * The receiver's fresh nonce makes a recorded AUTH useless elsewhere. After both AUTHs every
 * message is one sub-protocol frame.
 */
import { type CryptoBackend, defaultBackend, randomBytes } from '@hush/crypto';
import { keccak256Concat } from '@hush/keccak';
import { type Clock, systemClock, type TimerHandle } from '../clock.js';
import { encodeBytes, encodeList, RlpStream } from '../rlp-stream.js';
import {
  type CloseReason,
  type Connection,
  type ConnectionLimits,
  RateLimiter,
  resolveLimits,
  TransportError,
} from './transport.js';

const TAG = new TextEncoder().encode('hush-gossip/1');
const AUTH_DOMAIN = new TextEncoder().encode('hush-gossip/1 auth');

/** An unauthenticated, message-oriented channel that a transport provides. */
export interface RawChannel {
  send(message: Uint8Array): void;
  /** Bytes accepted by `send` and not yet handed to the network. */
  bufferedAmount(): number;
  onMessage(handler: (message: Uint8Array) => void): void;
  onClose(handler: (detail?: string) => void): void;
  /** Signs of life other than messages (WebSocket pongs), which keep the idle timer away. */
  onActivity?(handler: () => void): void;
  close(): void;
  readonly remoteAddress: string;
}

/** The local node's identity and the connection's settings. */
export interface SecureOptions {
  /** 32-byte secp256k1 node private key. */
  readonly privateKey: Uint8Array;
  readonly limits?: ConnectionLimits;
  readonly clock?: Clock;
  readonly backend?: CryptoBackend;
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

class SecureConnection implements Connection {
  remoteKey: Uint8Array = new Uint8Array(0);
  readonly remoteAddress: string;
  readonly outbound: boolean;
  private readonly raw: RawChannel;
  private readonly limits: Required<ConnectionLimits>;
  private readonly clock: Clock;
  private frameHandler: ((frame: Uint8Array) => void) | undefined;
  private readonly closeHandlers: ((reason: CloseReason, detail?: string) => void)[] = [];
  private readonly early: Uint8Array[] = [];
  private closed = false;
  private closeReason: [CloseReason, string | undefined] | undefined;
  private idleTimer: TimerHandle | undefined;
  private stallTimer: TimerHandle | undefined;
  private readonly bytesLimiter: RateLimiter;
  private readonly framesLimiter: RateLimiter;

  get maxFrameBytes(): number {
    return this.limits.maxFrameBytes;
  }

  constructor(
    raw: RawChannel,
    outbound: boolean,
    limits: Required<ConnectionLimits>,
    clock: Clock,
  ) {
    this.raw = raw;
    this.outbound = outbound;
    this.remoteAddress = raw.remoteAddress;
    this.limits = limits;
    this.clock = clock;
    this.bytesLimiter = new RateLimiter(limits.maxBytesPerSecond, clock.now());
    this.framesLimiter = new RateLimiter(limits.maxFramesPerSecond, clock.now());
  }

  /** Called for every frame after the handshake. */
  incoming(frame: Uint8Array): void {
    if (this.closed) return;
    this.touch();
    const now = this.clock.now();
    if (!this.bytesLimiter.take(frame.length, now) || !this.framesLimiter.take(1, now)) {
      this.close('rate-limit', 'peer exceeded its rate limit');
      return;
    }
    if (this.frameHandler) this.frameHandler(frame);
    else this.early.push(frame);
  }

  touch(): void {
    if (this.closed || this.limits.idleTimeoutMs <= 0) return;
    if (this.idleTimer) this.clock.clearTimeout(this.idleTimer);
    this.idleTimer = this.clock.setTimeout(
      () => this.close('idle-timeout'),
      this.limits.idleTimeoutMs,
    );
  }

  send(frame: Uint8Array): boolean {
    if (this.closed) return false;
    if (frame.length > this.limits.maxFrameBytes)
      throw new RangeError(`frame of ${frame.length} bytes exceeds the limit`);
    const backlog = this.raw.bufferedAmount();
    if (backlog > this.limits.maxBacklog) {
      this.close('slow-consumer', `backlog of ${backlog} bytes`);
      return false;
    }
    this.raw.send(frame);
    const flowing = backlog + frame.length <= this.limits.highWaterMark;
    if (!flowing && !this.stallTimer) {
      // A peer that reads nothing keeps the backlog up; one that is merely slow drains it.
      this.stallTimer = this.clock.setTimeout(() => {
        this.stallTimer = undefined;
        if (this.raw.bufferedAmount() > this.limits.highWaterMark)
          this.close('slow-consumer', 'backlog did not drain');
      }, this.limits.stallTimeoutMs);
    }
    return flowing;
  }

  onFrame(handler: (frame: Uint8Array) => void): void {
    this.frameHandler = handler;
    for (const frame of this.early.splice(0)) {
      if (this.closed) break;
      handler(frame);
    }
  }

  onClose(handler: (reason: CloseReason, detail?: string) => void): void {
    if (this.closeReason) handler(...this.closeReason);
    else this.closeHandlers.push(handler);
  }

  /** The channel ended (from either side). */
  ended(reason: CloseReason, detail?: string): void {
    if (this.closed) return;
    this.closed = true;
    if (this.idleTimer) this.clock.clearTimeout(this.idleTimer);
    if (this.stallTimer) this.clock.clearTimeout(this.stallTimer);
    this.closeReason = [reason, detail];
    for (const handler of this.closeHandlers.splice(0)) handler(reason, detail);
  }

  close(reason: CloseReason = 'local', detail?: string): void {
    if (this.closed) return;
    this.ended(reason, detail);
    this.raw.close();
  }
}

/**
 * Runs the handshake on `raw` and returns the authenticated connection.
 *
 * @param outbound - whether we dialed
 * @throws TransportError 'handshake-failed' on a bad HELLO or AUTH, a timeout, or a closed channel
 */
export function secureChannel(
  raw: RawChannel,
  outbound: boolean,
  options: SecureOptions,
): Promise<Connection> {
  const backend = options.backend ?? defaultBackend;
  const clock = options.clock ?? systemClock;
  const limits = resolveLimits(options.limits);
  const publicKey = backend.publicKeyCreate(options.privateKey);
  const nonce = randomBytes(32);
  const connection = new SecureConnection(raw, outbound, limits, clock);

  return new Promise<Connection>((resolve, reject) => {
    let stage: 'hello' | 'auth' | 'open' = 'hello';
    let remoteNonce: Uint8Array = new Uint8Array(0);
    const fail = (
      detail: string,
      reason: 'handshake-failed' | 'handshake-timeout' = 'handshake-failed',
    ) => {
      if (stage === 'open') return;
      stage = 'open';
      clock.clearTimeout(timer);
      raw.close();
      connection.ended(reason, detail);
      reject(
        new TransportError(
          'handshake-failed',
          `handshake with ${raw.remoteAddress} failed: ${detail}`,
        ),
      );
    };
    const timer = clock.setTimeout(
      () => fail('timed out', 'handshake-timeout'),
      limits.handshakeTimeoutMs,
    );

    // HELLO goes out before any message is handled: a peer's HELLO may already be waiting, and
    // answering it with AUTH first would put our messages out of order.
    raw.send(encodeList([encodeBytes(TAG), encodeBytes(publicKey), encodeBytes(nonce)]));
    raw.onActivity?.(() => connection.touch());
    raw.onClose((detail) => {
      if (stage !== 'open') fail(`channel closed${detail ? `: ${detail}` : ''}`);
      // 1009 (message too big): the WebSocket layer refused a message over its payload limit,
      // which is this side's frame limit: an oversize frame (SPEC §7.7), not a remote close.
      else if (detail?.startsWith('1009')) connection.ended('frame-too-large', detail);
      else connection.ended('remote', detail);
    });
    raw.onMessage((message) => {
      if (stage === 'open') {
        if (message.length > limits.maxFrameBytes)
          connection.close('frame-too-large', `${message.length} bytes`);
        else connection.incoming(message);
        return;
      }
      if (message.length > 1024) return fail('handshake message too large');
      try {
        const s = new RlpStream(message);
        s.list();
        if (stage === 'hello') {
          if (!equalBytes(s.string(), TAG)) return fail('unknown protocol tag');
          const key = s.string();
          remoteNonce = s.string();
          if (!backend.isValidPublicKey(key) || remoteNonce.length !== 32) return fail('bad HELLO');
          if (equalBytes(key, publicKey)) return fail('connected to itself');
          connection.remoteKey = key;
          const digest = keccak256Concat([AUTH_DOMAIN, publicKey, key, remoteNonce, nonce]);
          raw.send(encodeList([encodeBytes(backend.signRecoverable(digest, options.privateKey))]));
          stage = 'auth';
          return;
        }
        const signature = s.string();
        const digest = keccak256Concat([
          AUTH_DOMAIN,
          connection.remoteKey,
          publicKey,
          nonce,
          remoteNonce,
        ]);
        const signer = signature.length === 65 ? backend.recoverPublicKey(digest, signature) : null;
        if (!signer || !equalBytes(signer, connection.remoteKey)) return fail('bad AUTH signature');
        stage = 'open';
        clock.clearTimeout(timer);
        connection.touch();
        resolve(connection);
      } catch (error) {
        fail(`malformed handshake message: ${(error as Error).message}`);
      }
    });
  });
}
