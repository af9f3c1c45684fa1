/**
 * A mix or gateway on the network (specs/mixnet-sphinx/SPEC.md §9, §11): the `Mix` step behind
 * `hush-mix/1` links. It accepts links from the previous layer and, at a gateway, from
 * clients; it keeps one link to each next hop it sends to, dialed on first use from the
 * directory's descriptor of that hop (whose identity the link must prove), and sends the
 * packets due together in one frame. A gateway also unwraps what its clients submit (the
 * first hop of their routes), sends a SURB reply on to the first-layer mix it names, and keeps
 * what ends at it in its clients' queues until they fetch and acknowledge it. Given the
 * directory in force, it sends its own loops at λM and recognises them back (§13.4).
 */
import {
  type Carrier,
  type Clock,
  type Connection,
  type Identity,
  type IdentityVerifier,
  type Logger,
  type Metrics,
  noMetrics,
  peerIdFromPublicKey,
  type RawChannel,
  silentLogger,
  systemClock,
  type TimerHandle,
} from '@hush/interface';
import { bytesToHex } from '@noble/hashes/utils.js';
import type { RandomBytes } from './create.js';
import { type DirectoryDocument, type MixDescriptor, mixNodeId } from './directory.js';
import { FetchAnswerer } from './fetch-answerer.js';
import type { GatewayQueues } from './gateway-queues.js';
import type { Geometry } from './geometry.js';
import { equalBytes } from './header-crypto.js';
import {
  decodeMixFrame,
  dialDescriptor,
  encodeMessages,
  encodePackets,
  MAX_PACKETS_PER_FRAME,
  mixLinkEncrypter,
} from './link.js';
import { DROP_RECIPIENT } from './loopix-client.js';
import { type Delivery, Mix, type MixKey, type Unwrapper } from './mix.js';
import { MixLoops } from './mix-loops.js';
import type { ReplayCache } from './replay-cache.js';
import { aezSprp } from './sprp.js';
import { FETCH_RECIPIENT } from './surb-fetch.js';

/** How a mix or gateway runs. */
export interface MixServerOptions {
  readonly role: 'mix' | 'gateway';
  readonly geometry: Geometry;
  readonly identity: Identity;
  readonly verifier: IdentityVerifier;
  /** The links' 32-byte X25519 static key. */
  readonly staticKey: Uint8Array;
  /** Accepts links (its addresses are the endpoints a descriptor names) and dials next hops. */
  readonly carrier: Carrier;
  readonly replay: ReplayCache;
  /** The key of the epoch now. */
  readonly key: MixKey;
  /** The mix or gateway an id names in the directories in force, if any. */
  readonly lookup: (id: Uint8Array) => MixDescriptor | undefined;
  /**
   * Whether to keep an inbound link from this identity (64 bytes, its peer id's key), once
   * it is authenticated. A mix takes links only from the nodes of the directories in force;
   * a gateway also from its clients. Default: every link.
   */
  readonly authorize?: (identity: Uint8Array) => boolean;
  /** A gateway: whether an id is a first-layer mix (a client's SURB reply may go there). */
  readonly isFirstLayer?: (id: Uint8Array) => boolean;
  /** A gateway's client queues (required for a gateway). */
  readonly queues?: GatewayQueues;
  readonly graceMs?: number;
  readonly maxDelayMs?: number;
  readonly maxQueue?: number;
  /**
   * Where the mix unwraps (default: in this thread), e.g. an unwrap pool of
   * `@hush/mixnet-sphinx/unwrap-pool`; its owner stops it after the server.
   */
  readonly unwrapper?: Unwrapper;
  /** Packets waiting for one next hop's link to open; more are dropped (default 10,000). */
  readonly maxPending?: number;
  /** Time a dial may take before its packets are dropped (default 10 s). */
  readonly dialTimeoutMs?: number;
  /**
   * The directory in force: given, the node sends its own loops (§13.4) on routes drawn from
   * it, at its λM unless `lambdaM` says otherwise; not given, it sends none.
   */
  readonly directory?: () => DirectoryDocument | undefined;
  /** λM, loops per second, overriding the directory's; 0 turns the loops off. */
  readonly lambdaM?: number;
  /** Where the loops' ids, keys, routes and delays come from (default: the platform's CSPRNG). */
  readonly random?: RandomBytes;
  readonly clock?: Clock;
  readonly metrics?: Metrics;
  readonly logger?: Logger;
}

/** The link to one next hop and what waits for it. */
interface NextHop {
  readonly id: Uint8Array;
  connection: Connection | undefined;
  dialing: Promise<void> | undefined;
  pending: Uint8Array[];
  flush: TimerHandle | undefined;
  /** When a failed dial may be tried again. */
  retryAt: number;
  /** The wait before the next frame while the link is congested (0 when it flows). */
  backoffMs: number;
}

