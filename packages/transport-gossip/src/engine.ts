/**
 * The gossip engine (specs/whisper-v6 SPEC §6–§7): geth's Whisper.add and peer loop in our
 * own code. It pools what it accepts, floods every peer with what that peer has not seen and
 * wants (its PoW requirement and bloom filter), and drops a peer at its first protocol
 * violation. It knows nothing of sockets: transports attach peers through `PeerLink`.
 */

import { BLOOM_FILTER_SIZE, bloomFilterMatch, fullBloom, topicToBloom } from '@hush/bloom';
import {
  decodeEnvelope,
  decodeMessagesPacket,
  decodeMessagesPacketItems,
  type Envelope,
  encodeEnvelope,
  envelopeHashAndPow,
} from '@hush/envelope';
import {
  type Clock,
  type Counter,
  Emitter,
  type Gauge,
  type Logger,
  type Metrics,
  noMetrics,
  silentLogger,
  systemClock,
  type TimerHandle,
} from '@hush/interface';
import { encodeBytes, encodeList, RlpStream } from '@hush/rlp';
import { type AdmissionSettings, admit } from './admission.js';
import {
  decodeBloomFilterEx,
  decodePowRequirement,
  decodeStatus,
  encodeBloomFilterEx,
  encodePowRequirement,
  encodeStatus,
  type ProtocolMessage,
} from './codec.js';
import { GossipError } from './errors.js';
import { EnvelopePool, KnownBy, type PoolEntry } from './pool.js';
import {
  DEFAULT_MAX_MESSAGE_SIZE,
  DEFAULT_MINIMUM_POW,
  DEFAULT_SYNC_ALLOWANCE,
  EXPIRATION_CYCLE_MS,
  MAX_MESSAGE_SIZE,
  MessageCode,
  TRANSMISSION_CYCLE_MS,
} from './protocol.js';
import {
  type AcceptedEnvelope,
  QueueSubscription,
  type SubscribeOptions,
  type Subscription,
} from './subscription.js';

/** How the engine talks to one peer, whatever carries the bytes. */
export interface PeerLink {
  /**
   * Sends one protocol message. Returning false says the link is congested: the engine
   * holds further broadcasts to this peer until a later cycle.
   */
  send(message: ProtocolMessage): boolean | undefined;
  /** Closes the link; `error` is the protocol violation that caused it, if any. */
  close(error?: GossipError): void;
  /** The largest payload the link carries in one message (default: no limit of its own). */
  readonly maxPayloadBytes?: number;
}

/** Who a peer is. */
export interface PeerInfo {
  /** A stable identifier (a node key in hex, for authenticated transports). */
  readonly id: string;
  /** Trusted peers may send p2p messages (mailserver history). */
  readonly trusted?: boolean;
}

/** What the engine hands the transport for one attached peer. */
export interface PeerHandle {
  readonly id: string;
  /** Delivers one message the peer sent. */
  receive(message: ProtocolMessage): void;
  /** The link went away (no error of the peer's). */
  disconnected(): void;
}

/** Counters and settings of one peer, for stats and scoring. */
export interface PeerStats {
  readonly id: string;
  readonly ready: boolean;
  readonly trusted: boolean;
  readonly lightNode: boolean;
  readonly powRequirement: number;
  readonly fullNode: boolean;
  readonly envelopesReceived: number;
  /** New envelopes it delivered. */
  readonly envelopesAccepted: number;
  /** Envelopes it delivered that the node already had. */
  readonly envelopesDuplicate: number;
  readonly envelopesSent: number;
  readonly bytesReceived: number;
  readonly bytesSent: number;
}

/** Handles a p2pRequest (a mailserver). */
export type P2PRequestHandler = (
  request: Envelope,
  peer: {
    id: string;
    /** Largest p2pMessage payload this peer's link carries, in bytes. */
    maxBytes: number;
    /** Sends envelopes as one p2pMessage (a list, as Status mailservers do); false if not sent. */
    send(envelopes: Envelope[]): boolean;
    /**
     * Sends p2pRequestComplete carrying `body`, an opaque byte string (the mailserver's
     * answer, as `@hush/mailserver` encodes it); false if not sent.
     */
    complete(body: Uint8Array): boolean;
  },
) => void;

