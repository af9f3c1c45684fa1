/**
 * A Loopix client (specs/mixnet-sphinx/SPEC.md §13; Piotrowska et al., "The Loopix Anonymity
 * System", 2017): three independent Poisson streams leave the client whatever the user does —
 * at rate λP a payload packet (the oldest queued message, or a drop when the queue is empty),
 * at rate λL a loop packet that comes back to the client's own queue, at rate λD a drop packet
 * that a random gateway discards — each on a route drawn afresh from the directory, with the
 * per-hop delays drawn by the sender. A global observer sees the same streams from a client
 * that talks and one that does not; the loops coming back (or not) tell the client whether
 * the network delivers.
 *
 * What the client puts in a packet's user payload (§13.1):
 * - a message: u32 length ‖ the bytes ‖ random padding;
 * - a loop: its 16-byte id ‖ HMAC-SHA256(loop key, id), the rest random: only the client can
 *   tell its loops from random bytes;
 * - a drop: random bytes, to the drop recipient (32 zero bytes) at a random gateway.
 */
import {
  type Clock,
  type Metrics,
  noMetrics,
  systemClock,
  type TimerHandle,
} from '@hush/interface';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { createPacket, type RandomBytes, systemRandom } from './create.js';
import type { DirectoryDocument } from './directory.js';
import { SphinxError } from './errors.js';
import { type Geometry, NODE_ID_LENGTH } from './geometry.js';
import { equalBytes } from './header-crypto.js';
import type { QueuedMessage } from './link.js';
import { exponentialSample, forwardRoute } from './route.js';
import { aezSprp } from './sprp.js';
import { packetFromSurb } from './surb.js';
import type { PayloadSprp } from './unwrap.js';

/** The recipient id a gateway discards: drop cover packets end there. */
export const DROP_RECIPIENT = new Uint8Array(NODE_ID_LENGTH);
const LOOP_ID_LENGTH = 16;
const LENGTH_PREFIX = 4;

/** Loopix's client rates, packets per second. */
export interface LoopixRates {
  readonly lambdaP: number;
  readonly lambdaL: number;
  readonly lambdaD: number;
}

/** Where a message goes: the recipient's queue id at its gateway. */
export interface LoopixAddress {
  readonly id: Uint8Array;
  readonly gateway: Uint8Array;
}

/** How a Loopix client runs. */
export interface LoopixClientOptions {
  readonly geometry: Geometry;
  /** The directory in force (routes are drawn from it for every packet). */
  readonly directory: () => DirectoryDocument | undefined;
  /** This client's address: its queue id and its gateway. */
  readonly self: LoopixAddress;
  /** Hands a packet to the client's gateway (see `GatewayClient.submit`). */
  readonly submit: (firstHop: Uint8Array, packet: Uint8Array) => void;
  /** Rates, overriding the directory's; 0 turns a stream off. */
  readonly rates?: Partial<LoopixRates>;
  /** Messages waiting for a payload slot; more are refused (default 1,000). */
  readonly maxQueue?: number;
  readonly clock?: Clock;
  readonly random?: RandomBytes;
  readonly sprp?: PayloadSprp;
  readonly metrics?: Metrics;
}

/** What a packet taken from the client's queue was. */
export type LoopixReceived =
  | { readonly kind: 'message'; readonly data: Uint8Array }
  | { readonly kind: 'loop'; readonly sentAt: number; readonly roundTripMs: number }
  | { readonly kind: 'unknown' };

/** The stream a packet left on. */
export type LoopixStream = 'payload' | 'payload-drop' | 'loop' | 'drop';

/**
 * A Loopix client.
 *
 * @example
 * ```ts
 * const client = new LoopixClient({ geometry, directory: () => doc, self, submit: (hop, p) => link.submit(hop, p) });
 * client.start();
 * client.send({ id: bobId, gateway: bobGateway }, bytes);
 * for (const m of await link.fetch()) client.receive(m);
 * ```
 */
export class LoopixClient {
  private readonly options: LoopixClientOptions;
  private readonly clock: Clock;
  private readonly random: RandomBytes;
  private readonly sprp: PayloadSprp;
  private readonly loopKey: Uint8Array;
  /** What waits for a payload slot: a message on a route drawn then, or a reply on a SURB. */
  private readonly queue: (
    | { readonly to: LoopixAddress; readonly data: Uint8Array }
    | { readonly surb: Uint8Array; readonly data: Uint8Array }
  )[] = [];
  /** Loops in flight: id (hex) → when sent. */
  private readonly loops = new Map<string, number>();
  private readonly timers = new Map<'payload' | 'loop' | 'drop', TimerHandle>();
  private running = false;
  private readonly counters;

