/**
 * The gossip engine (specs/whisper-v6 SPEC §6–§7): geth's Whisper.add and peer loop in our
 * own code. It pools what it accepts, floods every peer with what that peer has not seen and
 * wants (its PoW requirement and bloom filter), and drops a peer at its first protocol
 * violation. It knows nothing of sockets: transports attach peers through `PeerLink`.
 *
 * This file holds the peer sessions and the dispatch of their messages; the concerns it
 * composes are beside it: `settings.ts` (the settings and their tolerance windows),
 * `intake.ts` (ingest and the pool), `p2p.ts` (the p2p extension, codes 125–127),
 * `flood.ts` (the transmission cycle), `peer-session.ts` (one peer's state).
 */
import { fullBloom } from '@hush/bloom';
import {
  decodeMessagesPacketItems,
  type Envelope,
  encodeEnvelope,
  envelopeHashAndPow,
} from '@hush/envelope';
import {
  type Clock,
  Emitter,
  type Logger,
  type Metrics,
  noMetrics,
  silentLogger,
  systemClock,
  type TimerHandle,
} from '@hush/interface';
import type { AdmissionSettings } from './admission.js';
import {
  decodeBloomFilterEx,
  decodePowRequirement,
  decodeStatus,
  encodeBloomFilterEx,
  encodePowRequirement,
  encodeStatus,
  type ProtocolMessage,
} from './codec.js';
import { type EngineMetrics, engineMetrics } from './engine-metrics.js';
import { GossipError } from './errors.js';
import { transmit } from './flood.js';
import { EnvelopeIntake } from './intake.js';
import {
  decodeP2PMessage,
  decodeP2PRequest,
  decodeRequestCompletePayload,
  encodeP2PMessage,
  encodeRequestCompletePayload,
  type P2PRequestHandler,
} from './p2p.js';
import {
  type PeerHandle,
  type PeerInfo,
  type PeerLink,
  PeerSession,
  type PeerStats,
} from './peer-session.js';
import { EXPIRATION_CYCLE_MS, MessageCode, TRANSMISSION_CYCLE_MS } from './protocol.js';
import { NodeSettings, type NodeSettingsSnapshot } from './settings.js';
import type { AcceptedEnvelope, SubscribeOptions, Subscription } from './subscription.js';

export type { P2PRequestHandler, P2PRequestPeer } from './p2p.js';
export type { PeerHandle, PeerInfo, PeerLink, PeerStats } from './peer-session.js';

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