/** Engine settings. */
export interface EngineOptions {
  readonly clock?: Clock;
  readonly logger?: Logger;
  readonly metrics?: Metrics;
  /** Largest envelope (and packet) accepted, bytes (default 1 MiB, at most 10 MiB). */
  readonly maxMessageSize?: number;
  /** Minimum PoW of accepted envelopes (default 0.2). */
  readonly minPow?: number;
  /** Topics bloom this node wants; null (default) = everything. */
  readonly bloomFilter?: Uint8Array | null;
  readonly lightClient?: boolean;
  /** Whether two light clients refuse each other (default true, as geth). */
  readonly restrictLightClientConnections?: boolean;
  /** Pool bytes beyond which new envelopes are dropped (default 256 MiB). */
  readonly maxPoolBytes?: number;
  /** Serves p2pRequest messages (mailserver); absent = ignored, as geth without one. */
  readonly onP2PRequest?: P2PRequestHandler;
}

/** Engine events. */
export interface EngineEvents extends Record<string, unknown> {
  'peer:ready': PeerStats;
  'peer:closed': { id: string; error: GossipError | undefined };
  envelope: AcceptedEnvelope;
  /**
   * A trusted peer (a mailserver) sent p2pRequestComplete: `payload` is its byte string,
   * RLP-decoded and otherwise opaque (`@hush/mailserver` decodes it).
   */
  'p2p:complete': { from: string; payload: Uint8Array };
}

// Metric labels of the per-envelope counters, made once.
const FROM_PEER = { source: 'peer' } as const;
const FROM_LOCAL = { source: 'local' } as const;
const POOL_FULL = { reason: 'pool-full' } as const;

/** The engine's metrics, registered once when it is made. */
interface EngineMetrics {
  readonly received: Counter<'source'>;
  readonly duplicate: Counter;
  readonly accepted: Counter;
  readonly dropped: Counter<'reason'>;
  readonly peerErrors: Counter<'code'>;
  readonly poolEnvelopes: Gauge;
}

function engineMetrics(metrics: Metrics): EngineMetrics {
  return {
    received: metrics.counter({
      name: 'hush_envelopes_received_total',
      help: 'Envelopes received, from peers or posted locally',
      labelNames: ['source'],
    }),
    duplicate: metrics.counter({
      name: 'hush_envelopes_duplicate_total',
      help: 'Envelopes received that were already pooled',
    }),
    accepted: metrics.counter({
      name: 'hush_envelopes_accepted_total',
      help: 'Envelopes accepted into the pool',
    }),
    dropped: metrics.counter({
      name: 'hush_envelopes_dropped_total',
      help: 'Envelopes refused or dropped, by reason',
      labelNames: ['reason'],
    }),
    peerErrors: metrics.counter({
      name: 'hush_peer_errors_total',
      help: 'Peers dropped for a protocol error, by code',
      labelNames: ['code'],
    }),
    poolEnvelopes: metrics.gauge({ name: 'hush_pool_envelopes', help: 'Envelopes in the pool' }),
  };
}

