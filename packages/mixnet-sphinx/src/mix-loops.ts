/**
 * Mix loops (specs/mixnet-sphinx/SPEC.md §13.4; Loopix's λM): a mix or gateway sends, as a
 * Poisson stream of rate λM, loop packets on routes through every other layer back to itself
 * (`mixLoopRoute`). Their payload is a random 16-byte id ‖ HMAC-SHA256(loop key, id), the
 * rest random, under a key that never leaves the node: only it tells its loops from random
 * bytes. A loop that comes back is counted with its round trip; one that does not within a
 * timeout is counted lost. Loops are cover a mix adds of its own, and a mix seeing its loops
 * lost learns that something on the way drops packets (the defence against the n−1 attack,
 * where an adversary holds back a mix's other inputs to trace one).
 */
import {
  type Clock,
  type Logger,
  type Metrics,
  noMetrics,
  silentLogger,
  systemClock,
  type TimerHandle,
} from '@hush/interface';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { createPacket, type RandomBytes, systemRandom } from './create.js';
import type { DirectoryDocument } from './directory.js';
import { type Geometry, NODE_ID_LENGTH } from './geometry.js';
import { equalBytes } from './header-crypto.js';
import { exponentialSample, mixLoopRoute } from './route.js';
import { aezSprp } from './sprp.js';
import type { PayloadSprp } from './unwrap.js';

const LOOP_ID_LENGTH = 16;
const LOOP_MAC_LENGTH = 32;
/** How long a loop may take before it is lost, beyond ten times its mean delays: links opening. */
const LOSS_TIMEOUT_SLACK_MS = 10_000;
/** Of the last this many loops that came back or were lost… */
export const MIX_LOOP_LOSS_WINDOW = 20;
/** …this many lost or more make the node warn that something on its loops' way drops. */
export const MIX_LOOP_LOSS_WARNING = 5;

/** How a node's loop stream runs. */
export interface MixLoopsOptions {
  readonly geometry: Geometry;
  /** This node's id: where its loops end. */
  readonly self: Uint8Array;
  /** The directory in force (a route is drawn from it for every loop). */
  readonly directory: () => DirectoryDocument | undefined;
  /** Sends a loop packet to its first hop (the node's link to that hop). */
  readonly send: (firstHop: Uint8Array, packet: Uint8Array) => void;
  /** λM, loops per second, overriding the directory's; 0 turns the stream off. */
  readonly lambdaM?: number;
  /**
   * How long a loop may take before it counts as lost, ms (default: ten times its mean
   * delays, one per layer, plus 10 s).
   */
  readonly lossTimeoutMs?: number;
  readonly clock?: Clock;
  readonly random?: RandomBytes;
  readonly sprp?: PayloadSprp;
  readonly metrics?: Metrics;
  readonly logger?: Logger;
}

/** One of the node's loops, back. */
export interface MixLoopReturn {
  readonly sentAt: number;
  readonly roundTripMs: number;
}

/**
 * A mix's or gateway's loop stream.
 *
 * @example
 * ```ts
 * const loops = new MixLoops({ geometry, self: server.id, directory: () => doc, send: forward });
 * loops.start();
 * // where a packet ends at this node with its own id as the recipient:
 * if (loops.receive(delivery.payload)) return;
 * ```
 */
export class MixLoops {
  private readonly options: MixLoopsOptions;
  private readonly clock: Clock;
  private readonly random: RandomBytes;
  private readonly sprp: PayloadSprp;
  private readonly logger: Logger;
  private readonly loopKey: Uint8Array;
  /** Loops in flight: id (hex) → when sent, and the timer that counts it lost. */
  private readonly loops = new Map<string, { sentAt: number; timer: TimerHandle }>();
  /** Whether each of the last loops resolved was lost, oldest first. */
  private readonly outcomes: boolean[] = [];
  private warned = false;
  private timer: TimerHandle | undefined;
  private running = false;
  private readonly counters;

  /**
   * @throws RangeError when `self` is not 32 bytes, the geometry's user payload cannot hold a
   *   loop's id and MAC (48 bytes), `lambdaM` is negative or not finite, or `lossTimeoutMs` is
   *   not positive
   */
  constructor(options: MixLoopsOptions) {
    if (options.geometry.userPayloadLength < LOOP_ID_LENGTH + LOOP_MAC_LENGTH)
      throw new RangeError(
        `geometry: a loop needs a user payload of ${LOOP_ID_LENGTH + LOOP_MAC_LENGTH} bytes`,
      );
    if (!(options.self instanceof Uint8Array) || options.self.length !== NODE_ID_LENGTH)
      throw new RangeError(`self must be ${NODE_ID_LENGTH} bytes`);
    if (
      options.lambdaM !== undefined &&
      !(options.lambdaM >= 0 && Number.isFinite(options.lambdaM))
    )
      throw new RangeError('lambdaM must be a rate of 0 or more per second');
    if (options.lossTimeoutMs !== undefined && !(options.lossTimeoutMs > 0))
      throw new RangeError('lossTimeoutMs must be positive');
    this.options = options;
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? systemRandom;
    this.sprp = options.sprp ?? aezSprp;
    this.logger = options.logger ?? silentLogger;
    this.loopKey = this.random(32);
    const metrics = options.metrics ?? noMetrics;
    this.counters = {
      sent: metrics.counter({
        name: 'hush_mix_loops_sent_total',
        help: 'Loop packets this mix sent to itself (λM)',
      }),
      received: metrics.counter({
        name: 'hush_mix_loops_received_total',
        help: 'Loop packets of this mix that came back',
      }),
      lost: metrics.counter({
        name: 'hush_mix_loops_lost_total',
        help: 'Loop packets of this mix that did not come back in time: something on the way drops',
      }),
      roundTrip: metrics.counter({
        name: 'hush_mix_loops_round_trip_ms_sum',
        help: 'Round trips of the loops that came back, ms (over hush_mix_loops_received_total: the mean)',
      }),
    };
  }