  constructor(options: LoopixClientOptions) {
    this.options = options;
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? systemRandom;
    this.sprp = options.sprp ?? aezSprp;
    this.loopKey = this.random(32);
    const metrics = options.metrics ?? noMetrics;
    this.counters = {
      sent: metrics.counter<'stream'>({
        name: 'hush_loopix_packets_sent_total',
        help: 'Packets a Loopix client sent, by stream',
        labelNames: ['stream'],
      }),
      received: metrics.counter<'kind'>({
        name: 'hush_loopix_packets_received_total',
        help: 'Packets a Loopix client took from its queue, by kind',
        labelNames: ['kind'],
      }),
      unroutable: metrics.counter({
        name: 'hush_loopix_messages_unroutable_total',
        help: 'Queued messages dropped at their slot: their gateway was not in the directory',
      }),
      skipped: metrics.counter({
        name: 'hush_loopix_slots_skipped_total',
        help: 'Stream slots that sent nothing: no directory in force',
      }),
    };
  }

  private rates(document: DirectoryDocument): LoopixRates {
    const r = this.options.rates ?? {};
    return {
      lambdaP: r.lambdaP ?? document.parameters.lambdaP,
      lambdaL: r.lambdaL ?? document.parameters.lambdaL,
      lambdaD: r.lambdaD ?? document.parameters.lambdaD,
    };
  }

  /** Messages waiting for a payload slot. */
  get queued(): number {
    return this.queue.length;
  }

  /** Loops sent and not back yet. */
  get loopsInFlight(): number {
    return this.loops.size;
  }

  /**
   * Queues a message: it leaves in the next payload slot.
   *
   * @throws RangeError for data longer than the geometry's payload can hold, or a recipient
   *   id of the wrong length; SphinxError 'bad-path' when the queue is full
   */
  send(to: LoopixAddress, data: Uint8Array): void {
    this.checkData(data);
    if (to.id.length !== NODE_ID_LENGTH || to.gateway.length !== NODE_ID_LENGTH)
      throw new RangeError('to: ids are 32 bytes');
    this.enqueue({ to, data: data.slice() });
  }

  /**
   * Queues a reply on a SURB someone sent: it leaves in the next payload slot, as a message
   * does, so a reply looks like any other payload packet on the client's link.
   *
   * @throws RangeError for a SURB not of the geometry's length or data too long;
   *   SphinxError 'bad-path' when the queue is full
   */
  sendReply(surb: Uint8Array, data: Uint8Array): void {
    if (surb.length !== this.options.geometry.surbLength)
      throw new RangeError(`surb must be ${this.options.geometry.surbLength} bytes`);
    this.checkData(data);
    this.enqueue({ surb: surb.slice(), data: data.slice() });
  }

  private checkData(data: Uint8Array): void {
    if (data.length > this.options.geometry.userPayloadLength - LENGTH_PREFIX)
      throw new RangeError(
        `data: at most ${this.options.geometry.userPayloadLength - LENGTH_PREFIX} bytes`,
      );
  }

  private enqueue(item: LoopixClient['queue'][number]): void {
    if (this.queue.length >= (this.options.maxQueue ?? 1000))
      throw new SphinxError('bad-path', 'the send queue is full');
    this.queue.push(item);
  }

  /** Starts the three streams. */
  start(): void {
    if (this.running) return;
    this.running = true;
    for (const stream of ['payload', 'loop', 'drop'] as const) this.schedule(stream);
  }

  /** Stops the streams (queued messages stay queued). */
  stop(): void {
    this.running = false;
    for (const timer of this.timers.values()) this.clock.clearTimeout(timer);
    this.timers.clear();
  }

  private schedule(stream: 'payload' | 'loop' | 'drop'): void {
    if (!this.running) return;
    const document = this.options.directory();
    // Without a directory the streams wait at their mean rate (1/s when none is known).
    const rates = document ? this.rates(document) : { lambdaP: 1, lambdaL: 1, lambdaD: 1 };
    const rate =
      stream === 'payload' ? rates.lambdaP : stream === 'loop' ? rates.lambdaL : rates.lambdaD;
    // A rate of 0 turns the stream off (a client without that cover).
    if (!(rate > 0)) return;
    const timer = this.clock.setTimeout(
      () => {
        this.emit(stream);
        this.schedule(stream);
      },
      // The gaps of a Poisson stream: exponential, mean 1/rate.
      exponentialSample(1000 / rate, this.random),
    );
    this.timers.set(stream, timer);
  }