function sameBloom(a: Uint8Array | null, b: Uint8Array | null): boolean {
  if (a === null || b === null) return a === b;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

class PeerSession {
  ready = false;
  closed = false;
  trusted: boolean;
  powRequirement = 0;
  bloom: Uint8Array | null = null;
  lightNode = false;
  pending = new Set<PoolEntry>();
  /**
   * The peer changed what it wants (PoW requirement or bloom): the whole pool is reconsidered
   * at the next transmission, once, however often it changes in between.
   */
  resync = false;
  envelopesReceived = 0;
  envelopesAccepted = 0;
  envelopesDuplicate = 0;
  envelopesSent = 0;
  bytesReceived = 0;
  bytesSent = 0;
  readonly index: number;
  readonly info: PeerInfo;
  readonly link: PeerLink;

  constructor(index: number, info: PeerInfo, link: PeerLink) {
    this.index = index;
    this.info = info;
    this.link = link;
    this.trusted = info.trusted === true;
  }

  wants(entry: PoolEntry): boolean {
    return (
      !entry.removed &&
      !entry.knownBy.has(this.index) &&
      entry.pow >= this.powRequirement &&
      (this.bloom === null || this.matches(this.bloom, entry.bloom))
    );
  }

  // The last bloom match, by identity: entries share their topic's bloom (the engine caches
  // one per topic), so a run of envelopes on one topic is matched once, not once each.
  private matchedFilter: Uint8Array | undefined;
  private matchedBloom: Uint8Array | undefined;
  private matched = false;

  private matches(filter: Uint8Array, bloom: Uint8Array): boolean {
    if (filter !== this.matchedFilter || bloom !== this.matchedBloom) {
      this.matchedFilter = filter;
      this.matchedBloom = bloom;
      this.matched = bloomFilterMatch(filter, bloom);
    }
    return this.matched;
  }

  stats(): PeerStats {
    return {
      id: this.info.id,
      ready: this.ready,
      trusted: this.trusted,
      lightNode: this.lightNode,
      powRequirement: this.powRequirement,
      fullNode: this.bloom === null,
      envelopesReceived: this.envelopesReceived,
      envelopesAccepted: this.envelopesAccepted,
      envelopesDuplicate: this.envelopesDuplicate,
      envelopesSent: this.envelopesSent,
      bytesReceived: this.bytesReceived,
      bytesSent: this.bytesSent,
    };
  }
}

interface Tolerance<T> {
  value: T;
  until: number;
}

const toleranceWindow = DEFAULT_SYNC_ALLOWANCE * 1000;

function checkMaxMessageSize(size: number): void {
  if (!Number.isInteger(size) || size < 1 || size > MAX_MESSAGE_SIZE) {
    throw new RangeError(`maxMessageSize must be an integer in [1, ${MAX_MESSAGE_SIZE}]`);
  }
}

function checkPow(pow: number, name: string): void {
  if (typeof pow !== 'number' || !Number.isFinite(pow) || pow < 0) {
    throw new RangeError(`${name} must be a finite non-negative number`);
  }
}

function checkBloom(bloom: Uint8Array | null, name: string): void {
  if (bloom !== null && (!(bloom instanceof Uint8Array) || bloom.length !== BLOOM_FILTER_SIZE)) {
    throw new RangeError(`${name} must be 64 bytes or null`);
  }
}

/** The node engine. */
export class GossipEngine extends Emitter<EngineEvents> {
  readonly clock: Clock;
  private readonly logger: Logger;
  private readonly metrics: EngineMetrics;
  private readonly pool = new EnvelopePool();
  private readonly sessions = new Map<number, PeerSession>();
  private readonly subscriptions = new Set<QueueSubscription>();
  private nextIndex = 0;
  private maxMessageSize: number;
  private minPow: number;
  private minPowTolerance: Tolerance<number>;
  private bloom: Uint8Array | null;
  private bloomTolerance: Tolerance<Uint8Array | null>;
  private lightClient: boolean;
  private readonly restrictLightClients: boolean;
  private readonly maxPoolBytes: number;
  private readonly onP2PRequest: P2PRequestHandler | undefined;
  private timers: TimerHandle[] = [];

  /**
   * @throws RangeError if a setting is out of range
   */
  constructor(options: EngineOptions = {}) {
    super();
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger ?? silentLogger;
    this.metrics = engineMetrics(options.metrics ?? noMetrics);
    this.maxMessageSize = options.maxMessageSize ?? DEFAULT_MAX_MESSAGE_SIZE;
    checkMaxMessageSize(this.maxMessageSize);
    this.minPow = options.minPow ?? DEFAULT_MINIMUM_POW;
    checkPow(this.minPow, 'minPow');
    this.bloom = options.bloomFilter ?? null;
    checkBloom(this.bloom, 'bloomFilter');
    this.minPowTolerance = { value: this.minPow, until: 0 };
    this.bloomTolerance = { value: this.bloom, until: 0 };
    this.lightClient = options.lightClient ?? false;
    this.restrictLightClients = options.restrictLightClientConnections ?? true;
    this.maxPoolBytes = options.maxPoolBytes ?? 256 * 1024 * 1024;
    this.onP2PRequest = options.onP2PRequest;
  }

  /** Starts the transmission and expiration cycles. */
  start(): void {
    if (this.timers.length > 0) return;
    this.timers = [
      this.clock.setInterval(() => this.transmit(), TRANSMISSION_CYCLE_MS),
      this.clock.setInterval(() => this.expire(), EXPIRATION_CYCLE_MS),
    ];
  }

  /** Stops the cycles, closes every peer and subscription, and empties the pool. */
  stop(): void {
    for (const timer of this.timers) this.clock.clearInterval(timer);
    this.timers = [];
    for (const session of [...this.sessions.values()]) this.closeSession(session, undefined);
    for (const subscription of [...this.subscriptions]) subscription.close();
    this.pool.clear();
  }

  private nowSeconds(): number {
    return Math.floor(this.clock.now() / 1000);
  }

  /** The settings the admission rules see now. */
  admissionSettings(): AdmissionSettings {
    return this.settingsAt(this.clock.now());
  }

  /**
   * The admission settings at `now` (ms), kept until a setting changes or a tolerance window
   * closes: every received envelope needs them, and they seldom change.
   */
  private settingsAt(now: number): AdmissionSettings {
    const cached = this.admission;
    // (A clock set back, as tests may, recomputes too.)
    if (cached && now < cached.validUntil && now >= cached.from) return cached.settings;
    const powTolerant = now < this.minPowTolerance.until;
    const bloomTolerant = now < this.bloomTolerance.until;
    const settings: AdmissionSettings = {
      maxMessageSize: this.maxMessageSize,
      minPow: this.minPow,
      minPowTolerance: powTolerant ? this.minPowTolerance.value : this.minPow,
      bloom: this.bloom,
      bloomTolerance: bloomTolerant ? this.bloomTolerance.value : this.bloom,
    };
    const validUntil = Math.min(
      powTolerant ? this.minPowTolerance.until : Number.POSITIVE_INFINITY,
      bloomTolerant ? this.bloomTolerance.until : Number.POSITIVE_INFINITY,
    );
    this.admission = { settings, from: now, validUntil };
    return settings;
  }

  /** What `settingsAt` computed last, and until when it holds; cleared by every setter. */
  private admission: { settings: AdmissionSettings; from: number; validUntil: number } | undefined;

  // ---- settings (SPEC §6.3) ----

  /**
   * Sets the minimum PoW and tells every peer; the previous minimum is still honoured for
   * DEFAULT_SYNC_ALLOWANCE seconds, while the peers adjust.
   *
   * @throws RangeError if `pow` is not a finite non-negative number
   */
  setMinPow(pow: number): void {
    checkPow(pow, 'pow');
    this.minPowTolerance = { value: this.minPow, until: this.clock.now() + toleranceWindow };
    this.minPow = pow;
    this.admission = undefined;
    this.broadcastSetting({ code: MessageCode.powRequirement, payload: encodePowRequirement(pow) });
  }

  /**
   * Sets the bloom filter (null: everything) and tells every peer; the previous filter is still
   * honoured for DEFAULT_SYNC_ALLOWANCE seconds.
   *
   * @throws RangeError if `bloom` is not 64 bytes or null
   */
  setBloomFilter(bloom: Uint8Array | null): void {
    checkBloom(bloom, 'bloom');
    this.bloomTolerance = { value: this.bloom, until: this.clock.now() + toleranceWindow };
    this.bloom = bloom ? bloom.slice() : null;
    this.admission = undefined;
    this.broadcastSetting({
      code: MessageCode.bloomFilterEx,
      payload: encodeBloomFilterEx(bloom ?? fullBloom()),
    });
  }

  /** Light clients do not relay, and two of them refuse each other (when restricted). */
  setLightClient(light: boolean): void {
    this.lightClient = light;
  }

  /** @throws RangeError if `size` is not in [1, 10 MiB] */
  setMaxMessageSize(size: number): void {
    checkMaxMessageSize(size);
    this.maxMessageSize = size;
    this.admission = undefined;
  }

  /** The node's current settings. */
  settings(): {
    minPow: number;
    bloomFilter: Uint8Array | null;
    lightClient: boolean;
    maxMessageSize: number;
  } {
    return {
      minPow: this.minPow,
      bloomFilter: this.bloom,
      lightClient: this.lightClient,
      maxMessageSize: this.maxMessageSize,
    };
  }

  private broadcastSetting(message: ProtocolMessage): void {
    // Every peer that was sent our status, ready or not: one still in its handshake would
    // otherwise keep the old value and be dropped once the tolerance ends.
    for (const session of this.sessions.values()) this.send(session, message);
  }

  // ---- the pool (SPEC §6.1–§6.2) ----

  /**
   * Posts a local envelope (geth's Send): the same rules as received envelopes.
   *
   * @returns the envelope hash (also when it was already pooled)
   * @throws GossipError with the rule's code ('future', 'expired', 'very-old', 'too-large',
   *   'low-pow', 'bloom-mismatch'), or 'pool-full'
   */
  post(envelope: Envelope): Uint8Array {
    const result = this.ingest(envelope, undefined, false);
    if ('error' in result) throw result.error;
    return result.hash;
  }

  /** Number of pooled envelopes and their encoded bytes. */
  poolStats(): { envelopes: number; bytes: number } {
    return { envelopes: this.pool.size, bytes: this.pool.totalBytes };
  }

  /** A pooled envelope (decoded anew from its encoding) and the PoW it was admitted with. */
  lookup(hash: Uint8Array): { envelope: Envelope; pow: number } | undefined {
    const entry = this.pool.get(hash);
    return entry && { envelope: decodeEnvelope(entry.encoded), pow: entry.pow };
  }

  /** The pooled envelopes (decoded anew from their encodings). */
  pooledEnvelopes(): Envelope[] {
    return [...this.pool.values()].map((e) => decodeEnvelope(e.encoded));
  }

  private readonly topicBlooms = new Map<number, Uint8Array>();

  /** Blooms by topic: most envelopes share a few topics; the cache is bounded. */
  private bloomOf(topic: Uint8Array): Uint8Array {
    const key = ((topic[0]! << 24) | (topic[1]! << 16) | (topic[2]! << 8) | topic[3]!) >>> 0;
    const cached = this.topicBlooms.get(key);
    if (cached) return cached;
    if (this.topicBlooms.size >= 4096) this.topicBlooms.clear();
    const bloom = topicToBloom(topic);
    this.topicBlooms.set(key, bloom);
    return bloom;
  }

  private ingest(
    envelope: Envelope,
    from: PeerSession | undefined,
    p2p: boolean,
    encodedInPacket?: Uint8Array,
  ): { hash: Uint8Array; cached: boolean; fresh: boolean } | { error: GossipError } {
    this.metrics.received.inc(1, from ? FROM_PEER : FROM_LOCAL);
    const facts = envelopeHashAndPow(envelope, 0, encodedInPacket);
    const bloom = this.bloomOf(envelope.topic);
    const now = this.clock.now();
    const verdict = admit(envelope, facts.pow, this.settingsAt(now), Math.floor(now / 1000), bloom);
    if (verdict.verdict === 'reject') {
      this.metrics.dropped.inc(1, { reason: verdict.code });
      return { error: new GossipError(verdict.code, verdict.message) };
    }
    if (verdict.verdict === 'drop') {
      this.metrics.dropped.inc(1, { reason: verdict.reason });
      if (from) return { hash: facts.hash, cached: false, fresh: false };
      return { error: new GossipError('expired', 'expired envelope not added') };
    }
    const existing = this.pool.get(facts.hash);
    if (existing) {
      this.metrics.duplicate.inc();
      if (from) existing.knownBy.add(from.index);
      return { hash: facts.hash, cached: true, fresh: false };
    }
    const encoded = encodedInPacket ?? encodeEnvelope(envelope);
    if (this.pool.totalBytes + encoded.length > this.maxPoolBytes) {
      this.metrics.dropped.inc(1, POOL_FULL);
      this.logger.warn({ pool: this.pool.totalBytes }, 'envelope pool full, envelope dropped');
      if (!from) return { error: new GossipError('pool-full', 'envelope pool is full') };
      return { hash: facts.hash, cached: false, fresh: false };
    }
    const entry: PoolEntry = {
      hash: facts.hash,
      encoded,
      expiry: envelope.expiry,
      pow: verdict.pow,
      bloom,
      knownBy: new KnownBy(),
      local: !from,
      removed: false,
    };
    if (from) entry.knownBy.add(from.index);
    this.pool.add(entry);
    this.metrics.accepted.inc();
    this.metrics.poolEnvelopes.set(this.pool.size);
    // Light clients send their own posts but relay nothing they receive. A peer whose PoW
    // requirement or bloom refuses the envelope is not given it to consider: when either
    // changes, the peer reconsiders the whole pool anyway (resync).
    if (!this.lightClient || !from) {
      for (const session of this.sessions.values())
        if (session.ready && session !== from && session.wants(entry)) session.pending.add(entry);
    }
    if (this.subscriptions.size > 0 || this.listening('envelope'))
      this.deliver({ envelope, hash: facts.hash, pow: verdict.pow, p2p, from: from?.info.id });
    return { hash: facts.hash, cached: true, fresh: true };
  }

  private deliver(accepted: AcceptedEnvelope): void {
    for (const subscription of this.subscriptions)
      if (subscription.wants(accepted)) subscription.push(accepted);
    this.emit('envelope', accepted);
  }

  /**
   * Subscribes to accepted envelopes.
   *
   * @returns an async iterator; `close()` (or the signal) ends it
   */
  subscribe(options: SubscribeOptions = {}): Subscription {
    const subscription = new QueueSubscription(options, () =>
      this.subscriptions.delete(subscription),
    );
    this.subscriptions.add(subscription);
    return subscription;
  }

  private expire(): void {
    const removed = this.pool.sweep(this.nowSeconds());
    if (removed === 0) return;
    this.metrics.poolEnvelopes.set(this.pool.size);
    for (const session of this.sessions.values()) {
      for (const entry of session.pending) if (entry.removed) session.pending.delete(entry);
    }
  }

  // ---- peers (SPEC §7.2–§7.4) ----

  /**
   * Attaches a peer: sends our status at once and expects the peer's status first.
   *
   * @returns the handle through which the transport delivers the peer's messages
   */
  attach(info: PeerInfo, link: PeerLink): PeerHandle {
    const session = new PeerSession(this.nextIndex++, info, link);
    this.sessions.set(session.index, session);
    this.send(session, {
      code: MessageCode.status,
      payload: encodeStatus({
        minPow: this.minPow,
        bloom: this.bloom,
        lightNode: this.lightClient,
      }),
    });
    return {
      id: info.id,
      receive: (message) => this.receive(session, message),
      disconnected: () => this.closeSession(session, undefined),
    };
  }

  /** Stats of every attached peer. */
  peers(): PeerStats[] {
    return [...this.sessions.values()].map((s) => s.stats());
  }

  /** Lets a connected peer (by id) send p2p messages from now on. */
  trust(id: string): void {
    for (const session of this.sessions.values())
      if (session.info.id === id) session.trusted = true;
  }

  /** Drops a peer (by id) without blaming it. */
  disconnect(id: string): void {
    for (const session of this.sessions.values())
      if (session.info.id === id) this.closeSession(session, undefined);
  }

  /**
   * The largest payload to send a peer: within our message size (what geth peers accept by
   * default) and what the link carries, less room for the message's own headers.
   */
  private payloadLimit(session: PeerSession): number {
    return (
      Math.min(this.maxMessageSize, session.link.maxPayloadBytes ?? Number.POSITIVE_INFINITY) - 16
    );
  }

  private send(session: PeerSession, message: ProtocolMessage): boolean {
    if (session.closed) return false;
    try {
      if (session.link.send(message) === false) return false;
    } catch (error) {
      // A link refuses what it cannot carry (an oversize frame); that message is not sent.
      this.logger.warn({ peer: session.info.id, reason: String(error) }, 'message not sent');
      return false;
    }
    session.bytesSent += message.payload.length;
    return true;
  }

  private fail(session: PeerSession, error: GossipError): void {
    this.logger.warn(
      { peer: session.info.id, code: error.code, reason: error.message },
      'dropping peer',
    );
    this.metrics.peerErrors.inc(1, { code: error.code });
    this.closeSession(session, error);
  }

  private closeSession(session: PeerSession, error: GossipError | undefined): void {
    if (session.closed) return;
    session.closed = true;
    session.pending.clear();
    this.sessions.delete(session.index);
    try {
      session.link.close(error);
    } catch {
      // The link is going away anyway.
    }
    this.emit('peer:closed', { id: session.info.id, error });
  }

  private receive(session: PeerSession, message: ProtocolMessage): void {
    if (session.closed) return;
    session.bytesReceived += message.payload.length;
    try {
      if (!session.ready) this.handshake(session, message);
      else this.handle(session, message);
    } catch (error) {
      if (error instanceof GossipError) this.fail(session, error);
      else
        this.fail(
          session,
          new GossipError('bad-frame', `unexpected failure: ${String(error)}`, { cause: error }),
        );
    }
  }

  private handshake(session: PeerSession, message: ProtocolMessage): void {
    if (message.code !== MessageCode.status) {
      throw new GossipError(
        'status-expected',
        `peer sent packet ${message.code} before status packet`,
      );
    }
    const status = decodeStatus(message.payload);
    if (status.lightNode && this.lightClient && this.restrictLightClients) {
      throw new GossipError(
        'light-clients',
        'peer is useless: two light client communication restricted',
      );
    }
    session.powRequirement = status.minPow ?? 0;
    session.bloom = status.bloom;
    session.lightNode = status.lightNode;
    session.ready = true;
    session.pending = new Set(this.pool.values());
    this.emit('peer:ready', session.stats());
  }

  private handle(session: PeerSession, message: ProtocolMessage): void {
    if (message.payload.length > this.maxMessageSize) {
      throw new GossipError('oversized', 'oversized message received');
    }
    switch (message.code) {
      case MessageCode.status:
        return; // geth ignores a repeated status
      case MessageCode.messages:
        this.handleMessages(session, message.payload);
        return;
      case MessageCode.powRequirement: {
        const pow = decodePowRequirement(message.payload);
        if (pow !== session.powRequirement) {
          session.powRequirement = pow;
          session.resync = true;
        }
        return;
      }
      case MessageCode.bloomFilterEx: {
        const bloom = decodeBloomFilterEx(message.payload);
        if (!sameBloom(bloom, session.bloom)) {
          session.bloom = bloom;
          session.resync = true;
        }
        return;
      }
      case MessageCode.p2pMessage:
        if (session.trusted) this.handleDirect(session, message.payload);
        return;
      case MessageCode.p2pRequestComplete:
        if (session.trusted) this.handleRequestComplete(session, message.payload);
        return;
      case MessageCode.p2pRequest:
        if (this.onP2PRequest) this.handleRequest(session, message.payload);
        return;
      default:
        return; // unknown codes are ignored for forward compatibility
    }
  }

  private handleMessages(session: PeerSession, payload: Uint8Array): void {
    let items: { envelope: Envelope; encoded: Uint8Array }[];
    try {
      items = decodeMessagesPacketItems(payload);
    } catch (error) {
      throw new GossipError('invalid-envelopes', 'invalid envelopes', { cause: error });
    }
    let trouble: GossipError | undefined;
    for (const { envelope, encoded } of items) {
      session.envelopesReceived++;
      const result = this.ingest(envelope, session, this.lightClient, encoded);
      if ('error' in result) trouble ??= result.error;
      else if (result.fresh) session.envelopesAccepted++;
      else if (result.cached) session.envelopesDuplicate++;
    }
    if (trouble)
      throw new GossipError('invalid-envelope', `invalid envelope: ${trouble.message}`, {
        cause: trouble,
      });
  }

  private handleDirect(session: PeerSession, payload: Uint8Array): void {
    // One envelope (geth), or a list of envelopes (Status mailservers): a receiver takes both.
    let envelopes: Envelope[];
    try {
      const s = new RlpStream(payload);
      s.list();
      let batch = false;
      try {
        s.list();
        batch = true;
      } catch {
        // The first item is not a list: a single envelope.
      }
      envelopes = batch
        ? decodeMessagesPacket(payload)
        : [decodeEnvelope(payload, { allowTrailing: true })];
    } catch (error) {
      throw new GossipError('invalid-direct-message', 'invalid direct message', { cause: error });
    }
    for (const envelope of envelopes) {
      const facts = envelopeHashAndPow(envelope);
      this.deliver({
        envelope,
        hash: facts.hash,
        pow: facts.pow,
        p2p: true,
        from: session.info.id,
      });
    }
  }

  /** p2pRequestComplete: one byte string, handed on as it came. */
  private handleRequestComplete(session: PeerSession, payload: Uint8Array): void {
    let body: Uint8Array;
    try {
      const s = new RlpStream(payload);
      body = s.string();
    } catch (error) {
      throw new GossipError('invalid-direct-message', 'invalid request-complete message', {
        cause: error,
      });
    }
    this.emit('p2p:complete', { from: session.info.id, payload: body });
  }

  private handleRequest(session: PeerSession, payload: Uint8Array): void {
    let request: Envelope;
    try {
      request = decodeEnvelope(payload, { allowTrailing: true });
    } catch (error) {
      throw new GossipError('invalid-p2p-request', 'invalid p2p request', { cause: error });
    }
    this.onP2PRequest?.(request, {
      id: session.info.id,
      maxBytes: this.payloadLimit(session),
      send: (envelopes) => {
        const items = envelopes.map((e) => encodeEnvelope(e));
        return this.send(session, { code: MessageCode.p2pMessage, payload: encodeList(items) });
      },
      complete: (body) =>
        this.send(session, { code: MessageCode.p2pRequestComplete, payload: encodeBytes(body) }),
    });
  }

  /**
   * Sends a p2pRequest (a request envelope for a mailserver) to one peer.
   *
   * @returns false if there is no such ready peer
   */
  sendRequest(peerId: string, request: Envelope): boolean {
    for (const session of this.sessions.values()) {
      if (session.info.id === peerId && session.ready) {
        return this.send(session, {
          code: MessageCode.p2pRequest,
          payload: encodeEnvelope(request),
        });
      }
    }
    return false;
  }

  /**
   * Sends a direct p2p message to one peer (a mailserver answering, or a node talking to its
   * trusted mailserver).
   *
   * @returns false if there is no such ready peer
   */
  sendDirect(peerId: string, envelope: Envelope): boolean {
    for (const session of this.sessions.values()) {
      if (session.info.id === peerId && session.ready) {
        return this.send(session, {
          code: MessageCode.p2pMessage,
          payload: encodeEnvelope(envelope),
        });
      }
    }
    return false;
  }

  /** Sends each ready peer, in packets within the size limit, what it has not seen and wants. */
  transmit(): void {
    for (const session of this.sessions.values()) {
      if (session.ready && session.resync) {
        session.resync = false;
        session.pending = new Set(this.pool.values());
      }
      if (!session.ready || session.pending.size === 0) continue;
      const limit = this.payloadLimit(session);
      let bundle: PoolEntry[] = [];
      let bytes = 0;
      const flush = (): boolean => {
        if (bundle.length === 0) return true;
        const ok = this.send(session, {
          code: MessageCode.messages,
          payload: encodeList(bundle.map((e) => e.encoded)),
        });
        for (const entry of bundle) entry.knownBy.add(session.index);
        session.envelopesSent += bundle.length;
        bundle = [];
        bytes = 0;
        return ok;
      };
      for (const entry of session.pending) {
        if (
          !session.wants(entry) ||
          (this.lightClient && !entry.local) ||
          entry.encoded.length > limit
        ) {
          // Not for this peer (a light client relays only its own posts; an envelope too large
          // for the link can never go).
          session.pending.delete(entry);
          continue;
        }
        // A congested link keeps the rest for a later cycle.
        if (bytes + entry.encoded.length > limit && !flush()) break;
        session.pending.delete(entry);
        bundle.push(entry);
        bytes += entry.encoded.length;
      }
      flush();
    }
  }
}