  /** Loops sent and neither back nor lost yet. */
  get inFlight(): number {
    return this.loops.size;
  }

  /** Starts the stream. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.schedule();
  }

  /** Stops the stream; loops in flight are forgotten, neither back nor lost. */
  stop(): void {
    this.running = false;
    if (this.timer) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    for (const loop of this.loops.values()) this.clock.clearTimeout(loop.timer);
    this.loops.clear();
  }

  private schedule(): void {
    if (!this.running) return;
    // Without a directory the stream waits at 1/s, as a client's do, unless told its rate.
    const rate = this.options.lambdaM ?? this.options.directory()?.parameters.lambdaM ?? 1;
    if (!(rate > 0)) return;
    this.timer = this.clock.setTimeout(
      () => {
        this.emit();
        this.schedule();
      },
      // The gaps of a Poisson stream: exponential, mean 1/λM.
      exponentialSample(1000 / rate, this.random),
    );
  }

  /** Sends one loop now, when the node is in the directory in force. */
  private emit(): void {
    const document = this.options.directory();
    if (!document) return;
    let path: ReturnType<typeof mixLoopRoute>;
    try {
      path = mixLoopRoute(document, this.options.self, this.random);
    } catch (error) {
      // Not a node of this epoch's document (its descriptor came too late): the slot passes.
      this.logger.debug({ reason: String(error) }, 'mix: no loop route');
      return;
    }
    const payload = this.random(this.options.geometry.userPayloadLength);
    const id = this.random(LOOP_ID_LENGTH);
    payload.set(id);
    payload.set(hmac(sha256, this.loopKey, id), LOOP_ID_LENGTH);
    const packet = createPacket(this.options.geometry, path, payload, this.sprp, this.random);
    const key = bytesToHex(id);
    const timeout =
      this.options.lossTimeoutMs ??
      10 * document.layers.length * document.parameters.meanDelayMs + LOSS_TIMEOUT_SLACK_MS;
    const timer = this.clock.setTimeout(() => {
      this.loops.delete(key);
      this.counters.lost.inc();
      this.resolved(true);
    }, timeout);
    this.loops.set(key, { sentAt: this.clock.now(), timer });
    this.counters.sent.inc();
    this.options.send(path[0]!.id, packet);
  }

  /** Records a loop back or lost, and warns when too many of the last ones were lost. */
  private resolved(lost: boolean): void {
    this.outcomes.push(lost);
    if (this.outcomes.length > MIX_LOOP_LOSS_WINDOW) this.outcomes.shift();
    const losses = this.outcomes.filter(Boolean).length;
    if (losses >= MIX_LOOP_LOSS_WARNING && !this.warned) {
      this.warned = true;
      this.logger.warn(
        { lost: losses, of: this.outcomes.length },
        'mix: loops lost: a node on their routes drops packets',
      );
    } else if (losses < MIX_LOOP_LOSS_WARNING && this.warned) {
      this.warned = false;
      this.logger.info({ lost: losses, of: this.outcomes.length }, 'mix: loops come back again');
    }
  }

  /**
   * Reads the payload of a packet that ended at this node with its own id as the recipient:
   * one of its loops in flight, recognised once, or not.
   *
   * @returns when it was sent and its round trip, or undefined for anything else
   */
  receive(payload: Uint8Array): MixLoopReturn | undefined {
    if (payload.length < LOOP_ID_LENGTH + LOOP_MAC_LENGTH) return undefined;
    const id = payload.subarray(0, LOOP_ID_LENGTH);
    const key = bytesToHex(id);
    const loop = this.loops.get(key);
    if (
      !loop ||
      !equalBytes(
        payload.subarray(LOOP_ID_LENGTH, LOOP_ID_LENGTH + LOOP_MAC_LENGTH),
        hmac(sha256, this.loopKey, id),
      )
    )
      return undefined;
    this.clock.clearTimeout(loop.timer);
    this.loops.delete(key);
    const roundTripMs = this.clock.now() - loop.sentAt;
    this.counters.received.inc();
    this.counters.roundTrip.inc(roundTripMs);
    this.resolved(false);
    return { sentAt: loop.sentAt, roundTripMs };
  }
}