/** Frames of one link waiting to be handled; more close the link. */
const MAX_FRAMES_WAITING = 64;
/** How long a congested link is first left before the next frame, ms; doubled while it stays so. */
const CONGESTED_RETRY_MS = 5;
const CONGESTED_RETRY_MAX_MS = 320;
/** Most messages in one MESSAGES frame. */
const MESSAGES_PER_FRAME = 100;

/**
 * A mix or gateway with its links.
 *
 * @example
 * ```ts
 * const server = new MixServer({ role: 'mix', geometry, identity, verifier, staticKey,
 *   carrier: webSocketCarrier({ host: '0.0.0.0', port: 7000 }), replay, key, lookup });
 * await server.start();
 * ```
 */
export class MixServer {
  readonly mix: Mix;
  /** This node's id (SHA-256 of its identity). */
  readonly id: Uint8Array;
  private readonly options: MixServerOptions;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly encrypter;
  private readonly next = new Map<string, NextHop>();
  private readonly inbound = new Set<Connection>();
  private readonly channels = new Set<RawChannel>();
  private readonly links;
  private readonly framesRefused;
  private readonly coverDropped;
  private readonly loops: MixLoops | undefined;
  private readonly fetches: FetchAnswerer | undefined;
  private stopped = false;
  private outLinks = 0;

  /**
   * @throws TypeError when a gateway is given no queues; RangeError for a `lambdaM` below 0,
   *   or a geometry whose user payload cannot hold a loop (with `directory`)
   */
  constructor(options: MixServerOptions) {
    if (options.role === 'gateway' && !options.queues)
      throw new TypeError('queues: a gateway needs its clients’ queues');
    this.options = options;
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger ?? silentLogger;
    this.id = mixNodeId(options.identity.publicKey.subarray(1));
    const authorize = options.authorize;
    this.encrypter = mixLinkEncrypter({
      identity: options.identity,
      verifier: options.verifier,
      staticKey: options.staticKey,
      clock: this.clock,
      ...(authorize ? { authorize: (_peer, remoteKey) => authorize(remoteKey.subarray(1)) } : {}),
    });
    const metrics = options.metrics ?? noMetrics;
    this.coverDropped = metrics.counter({
      name: 'hush_mix_cover_dropped_total',
      help: 'Drop cover packets that ended at this gateway, as they should',
    });
    this.framesRefused = metrics.counter<'reason'>({
      name: 'hush_mix_frames_refused_total',
      help: 'Link frames refused (the link is closed), by reason',
      labelNames: ['reason'],
    });
    this.links = metrics.gauge<'direction'>({
      name: 'hush_mix_links',
      help: 'Open mix links',
      labelNames: ['direction'],
    });
    this.mix = new Mix({
      geometry: options.geometry,
      key: options.key,
      replay: options.replay,
      forward: (hop, packet) => this.forward(hop, packet),
      deliver: (delivery) => void this.deliver(delivery),
      ...(options.graceMs !== undefined ? { graceMs: options.graceMs } : {}),
      ...(options.maxDelayMs !== undefined ? { maxDelayMs: options.maxDelayMs } : {}),
      ...(options.maxQueue !== undefined ? { maxQueue: options.maxQueue } : {}),
      ...(options.unwrapper ? { unwrapper: options.unwrapper } : {}),
      clock: this.clock,
      metrics,
      logger: this.logger,
    });
    this.loops = options.directory
      ? new MixLoops({
          geometry: options.geometry,
          self: this.id,
          directory: options.directory,
          send: (hop, packet) => this.forward(hop, packet),
          ...(options.lambdaM !== undefined ? { lambdaM: options.lambdaM } : {}),
          ...(options.random ? { random: options.random } : {}),
          clock: this.clock,
          metrics,
          logger: this.logger,
        })
      : undefined;
    this.fetches = options.queues
      ? new FetchAnswerer({
          geometry: options.geometry,
          gateway: this.id,
          verifier: options.verifier,
          queues: options.queues,
          isFirstLayer: (id) => options.isFirstLayer?.(id) ?? false,
          send: (hop, packet) => this.forward(hop, packet),
          sprp: aezSprp,
          clock: this.clock,
          metrics,
        })
      : undefined;
  }

  /** Where its links listen (the endpoints for its descriptor), once started. */
  get addresses(): readonly string[] {
    return this.options.carrier.addresses;
  }

  /**
   * Starts accepting links, and its loops when it has the directory.
   *
   * @throws TransportError 'listen-failed' from the carrier
   */
  async start(): Promise<void> {
    await this.options.carrier.listen((channel) => void this.accept(channel));
    if (!this.stopped) this.loops?.start();
  }