function sameBloom(a: Uint8Array | null, b: Uint8Array | null): boolean {
  if (a === null || b === null) return a === b;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * The node engine.
 *
 * @example
 * ```ts
 * const engine = new GossipEngine({ minPow: 0.2 });
 * engine.start();
 * const peer = engine.attach({ id }, { send: (m) => link.send(encodeFrame(m)), close: () => link.close() });
 * link.onFrame((frame) => peer.receive(decodeFrame(frame)));
 * ```
 */
export class GossipEngine extends Emitter<EngineEvents> {
  readonly clock: Clock;
  private readonly logger: Logger;
  private readonly metrics: EngineMetrics;
  private readonly config: NodeSettings;
  private readonly intake: EnvelopeIntake;
  /** Attached peers by id: one session per peer. */
  private readonly sessions = new Map<string, PeerSession>();
  private nextIndex = 0;
  private readonly restrictLightClients: boolean;
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
    this.config = new NodeSettings(options);
    this.restrictLightClients = options.restrictLightClientConnections ?? true;
    this.onP2PRequest = options.onP2PRequest;
    this.intake = new EnvelopeIntake({
      clock: this.clock,
      logger: this.logger,
      metrics: this.metrics,
      settings: this.config,
      maxPoolBytes: options.maxPoolBytes ?? 256 * 1024 * 1024,
      sessions: () => this.sessions.values(),
      listening: () => this.listening('envelope'),
      emit: (accepted) => this.emit('envelope', accepted),
    });
  }

  /** Starts the transmission and expiration cycles. */
  start(): void {
    if (this.timers.length > 0) return;
    this.timers = [
      this.clock.setInterval(() => this.transmit(), TRANSMISSION_CYCLE_MS),
      this.clock.setInterval(
        () => this.intake.expire(Math.floor(this.clock.now() / 1000)),
        EXPIRATION_CYCLE_MS,
      ),
    ];
  }

  /** Stops the cycles, closes every peer and subscription, and empties the pool. */
  stop(): void {
    for (const timer of this.timers) this.clock.clearInterval(timer);
    this.timers = [];
    for (const session of [...this.sessions.values()]) this.closeSession(session, undefined);
    this.intake.close();
  }

  // ---- settings (SPEC §6.3; settings.ts) ----

  /** The settings the admission rules see now. */
  admissionSettings(): AdmissionSettings {
    return this.config.at(this.clock.now());
  }

  /**
   * Sets the minimum PoW and tells every peer; the previous minimum is still honoured for
   * DEFAULT_SYNC_ALLOWANCE seconds, while the peers adjust.
   *
   * @throws RangeError if `pow` is not a finite non-negative number
   */
  setMinPow(pow: number): void {
    this.config.setMinPow(pow, this.clock.now());
    this.broadcastSetting({ code: MessageCode.powRequirement, payload: encodePowRequirement(pow) });
  }

  /**
   * Sets the bloom filter (null: everything) and tells every peer; the previous filter is still
   * honoured for DEFAULT_SYNC_ALLOWANCE seconds.
   *
   * @throws RangeError if `bloom` is not 64 bytes or null
   */
  setBloomFilter(bloom: Uint8Array | null): void {
    this.config.setBloomFilter(bloom, this.clock.now());
    this.broadcastSetting({
      code: MessageCode.bloomFilterEx,
      payload: encodeBloomFilterEx(bloom ?? fullBloom()),
    });
  }

  /** Light clients do not relay, and two of them refuse each other (when restricted). */
  setLightClient(light: boolean): void {
    this.config.lightClient = light;
  }

  /** @throws RangeError if `size` is not in [1, 10 MiB] */
  setMaxMessageSize(size: number): void {
    this.config.setMaxMessageSize(size);
  }

  /** The node's current settings. */
  settings(): NodeSettingsSnapshot {
    return this.config.snapshot();
  }

  private broadcastSetting(message: ProtocolMessage): void {
    // Every peer that was sent our status, ready or not: one still in its handshake would
    // otherwise keep the old value and be dropped once the tolerance ends.
    for (const session of this.sessions.values()) this.send(session, message);
  }

  // ---- the pool (SPEC §6.1–§6.2; intake.ts) ----

  /**
   * Posts a local envelope (geth's Send): the same rules as received envelopes.
   *
   * @returns the envelope hash (also when it was already pooled)
   * @throws GossipError with the rule's code ('future', 'expired', 'very-old', 'too-large',
   *   'low-pow', 'bloom-mismatch'), or 'pool-full'
   */
  post(envelope: Envelope): Uint8Array {
    return this.offer(envelope).hash;
  }

  /**
   * Posts a local envelope, as `post`, and says whether it was new to the pool.
   *
   * @throws GossipError as `post`
   */
  offer(envelope: Envelope): { hash: Uint8Array; fresh: boolean } {
    const result = this.intake.ingest(envelope, undefined, false);
    if ('error' in result) throw result.error;
    return { hash: result.hash, fresh: result.fresh };
  }

  /** Number of pooled envelopes and their encoded bytes. */
  poolStats(): { envelopes: number; bytes: number } {
    return { envelopes: this.intake.pool.size, bytes: this.intake.pool.totalBytes };
  }

  /** A pooled envelope (decoded anew from its encoding) and the PoW it was admitted with. */
  lookup(hash: Uint8Array): { envelope: Envelope; pow: number } | undefined {
    return this.intake.lookup(hash);
  }

  /** The pooled envelopes (decoded anew from their encodings). */
  pooledEnvelopes(): Envelope[] {
    return this.intake.envelopes();
  }

  /**
   * Subscribes to accepted envelopes.
   *
   * @returns an async iterator; `close()` (or the signal) ends it
   */
  subscribe(options: SubscribeOptions = {}): Subscription {
    return this.intake.subscribe(options);
  }

  /** Removes what has expired (the expiration cycle does it every EXPIRATION_CYCLE_MS). */
  expire(): void {
    this.intake.expire(Math.floor(this.clock.now() / 1000));
  }

  // ---- peers (SPEC §7.2–§7.4) ----

  /**
   * Attaches a peer: sends our status at once and expects the peer's status first. A peer
   * attached again under the same id replaces its earlier session, which is closed.
   *
   * @returns the handle through which the transport delivers the peer's messages
   */
  attach(info: PeerInfo, link: PeerLink): PeerHandle {
    const earlier = this.sessions.get(info.id);
    if (earlier) this.closeSession(earlier, undefined);
    const session = new PeerSession(this.nextIndex++, info, link);
    this.sessions.set(info.id, session);
    this.send(session, {
      code: MessageCode.status,
      payload: encodeStatus({
        minPow: this.config.minPow,
        bloom: this.config.bloom,
        lightNode: this.config.lightClient,
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
    const session = this.sessions.get(id);
    if (session) session.trusted = true;
  }

  /** Drops a peer (by id) without blaming it. */
  disconnect(id: string): void {
    const session = this.sessions.get(id);
    if (session) this.closeSession(session, undefined);
  }

  /**
   * The largest payload to send a peer: within our message size (what geth peers accept by
   * default) and what the link carries, less room for the message's own headers.
   */
  private payloadLimit(session: PeerSession): number {
    return (
      Math.min(
        this.config.maxMessageSize,
        session.link.maxPayloadBytes ?? Number.POSITIVE_INFINITY,
      ) - 16
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
    if (this.sessions.get(session.info.id) === session) this.sessions.delete(session.info.id);
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
      else this.dispatch(session, message);
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
    if (status.lightNode && this.config.lightClient && this.restrictLightClients) {
      throw new GossipError(
        'light-clients',
        'peer is useless: two light client communication restricted',
      );
    }
    session.powRequirement = status.minPow ?? 0;
    session.bloom = status.bloom;
    session.lightNode = status.lightNode;
    session.ready = true;
    session.pending = new Set(this.intake.pool.values());
    this.emit('peer:ready', session.stats());
  }

  private dispatch(session: PeerSession, message: ProtocolMessage): void {
    if (message.payload.length > this.config.maxMessageSize) {
      throw new GossipError('oversized', 'oversized message received');
    }
    switch (message.code) {
      case MessageCode.status:
        return; // geth ignores a repeated status
      case MessageCode.messages:
        this.receiveMessages(session, message.payload);
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
        if (session.trusted) this.receiveP2PMessage(session, message.payload);
        return;
      case MessageCode.p2pRequestComplete:
        if (session.trusted)
          this.emit('p2p:complete', {
            from: session.info.id,
            payload: decodeRequestCompletePayload(message.payload),
          });
        return;
      case MessageCode.p2pRequest:
        if (this.onP2PRequest) this.receiveP2PRequest(session, message.payload);
        return;
      default:
        return; // unknown codes are ignored for forward compatibility
    }
  }

  private receiveMessages(session: PeerSession, payload: Uint8Array): void {
    let items: { envelope: Envelope; encoded: Uint8Array }[];
    try {
      items = decodeMessagesPacketItems(payload);
    } catch (error) {
      throw new GossipError('invalid-envelopes', 'invalid envelopes', { cause: error });
    }
    let trouble: GossipError | undefined;
    for (const { envelope, encoded } of items) {
      session.envelopesReceived++;
      const result = this.intake.ingest(envelope, session, this.config.lightClient, encoded);
      if ('error' in result) trouble ??= result.error;
      else if (result.fresh) session.envelopesAccepted++;
      else if (result.cached) session.envelopesDuplicate++;
    }
    if (trouble)
      throw new GossipError('invalid-envelope', `invalid envelope: ${trouble.message}`, {
        cause: trouble,
      });
  }

  // ---- the p2p extension (SPEC §7.3, codes 125–127; p2p.ts) ----

  /** p2pMessage from a trusted peer: delivered to subscribers, never pooled or relayed. */
  private receiveP2PMessage(session: PeerSession, payload: Uint8Array): void {
    for (const envelope of decodeP2PMessage(payload)) {
      const facts = envelopeHashAndPow(envelope);
      this.intake.deliver({
        envelope,
        hash: facts.hash,
        pow: facts.pow,
        p2p: true,
        p2pMessage: true,
        from: session.info.id,
      });
    }
  }

  private receiveP2PRequest(session: PeerSession, payload: Uint8Array): void {
    const request = decodeP2PRequest(payload);
    this.onP2PRequest?.(request, {
      id: session.info.id,
      maxBytes: this.payloadLimit(session),
      send: (envelopes) =>
        this.send(session, { code: MessageCode.p2pMessage, payload: encodeP2PMessage(envelopes) }),
      complete: (body) =>
        this.send(session, {
          code: MessageCode.p2pRequestComplete,
          payload: encodeRequestCompletePayload(body),
        }),
    });
  }

  /** The ready session of `peerId`, if any. */
  private ready(peerId: string): PeerSession | undefined {
    const session = this.sessions.get(peerId);
    return session?.ready ? session : undefined;
  }

  /**
   * Sends a p2pRequest (a request envelope for a mailserver) to one peer.
   *
   * @returns false if there is no such ready peer
   */
  sendRequest(peerId: string, request: Envelope): boolean {
    const session = this.ready(peerId);
    return (
      session !== undefined &&
      this.send(session, { code: MessageCode.p2pRequest, payload: encodeEnvelope(request) })
    );
  }

  /**
   * Sends a p2pMessage (code 127) of one envelope to one peer, outside the pool and its
   * rules (a node talking to its trusted mailserver; geth's shh_post with targetPeer).
   *
   * @returns false if there is no such ready peer
   */
  sendP2PMessage(peerId: string, envelope: Envelope): boolean {
    const session = this.ready(peerId);
    return (
      session !== undefined &&
      this.send(session, { code: MessageCode.p2pMessage, payload: encodeP2PMessage(envelope) })
    );
  }

  // ---- the flood (SPEC §7.4; flood.ts) ----

  /** Sends each ready peer, in packets within the size limit, what it has not seen and wants. */
  transmit(): void {
    transmit(this.sessions.values(), {
      pool: this.intake.pool,
      lightClient: this.config.lightClient,
      payloadLimit: (session) => this.payloadLimit(session),
      send: (session, message) => this.send(session, message),
    });
  }
}
