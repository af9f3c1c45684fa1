/**
 * The connection of a Noise link once its handshake is done (specs/whisper-v6 SPEC §7.6.3,
 * §7.7): frames encrypted and authenticated both ways, and the per-connection limits every
 * transport enforces (frame size, inbound rate, idle time, send backlog).
 */
import {
  type Clock,
  type CloseReason,
  type Connection,
  type ConnectionLimits,
  type PeerId,
  peerIdFromPublicKey,
  type RawChannel,
  type TimerHandle,
} from '@hush/interface';
import type { CipherState } from '../cipher-state.js';
import { openFrame, sealedLength, sealFrame } from './framing.js';

/** A token bucket: an average rate with a burst of `burstSeconds`. */
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

/** An authenticated, encrypted connection over a raw channel. */
export class LinkConnection implements Connection {
  readonly remoteKey: Uint8Array;
  readonly remotePeer: PeerId;
  /** The other side's Noise static public key (to dial it again with IK). */
  readonly remoteStaticKey: Uint8Array;
  readonly remoteAddress: string;
  readonly outbound: boolean;
  private readonly raw: RawChannel;
  private readonly sender: CipherState;
  private readonly receiver: CipherState;
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
  private readonly maxSealed: number;

  get maxFrameBytes(): number {
    return this.limits.maxFrameBytes;
  }

  constructor(init: {
    raw: RawChannel;
    outbound: boolean;
    remoteKey: Uint8Array;
    remoteStaticKey: Uint8Array;
    ciphers: { send: CipherState; receive: CipherState };
    limits: Required<ConnectionLimits>;
    clock: Clock;
  }) {
    this.raw = init.raw;
    this.outbound = init.outbound;
    this.remoteKey = init.remoteKey;
    this.remotePeer = peerIdFromPublicKey(init.remoteKey);
    this.remoteStaticKey = init.remoteStaticKey;
    this.remoteAddress = init.raw.remoteAddress;
    this.sender = init.ciphers.send;
    this.receiver = init.ciphers.receive;
    this.limits = init.limits;
    this.clock = init.clock;
    this.maxSealed = sealedLength(init.limits.maxFrameBytes);
    this.bytesLimiter = new RateLimiter(init.limits.maxBytesPerSecond, init.clock.now());
    this.framesLimiter = new RateLimiter(init.limits.maxFramesPerSecond, init.clock.now());
  }

  /** Called with every carrier message after the handshake. */
  incoming(message: Uint8Array): void {
    if (this.closed) return;
    if (message.length > this.maxSealed) {
      this.close('frame-too-large', `${message.length} bytes`);
      return;
    }
    this.touch();
    const now = this.clock.now();
    if (!this.bytesLimiter.take(message.length, now) || !this.framesLimiter.take(1, now)) {
      this.close('rate-limit', 'peer exceeded its rate limit');
      return;
    }
    let frame: Uint8Array;
    try {
      frame = openFrame(this.receiver, message);
    } catch (error) {
      this.close('bad-frame', (error as Error).message);
      return;
    }
    if (this.frameHandler) this.deliver(this.frameHandler, frame);
    else this.early.push(frame);
  }

  /** A handler's exception ends this connection, never the carrier's event loop. */
  private deliver(handler: (frame: Uint8Array) => void, frame: Uint8Array): void {
    try {
      handler(frame);
    } catch (error) {
      this.close('error', `frame handler failed: ${String(error)}`);
    }
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
      throw new RangeError(`frame: ${frame.length} bytes exceeds the limit`);
    const backlog = this.raw.bufferedAmount();
    if (backlog > this.limits.maxBacklog) {
      this.close('slow-consumer', `backlog of ${backlog} bytes`);
      return false;
    }
    const sealed = sealFrame(this.sender, frame);
    this.raw.send(sealed);
    const flowing = backlog + sealed.length <= this.limits.highWaterMark;
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
      this.deliver(handler, frame);
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
    for (const handler of this.closeHandlers.splice(0)) {
      try {
        handler(reason, detail);
      } catch {
        // One handler's failure must not keep the others from hearing of the close.
      }
    }
  }

  close(reason: CloseReason = 'local', detail?: string): void {
    if (this.closed) return;
    this.ended(reason, detail);
    this.raw.close();
  }
}
