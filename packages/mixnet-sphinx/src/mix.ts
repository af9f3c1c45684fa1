/**
 * A mix's processing (specs/mixnet-sphinx/SPEC.md §9): each packet is unwrapped with the
 * current epoch's key (or the previous one during its grace window), checked against the
 * replay cache, held for the delay its node-delay command asks (the Poisson mixing of Loopix:
 * the sender draws each delay from an exponential), then handed to the next mix, or delivered
 * at the last hop. What fails is dropped and counted by reason, never forwarded. The links
 * that carry packets are the caller's; this is the part every mix runs the same way. The
 * unwrap itself (two X25519 and the payload SPRP, the most of a packet's work) is behind an
 * `Unwrapper`: in this thread by default, or on worker threads
 * (`@hush/mixnet-sphinx/unwrap-pool`) so that a mix uses several cores.
 */
import {
  type Clock,
  HushError,
  type Logger,
  type Metrics,
  noMetrics,
  silentLogger,
  systemClock,
  type TimerHandle,
} from '@hush/interface';
import type { RoutingCommand } from './commands.js';
import { SphinxError } from './errors.js';
import type { Geometry } from './geometry.js';
import type { ReplayCache } from './replay-cache.js';
import { aezSprp } from './sprp.js';
import { type PayloadSprp, type Unwrapped, unwrapPacket } from './unwrap.js';

/** A mix's key for one epoch. */
export interface MixKey {
  readonly epoch: number;
  readonly privateKey: Uint8Array;
}

/** Why a mix dropped a packet. */
export type DropReason =
  | 'truncated'
  | 'bad-version'
  | 'bad-element'
  | 'bad-mac'
  | 'bad-command'
  | 'bad-tag'
  | 'replay'
  | 'queue-full'
  | 'store-failed'
  /** The next hop is not in the directory, or its link could not be opened in time. */
  | 'unreachable'
  /** A packet ended at a mix that is not a gateway, or named no recipient. */
  | 'no-recipient'
  /** The recipient's queue at the gateway is full. */
  | 'mailbox-full'
  /** The gateway holds as many messages as it may, in all. */
  | 'gateway-full'
  /** A SUBMIT frame named a first hop the gateway does not forward to. */
  | 'bad-first-hop'
  /** The worker thread unwrapping it failed (its packets in flight are lost; it is replaced). */
  | 'worker-failed';

/**
 * Unwraps packets for a mix, with the mix's geometry and payload SPRP: in this thread (the
 * default), or elsewhere, e.g. on worker threads (`createUnwrapPool` of
 * `@hush/mixnet-sphinx/unwrap-pool`).
 */
export interface Unwrapper {
  /**
   * Unwraps one hop of a packet, as {@link unwrapPacket} does.
   *
   * @throws SphinxError with `unwrapPacket`'s codes (or a rejected promise with one);
   *   UnwrapUnavailable when it cannot take the packet ('queue-full') or lost it ('worker-failed')
   */
  unwrap(privateKey: Uint8Array, packet: Uint8Array): Unwrapped | Promise<Unwrapped>;
}

/** Why an {@link Unwrapper} did not unwrap a packet for reasons of its own, not the packet's. */
export type UnwrapUnavailableCode = 'queue-full' | 'worker-failed';

/** An unwrapper that could not take a packet, or lost it: the mix drops it by this code. */
export class UnwrapUnavailable extends HushError<UnwrapUnavailableCode> {
  override readonly name = 'UnwrapUnavailable';
}

/** A packet that ends at this mix. */
export interface Delivery {
  readonly payload: Uint8Array;
  readonly commands: readonly RoutingCommand[];
  /** For a SURB reply: its id (the payload is still enciphered for the SURB's creator). */
  readonly surbId?: Uint8Array;
  /** The recipient command's id, when there is one. */
  readonly recipient?: Uint8Array;
}

/** How a mix is made. */
export interface MixOptions {
  readonly geometry: Geometry;
  readonly key: MixKey;
  readonly replay: ReplayCache;
  /** Sends a packet to the next mix (its node id). */
  readonly forward: (nextHop: Uint8Array, packet: Uint8Array) => void;
  /** Takes a packet that ends here. */
  readonly deliver: (delivery: Delivery) => void;
  /** How long the previous key still unwraps after a rotation (default 10 min). */
  readonly graceMs?: number;
  /** Packets held at once, for their delay or on their way to it; more are dropped (default 100,000). */
  readonly maxQueue?: number;
  /** The longest delay honoured, ms (default 1 h): a longer one is cut to it. */
  readonly maxDelayMs?: number;
  /** The payload SPRP of the default unwrapper (default AEZ); unused with `unwrapper`. */
  readonly sprp?: PayloadSprp;
  /**
   * Where packets are unwrapped (default: `unwrapPacket` in this thread with `sprp`). Its
   * owner starts and stops it; the mix only calls it.
   */
  readonly unwrapper?: Unwrapper;
  readonly clock?: Clock;
  readonly metrics?: Metrics;
  readonly logger?: Logger;
}

