/**
 * One direct channel at work (specs/transport-direct/SPEC.md §4.3, §7.2): the frames of
 * §4.2 over one authenticated Noise connection with one contact. It sends what the outbox
 * has due, at most `maxInFlight` messages awaiting acknowledgement at a time, in frames
 * filled up to the connection's frame limit; it acknowledges every message of every frame it
 * receives once the inbox has kept it (or had kept it before); it retransmits what stays
 * unacknowledged on the outbox's backoff. Envelopes on a channel have no PoW or expiry check
 * and are never forwarded: they are the contact's, for this node alone.
 */
import type { Clock, CloseReason, Connection, PeerId, TimerHandle } from '@hush/interface';
import {
  type DirectMessage,
  decodeFrame,
  encodedMessageLength,
  encodeFrame,
  FRAME_LIMITS,
} from './frames.js';
import type { DirectInbox, ReceivedMessage } from './inbox.js';
import type { DirectMetrics } from './metrics.js';
import type { Outbox, PendingMessage } from './outbox.js';

/** Frames received and not yet processed, past which the sender is too fast (slow-consumer). */
const MAX_QUEUED_FRAMES = 64;
/** Room in a frame for its list headers and acknowledgements' framing. */
const FRAME_OVERHEAD = 64;
/** When the connection pushes back, try again after this long, ms. */
const BACKPRESSURE_RETRY_MS = 10;

/** What a session works with. */
export interface SessionContext {
  readonly outbox: Outbox;
  readonly inbox: DirectInbox;
  readonly clock: Clock;
  readonly metrics: DirectMetrics;
  readonly maxInFlight: number;
  /** New messages, kept; handed on to subscribers. */
  onMessages(peer: PeerId, messages: readonly ReceivedMessage[]): void;
  /** Acknowledged messages (their ids, hex): the outbox has let them go. */
  onAcknowledged(peer: PeerId, ids: readonly string[]): void;
  onClosed(session: ChannelSession, reason: CloseReason, detail?: string): void;
}

/** The exchange of frames with one contact over one connection. */
export class ChannelSession {
  readonly peer: PeerId;
  readonly connection: Connection;
  readonly opened: number;
  private readonly context: SessionContext;
  private readonly acks: Uint8Array[] = [];
  private queue: Promise<void> = Promise.resolve();
  private queued = 0;
  private flushTimer: TimerHandle | undefined;
  private flushAt = Number.POSITIVE_INFINITY;
  private closed = false;
  /** When the contact last acknowledged something on this connection. */
  private lastProgress = Number.NEGATIVE_INFINITY;
  /** Transmissions and frames on this connection. */
  sentMessages = 0;
  sentFrames = 0;
  sentBytes = 0;

  constructor(peer: PeerId, connection: Connection, context: SessionContext) {
    this.peer = peer;
    this.connection = connection;
    this.context = context;
    this.opened = context.clock.now();
  }

  /** Starts: every pending message is due at once (the flush on reconnect), frames are read. */
  start(): void {
    this.context.outbox.reset(this.peer);
    this.connection.onClose((reason, detail) => this.ended(reason, detail));
    this.connection.onFrame((frame) => this.received(frame));
    this.schedule(0);
  }

  /** Whether the session has ended. */
  get isClosed(): boolean {
    return this.closed;
  }

  /** Something new is due (a message was accepted): flush soon. */
  kick(): void {
    this.schedule(0);
  }

  /** Ends the session and its connection. */
  close(reason: CloseReason = 'local', detail?: string): void {
    this.connection.close(reason, detail);
    this.ended(reason, detail);
  }

  private ended(reason: CloseReason, detail?: string): void {
    if (this.closed) return;
    this.closed = true;
    if (this.flushTimer !== undefined) this.context.clock.clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    this.context.onClosed(this, reason, detail);
  }

  private schedule(delay: number): void {
    if (this.closed) return;
    const at = this.context.clock.now() + delay;
    if (this.flushTimer !== undefined) {
      if (at >= this.flushAt) return;
      this.context.clock.clearTimeout(this.flushTimer);
    }
    this.flushAt = at;
    this.flushTimer = this.context.clock.setTimeout(() => {
      this.flushTimer = undefined;
      this.flushAt = Number.POSITIVE_INFINITY;
      this.flush();
    }, delay);
  }