  /**
   * Moves to the next epoch's key (the previous one unwraps for the grace window, until
   * `graceUntil` when given; see `Mix.rotate`).
   *
   * @throws RangeError when the epoch does not move forward; what the replay store throws
   */
  rotate(key: MixKey, graceUntil?: number): Promise<void> {
    return this.mix.rotate(key, graceUntil);
  }

  private async accept(channel: RawChannel): Promise<void> {
    if (this.stopped) return channel.close();
    this.channels.add(channel);
    let connection: Connection;
    try {
      connection = await this.encrypter.secureInbound(channel);
    } catch (error) {
      this.logger.debug({ reason: String(error) }, 'mix: inbound handshake failed');
      channel.close();
      return;
    } finally {
      this.channels.delete(channel);
    }
    if (this.stopped) return connection.close('local');
    this.inbound.add(connection);
    this.links.set(this.inbound.size, { direction: 'in' });
    connection.onClose(() => {
      this.inbound.delete(connection);
      this.links.set(this.inbound.size, { direction: 'in' });
    });
    // Each link's frames are taken one after another: a client's FETCH, then its ACK. A link
    // that sends more than it waits for the answers to is closed, not queued for.
    let chain: Promise<void> = Promise.resolve();
    let waiting = 0;
    connection.onFrame((frame) => {
      if (++waiting > MAX_FRAMES_WAITING) {
        this.refuse(connection, 'backlog', 'too many frames waiting');
        return;
      }
      chain = chain.then(() => this.onFrame(connection, frame)).finally(() => waiting--);
    });
  }

  private async onFrame(connection: Connection, frame: Uint8Array): Promise<void> {
    const { geometry, role } = this.options;
    let decoded: ReturnType<typeof decodeMixFrame>;
    try {
      decoded = decodeMixFrame(frame, geometry.packetLength);
    } catch (error) {
      this.logger.debug({ peer: connection.remotePeer, reason: String(error) }, 'mix: bad frame');
      this.refuse(connection, 'bad-frame', 'a frame that does not parse');
      return;
    }
    if (decoded.type === 'packets') {
      for (const packet of decoded.packets) void this.mix.receive(packet);
      return;
    }
    if (role !== 'gateway') {
      this.refuse(connection, 'not-taken', `a mix takes no ${decoded.type.toUpperCase()} frame`);
      return;
    }
    const queues = this.options.queues!;
    // A client's queue is the one its link's identity names: nobody reads another's.
    const recipient = mixNodeId(connection.remoteKey.subarray(1));
    switch (decoded.type) {
      case 'submit': {
        if (equalBytes(decoded.firstHop, this.id)) void this.mix.receive(decoded.packet);
        else if (this.options.isFirstLayer?.(decoded.firstHop))
          this.forward(decoded.firstHop, decoded.packet);
        else this.mix.drop('bad-first-hop');
        return;
      }
      case 'fetch': {
        try {
          const messages = await queues.fetch(
            recipient,
            Math.min(decoded.most, MESSAGES_PER_FRAME),
          );
          connection.send(encodeMessages(messages));
        } catch (error) {
          this.logger.warn({ reason: String(error) }, 'mix: queue fetch failed');
          connection.close('error', 'the gateway could not read its queue');
        }
        return;
      }
      case 'ack':
        try {
          await queues.acknowledge(recipient, decoded.seqs);
        } catch (error) {
          this.logger.warn({ reason: String(error) }, 'mix: queue acknowledge failed');
        }
        return;
      case 'messages':
        this.refuse(connection, 'not-taken', 'a gateway takes no MESSAGES frame');
        return;
    }
  }

  /** Closes a link for a frame it should not have sent, and counts it. */
  private refuse(
    connection: Connection,
    reason: 'bad-frame' | 'not-taken' | 'backlog',
    detail: string,
  ) {
    this.framesRefused.inc(1, { reason });
    connection.close('error', detail);
  }

  private async deliver(delivery: Delivery): Promise<void> {
    const queues = this.options.queues;
    if (delivery.recipient && equalBytes(delivery.recipient, this.id)) {
      // Addressed to the node itself: one of its loops back, or nothing anybody may fetch.
      if (!this.loops?.receive(delivery.payload)) this.mix.drop('no-recipient');
      return;
    }
    if (this.fetches && delivery.recipient && equalBytes(delivery.recipient, FETCH_RECIPIENT)) {
      // A client fetching its queue through the mixnet (§11.2): answered on its SURBs.
      try {
        await this.fetches.answer(delivery.payload);
      } catch (error) {
        this.logger.warn({ reason: String(error) }, 'mix: fetch request failed');
      }
      return;
    }
    if (queues && delivery.recipient && equalBytes(delivery.recipient, DROP_RECIPIENT)) {
      // Loopix drop cover: it ends here by design, and is only counted.
      this.coverDropped.inc();
      return;
    }
    if (!queues || !delivery.recipient) {
      this.mix.drop('no-recipient');
      return;
    }
    try {
      const kept = await queues.deposit(delivery.recipient, {
        payload: delivery.payload,
        ...(delivery.surbId ? { surbId: delivery.surbId } : {}),
      });
      if (kept !== true) this.mix.drop(kept);
    } catch (error) {
      this.logger.warn({ reason: String(error) }, 'mix: queue deposit failed');
      this.mix.drop('store-failed');
    }
  }