  /** Sends one packet of a stream now. */
  private emit(stream: 'payload' | 'loop' | 'drop'): void {
    const document = this.options.directory();
    if (!document) {
      this.counters.skipped.inc();
      return;
    }
    const { self } = this.options;
    const { userPayloadLength } = this.options.geometry;
    const payload = this.random(userPayloadLength);
    let to: LoopixAddress;
    let sent: LoopixStream = stream;
    if (stream === 'payload' && this.queue.length > 0) {
      const message = this.queue.shift()!;
      new DataView(payload.buffer, payload.byteOffset).setUint32(0, message.data.length);
      payload.set(message.data, LENGTH_PREFIX);
      if ('surb' in message) {
        // The SURB holds its route: the packet goes to the first hop it names.
        const { packet, firstHop } = packetFromSurb(
          this.options.geometry,
          message.surb,
          payload,
          this.sprp,
        );
        this.counters.sent.inc(1, { stream: 'payload' });
        this.options.submit(firstHop, packet);
        return;
      }
      to = message.to;
    } else if (stream === 'loop') {
      const id = this.random(LOOP_ID_LENGTH);
      payload.set(id);
      payload.set(hmac(sha256, this.loopKey, id), LOOP_ID_LENGTH);
      this.loops.set(bytesToHex(id), this.clock.now());
      to = self;
    } else {
      // A drop, on the drop stream or a payload slot with nothing queued.
      if (stream === 'payload') sent = 'payload-drop';
      const gateways = document.gateways;
      const b = this.random(4);
      const pick = (((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0) % gateways.length;
      to = { id: DROP_RECIPIENT, gateway: gateways[pick]!.id };
    }
    let path: ReturnType<typeof forwardRoute>;
    try {
      path = forwardRoute(
        document,
        { entry: self.gateway, exit: to.gateway, recipient: to.id },
        this.random,
      );
    } catch {
      // A gateway that left the directory: the slot passes, and a message for it is lost.
      this.counters.skipped.inc();
      if (sent === 'payload') this.counters.unroutable.inc();
      return;
    }
    const packet = createPacket(this.options.geometry, path, payload, this.sprp, this.random);
    this.counters.sent.inc(1, { stream: sent });
    this.options.submit(path[0]!.id, packet);
  }

  /**
   * Reads a packet taken from the client's queue: one of its own loops back (with its round
   * trip), a message, or what it cannot read.
   */
  receive(message: Pick<QueuedMessage, 'payload' | 'surbId'>): LoopixReceived {
    const { payload } = message;
    if (payload.length >= LOOP_ID_LENGTH + 32) {
      const id = payload.subarray(0, LOOP_ID_LENGTH);
      const key = bytesToHex(id);
      const sentAt = this.loops.get(key);
      if (
        sentAt !== undefined &&
        equalBytes(
          payload.subarray(LOOP_ID_LENGTH, LOOP_ID_LENGTH + 32),
          hmac(sha256, this.loopKey, id),
        )
      ) {
        this.loops.delete(key);
        this.counters.received.inc(1, { kind: 'loop' });
        return { kind: 'loop', sentAt, roundTripMs: this.clock.now() - sentAt };
      }
    }
    if (payload.length >= LENGTH_PREFIX) {
      const length = new DataView(payload.buffer, payload.byteOffset).getUint32(0);
      if (length <= payload.length - LENGTH_PREFIX) {
        this.counters.received.inc(1, { kind: 'message' });
        return { kind: 'message', data: payload.slice(LENGTH_PREFIX, LENGTH_PREFIX + length) };
      }
    }
    this.counters.received.inc(1, { kind: 'unknown' });
    return { kind: 'unknown' };
  }

  /**
   * Forgets loops sent more than `olderThanMs` ago (lost: a sign of mixes failing or dropping).
   *
   * @returns how many were forgotten
   */
  expireLoops(olderThanMs: number): number {
    const cutoff = this.clock.now() - olderThanMs;
    let n = 0;
    for (const [key, at] of this.loops)
      if (at < cutoff) {
        this.loops.delete(key);
        n++;
      }
    return n;
  }
}