  /** Sends pending acknowledgements and due messages; sets the retransmission timer. */
  private flush(): void {
    if (this.closed) return;
    const { outbox, clock, maxInFlight, metrics } = this.context;
    const now = clock.now();
    const next = outbox.expire(this.peer, now, this.lastProgress);
    const budget = maxInFlight - outbox.inFlightCount(this.peer);
    const due = budget > 0 ? outbox.due(this.peer, now, budget) : [];
    const limit = this.connection.maxFrameBytes - FRAME_OVERHEAD;
    let index = 0;
    while (this.acks.length > 0 || index < due.length) {
      const acks = this.acks.splice(0, FRAME_LIMITS.acks);
      let bytes = acks.length * 33;
      const messages: PendingMessage[] = [];
      while (index < due.length && messages.length < FRAME_LIMITS.messages) {
        const size = encodedMessageLength(due[index]!);
        if (messages.length > 0 && bytes + size > limit) break;
        messages.push(due[index]!);
        bytes += size;
        index++;
      }
      const frame = encodeFrame({ acks, messages });
      const flowing = this.connection.send(frame);
      outbox.markSent(messages, now);
      this.sentMessages += messages.length;
      this.sentFrames++;
      this.sentBytes += frame.length;
      metrics.transmissions.inc(messages.length);
      metrics.acksSent.inc(acks.length);
      if (this.closed) return;
      if (!flowing) {
        this.schedule(BACKPRESSURE_RETRY_MS);
        return;
      }
    }
    const inFlightNext = outbox.expire(this.peer, now, this.lastProgress) ?? next;
    if (inFlightNext !== undefined) this.schedule(Math.max(0, inFlightNext - now));
  }

  private received(bytes: Uint8Array): void {
    if (this.closed) return;
    const { metrics } = this.context;
    let frame: ReturnType<typeof decodeFrame>;
    try {
      frame = decodeFrame(bytes);
    } catch (error) {
      metrics.framesRefused.inc(1, { reason: 'malformed' });
      this.close('bad-frame', (error as Error).message);
      return;
    }
    if (this.queued >= MAX_QUEUED_FRAMES) {
      metrics.framesRefused.inc(1, { reason: 'flood' });
      this.close('slow-consumer', `more than ${MAX_QUEUED_FRAMES} frames waiting`);
      return;
    }
    this.queued++;
    this.queue = this.queue.then(() => this.process(frame.acks, frame.messages));
  }

  private async process(
    acks: readonly Uint8Array[],
    messages: readonly DirectMessage[],
  ): Promise<void> {
    const { outbox, inbox, clock, metrics } = this.context;
    try {
      if (acks.length) {
        const acknowledged = await outbox.acknowledge(this.peer, acks, clock.now());
        if (acknowledged.length) {
          this.lastProgress = clock.now();
          metrics.acknowledged.inc(acknowledged.length);
          this.context.onAcknowledged(this.peer, acknowledged);
          this.schedule(0);
        }
      }
      if (messages.length) {
        const {
          fresh,
          acks: toAck,
          refused,
        } = await inbox.receive(this.peer, messages, clock.now());
        metrics.received.inc(fresh.length, { result: 'new' });
        metrics.received.inc(toAck.length - fresh.length, { result: 'duplicate' });
        if (refused) metrics.received.inc(refused, { result: 'inbox-full' });
        if (fresh.length) this.context.onMessages(this.peer, fresh);
        if (!this.closed) {
          this.acks.push(...toAck);
          this.schedule(0);
        }
      }
    } catch (error) {
      // The store failed: nothing of this frame is acknowledged, so the contact sends it
      // again; the connection ends so that the next one starts from a known state.
      metrics.framesRefused.inc(1, { reason: 'store' });
      this.close('error', `store: ${(error as Error).message}`);
    } finally {
      this.queued--;
    }
  }
}