  private forward(hop: Uint8Array, packet: Uint8Array): void {
    if (this.stopped) return;
    const key = bytesToHex(hop);
    let next = this.next.get(key);
    // A hop no directory names gets no entry: a packet cannot make the mix keep state.
    if (!next && !this.options.lookup(hop)) {
      this.mix.drop('unreachable');
      return;
    }
    if (!next) {
      next = {
        id: hop,
        connection: undefined,
        dialing: undefined,
        pending: [],
        flush: undefined,
        retryAt: 0,
        backoffMs: 0,
      };
      this.next.set(key, next);
    }
    if (next.pending.length >= (this.options.maxPending ?? 10_000)) {
      this.mix.drop('unreachable');
      return;
    }
    next.pending.push(packet);
    if (next.connection) this.scheduleFlush(next);
    else if (!next.dialing) this.dial(hop, next);
  }

  private scheduleFlush(next: NextHop, delayMs = 0): void {
    if (next.flush || this.stopped) return;
    // Packets due in the same turn of the event loop go in one frame.
    next.flush = this.clock.setTimeout(() => {
      next.flush = undefined;
      const connection = next.connection;
      while (connection && next.pending.length > 0) {
        const batch = next.pending.splice(0, MAX_PACKETS_PER_FRAME);
        const flowing = connection.send(encodePackets(batch));
        if (next.connection !== connection) {
          // It closed: that frame was not sent. Its packets wait for the next link.
          next.pending.unshift(...batch);
          break;
        }
        if (!flowing) {
          // The link is congested: the rest waits (up to maxPending, then `unreachable`) rather
          // than pile up in the socket until the link is dropped as a slow consumer.
          next.backoffMs = Math.min(
            CONGESTED_RETRY_MAX_MS,
            next.backoffMs * 2 || CONGESTED_RETRY_MS,
          );
          this.scheduleFlush(next, next.backoffMs);
          return;
        }
        next.backoffMs = 0;
      }
      if (!next.connection && next.pending.length > 0 && !next.dialing) this.dial(next.id, next);
    }, delayMs);
  }

  private dial(hop: Uint8Array, next: NextHop): void {
    const dropAll = () => {
      for (const _ of next.pending) this.mix.drop('unreachable');
      next.pending = [];
    };
    const descriptor = this.options.lookup(hop);
    if (!descriptor || this.clock.now() < next.retryAt) {
      dropAll();
      return;
    }
    const remotePeer = peerIdFromPublicKey(descriptor.identity);
    next.dialing = (async () => {
      const controller = new AbortController();
      const timer = this.clock.setTimeout(
        () => controller.abort(),
        this.options.dialTimeoutMs ?? 10_000,
      );
      try {
        const connection = await dialDescriptor(
          this.options.carrier,
          this.encrypter,
          descriptor,
          controller.signal,
        );
        if (this.stopped) {
          connection.close('local');
          return;
        }
        next.connection = connection;
        this.links.set(++this.outLinks, { direction: 'out' });
        connection.onFrame(() => {});
        connection.onClose((reason) => {
          this.links.set(--this.outLinks, { direction: 'out' });
          if (next.connection === connection) next.connection = undefined;
          if (next.pending.length > 0) this.scheduleFlush(next);
          this.logger.debug({ peer: remotePeer, reason }, 'mix: link to next hop closed');
        });
        this.scheduleFlush(next);
      } catch (error) {
        this.logger.warn({ peer: remotePeer, reason: String(error) }, 'mix: next hop unreachable');
        next.retryAt = this.clock.now() + 1000;
        dropAll();
      } finally {
        this.clock.clearTimeout(timer);
        next.dialing = undefined;
      }
    })();
  }

  /** Stops: the carrier stops listening, links close, held packets are dropped. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.loops?.stop();
    this.mix.stop();
    for (const next of this.next.values()) {
      if (next.flush) this.clock.clearTimeout(next.flush);
      next.pending = [];
      next.connection?.close('local');
    }
    this.next.clear();
    for (const connection of this.inbound) connection.close('local');
    for (const channel of this.channels) channel.close();
    await this.options.carrier.close();
  }
}