/** The refusals of `unwrapPacket`, each its own drop reason. */
const UNWRAP_REFUSALS = new Set<string>([
  'truncated',
  'bad-version',
  'bad-element',
  'bad-mac',
  'bad-command',
  'bad-tag',
]);

/** What the unwrap step gave: the hop and the key that unwrapped it, or why it was dropped. */
type UnwrapOutcome = { readonly step: Unwrapped; readonly used: MixKey } | DropReason;

const isPromise = <T>(value: T | Promise<T>): value is Promise<T> =>
  typeof (value as { then?: unknown } | undefined)?.then === 'function';

/** Upper bounds of the delay histogram, ms (Prometheus `le`). */
const DELAY_BUCKETS = [10, 50, 100, 250, 500, 1000, 2500, 5000, 10_000, 30_000, 60_000];

/**
 * One mix.
 *
 * @example
 * ```ts
 * const mix = new Mix({ geometry: geo, key: { epoch, privateKey }, replay: new ReplayCache(store), forward, deliver });
 * link.onPacket((packet) => void mix.receive(packet));
 * ```
 */
export class Mix {
  private readonly options: MixOptions;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private current: MixKey;
  private previous: { key: MixKey; until: number } | undefined;
  private readonly queue = new Set<TimerHandle>();
  private stopped = false;
  /** Packets taken and not yet held or dropped. */
  private inFlight = 0;
  private readonly counters;
  private readonly unwrapper: Unwrapper;

  constructor(options: MixOptions) {
    this.options = options;
    const { geometry } = options;
    const sprp = options.sprp ?? aezSprp;
    this.unwrapper = options.unwrapper ?? {
      unwrap: (privateKey, packet) => unwrapPacket(geometry, privateKey, packet, sprp),
    };
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger ?? silentLogger;
    this.current = options.key;
    const metrics = options.metrics ?? noMetrics;
    this.counters = {
      received: metrics.counter({ name: 'hush_mix_packets_in_total', help: 'Packets received' }),
      forwarded: metrics.counter({
        name: 'hush_mix_packets_out_total',
        help: 'Packets sent on to the next mix',
      }),
      delivered: metrics.counter({
        name: 'hush_mix_packets_delivered_total',
        help: 'Packets that ended at this mix',
      }),
      dropped: metrics.counter<'reason'>({
        name: 'hush_mix_packets_dropped_total',
        help: 'Packets dropped, by reason',
        labelNames: ['reason'],
      }),
      queue: metrics.gauge({ name: 'hush_mix_queue_length', help: 'Packets held for their delay' }),
      delayBucket: metrics.counter<'le'>({
        name: 'hush_mix_delay_ms_bucket',
        help: 'Delays asked for, ms (cumulative buckets)',
        labelNames: ['le'],
      }),
      delaySum: metrics.counter({
        name: 'hush_mix_delay_ms_sum',
        help: 'Sum of the delays asked for, ms',
      }),
      delayCount: metrics.counter({ name: 'hush_mix_delay_ms_count', help: 'Delays asked for' }),
    };
  }

  /** Packets held for their delay now. */
  get queueLength(): number {
    return this.queue.size;
  }

  /** The epoch of the current key. */
  get epoch(): number {
    return this.current.epoch;
  }

  /**
   * Moves to a new epoch's key: the previous one still unwraps for the grace window (until
   * `graceUntil`, Unix ms, when given: a quarter epoch from the epoch's start, not from a late
   * rotation), and the replay tags of the epochs before it are flushed.
   *
   * @throws RangeError when the epoch does not move forward; what the replay store throws
   */
  async rotate(key: MixKey, graceUntil?: number): Promise<void> {
    if (!(key.epoch > this.current.epoch)) throw new RangeError('a new key needs a later epoch');
    this.previous = {
      key: this.current,
      until: graceUntil ?? this.clock.now() + (this.options.graceMs ?? 600_000),
    };
    this.current = key;
    await this.options.replay.flushBefore(this.previous.key.epoch);
  }

  /**
   * Counts a packet dropped by the links around the mix (an unreachable next hop, a full
   * queue at the gateway), in the same counter as the mix's own drops.
   *
   * @returns the reason
   */
  drop(reason: DropReason): DropReason {
    this.counters.dropped.inc(1, { reason });
    return reason;
  }

  /**
   * Takes one packet: unwraps, checks for replay, then holds it for its delay and forwards
   * it, or delivers it.
   *
   * @returns 'queued', 'delivered', or the reason it was dropped
   */
  async receive(packet: Uint8Array): Promise<'queued' | 'delivered' | DropReason> {
    this.counters.received.inc();
    const maxQueue = this.options.maxQueue ?? 100_000;
    // Packets between arrival and their delay (a worker has them, or the replay cache) count
    // against the same bound as those held: a slow store cannot make memory grow unbounded.
    if (this.stopped || this.queue.size + this.inFlight >= maxQueue) return this.drop('queue-full');
    this.inFlight++;
    try {
      return await this.process(packet);
    } finally {
      this.inFlight--;
    }
  }

  private async process(packet: Uint8Array): Promise<'queued' | 'delivered' | DropReason> {
    let outcome = this.unwrapStep(packet);
    if (isPromise(outcome)) {
      outcome = await outcome;
      // Stopped while a worker had it: nothing more is queued.
      if (typeof outcome !== 'string' && this.stopped) return this.drop('queue-full');
    }
    if (typeof outcome === 'string') return outcome;
    const { step, used } = outcome;
    let fresh: boolean;
    try {
      fresh = await this.options.replay.check(used.epoch, step.replayTag);
    } catch (error) {
      this.logger.warn({ reason: String(error) }, 'mix: replay cache failed');
      return this.drop('store-failed');
    }
    if (!fresh) return this.drop('replay');
    // Stopped while the replay cache had it: no timer is set after stop().
    if (this.stopped) return this.drop('queue-full');
    if (step.kind === 'final') {
      const recipient = step.commands.find((c) => c.type === 'recipient');
      this.counters.delivered.inc();
      this.options.deliver({
        payload: step.payload,
        commands: step.commands,
        ...(step.surbId ? { surbId: step.surbId } : {}),
        ...(recipient ? { recipient: recipient.id } : {}),
      });
      return 'delivered';
    }
    const asked = step.commands.find((c) => c.type === 'node-delay')?.delayMs ?? 0;
    const delay = Math.min(asked, this.options.maxDelayMs ?? 3_600_000);
    this.counters.delaySum.inc(delay);
    this.counters.delayCount.inc();
    for (const le of DELAY_BUCKETS)
      if (delay <= le) this.counters.delayBucket.inc(1, { le: String(le) });
    this.counters.delayBucket.inc(1, { le: '+Inf' });
    const { nextHop, packet: next } = step;
    const timer = this.clock.setTimeout(() => {
      this.queue.delete(timer);
      this.counters.queue.set(this.queue.size);
      this.counters.forwarded.inc();
      this.options.forward(nextHop, next);
    }, delay);
    this.queue.add(timer);
    this.counters.queue.set(this.queue.size);
    return 'queued';
  }

  /**
   * Unwraps with the current key, then on 'bad-mac' with the previous one while its grace
   * lasts; in this thread without a promise, so that the default path runs as it always did.
   */
  private unwrapStep(packet: Uint8Array): UnwrapOutcome | Promise<UnwrapOutcome> {
    const current = this.current;
    // A packet made before the rotation: the previous key, while its grace lasts.
    const fallback = (error: unknown) => {
      const previous = this.previous;
      if (
        !(error instanceof SphinxError && error.code === 'bad-mac') ||
        !previous ||
        this.clock.now() >= previous.until
      )
        throw error;
      return { key: previous.key, step: this.unwrapper.unwrap(previous.key.privateKey, packet) };
    };
    let first: Unwrapped | Promise<Unwrapped>;
    try {
      first = this.unwrapper.unwrap(current.privateKey, packet);
    } catch (error) {
      try {
        const { key, step } = fallback(error);
        if (!isPromise(step)) return { step, used: key };
        return step.then(
          (s) => ({ step: s, used: key }),
          (e: unknown) => this.refused(e),
        );
      } catch (again) {
        return this.refused(again);
      }
    }
    if (!isPromise(first)) return { step: first, used: current };
    return first.then(
      (step) => ({ step, used: current }),
      async (error: unknown) => {
        try {
          const { key, step } = fallback(error);
          return { step: await step, used: key };
        } catch (again) {
          return this.refused(again);
        }
      },
    );
  }

  /** Counts an unwrap that failed by its reason. */
  private refused(error: unknown): DropReason {
    if (error instanceof UnwrapUnavailable) return this.drop(error.code);
    if (error instanceof SphinxError && UNWRAP_REFUSALS.has(error.code))
      return this.drop(error.code as DropReason);
    this.logger.warn({ reason: String(error) }, 'mix: unexpected failure');
    return this.drop('bad-command');
  }

  /** Stops: packets still held are dropped (a mix going down loses its queue, as any mix). */
  stop(): void {
    this.stopped = true;
    for (const timer of this.queue) this.clock.clearTimeout(timer);
    this.queue.clear();
    this.counters.queue.set(0);
  }
}
